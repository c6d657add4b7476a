"""Warm hand-off, service side: the FastAGI script `briefing` that runs on the agent's answered phone.

How this works: [ivr-warm-brief] (Dial's U() pre-bridge gosub, see dialplan/extensions_ivr.conf) runs
`AGI(agi://<worker>/briefing,<call uuid>:<mode>:<accept seconds>:<caller channel>)` (through [ivr-agi],
which rotates over the workers: any worker can brief, the briefing text is in the database) on the phone
while the caller still waits in the queue with hold music. BriefingDesk looks up the briefing stored with
the call's transfer, asks Asterisk to stream the agent's channel over AudioSocket (a stream UUID of its
own, paired through the service's AudioSocket server), plays the briefing (pre-synthesised at transfer
time, so a cache hit) and, in `briefing+acceptance` mode, the key prompt, and reads the agent's key:
1 take the call, 2 send the caller back to the bot, 3 pass it on; silence for `accept seconds` after the
prompt is a pass. It leaves IVR_BRIEF_CHOICE for the dialplan (anything but accept: the agent's leg
ends busy and app_queue rings the next member), sends the caller back to [ivr-return] on 2 (through
queues' call control, as the desktop does), and appends the offer to the transfer record. Anything that
goes wrong connects the caller (an empty or `accept` choice): a failing briefing never strands a caller.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ivr.agi import AgiChannel, AgiError
from ivr.audiosocket.codec import Dtmf
from ivr.audiosocket.player import OutboundAudio
from ivr.audiosocket.server import AudioConnection
from ivr.storage.records import CallHandle
from ivr.storage.warm_ops import RecordWarmOffer, latest_briefing

log = logging.getLogger(__name__)

SCRIPT = "briefing"
CHOICE_VARIABLE = "IVR_BRIEF_CHOICE"
RETURN_MODE = "declined"  # IVR_RETURN_MODE of a caller the agent sent back with key 2
KEYS = {"1": "accept", "2": "back", "3": "pass"}
KEY_PROMPTS = {
    "en": "Press 1 to take the call, 2 to send it back to the bot, 3 to pass it on.",
    "zh": "接听请按1，退回机器人请按2，转给其他同事请按3。",
}
BRIEFING_RATE = 8000  # AudioSocket() forces slin 8 kHz on the agent's channel
_LOOKUP_SECONDS = 1.0  # the agent is on the line: a slow database means no briefing, not a wait
_CONNECT_SECONDS = 3.0
_EXEC_SECONDS = 90.0  # the stream lasts the briefing, the key prompt and the decision window


@dataclass(frozen=True)
class Offer:
    """One offer of the caller to an agent, as recorded on the transfer."""

    choice: str
    seconds: float  # from the agent's answer (the AGI request) to their key or the end of the window
    first_frame_seconds: float | None  # from the agent's answer to the first briefing frame sent
    briefing: str = ""


@dataclass
class BriefingDesk:
    """Runs the `briefing` FastAGI script; owns the AudioSocket streams of briefings in progress."""

    store: Any  # CallStore
    tts: Any  # Synthesizer
    audiosocket_address: str
    calls: Any = None  # queues.call_control.AmiCallControl: sends the caller back to the bot on key 2
    agent_of: Callable[[str], str | None] = lambda interface: None
    key_prompt: Callable[[str], str] = lambda language: KEY_PROMPTS.get(language, KEY_PROMPTS["en"])
    on_offer: Callable[[str, float | None], None] = lambda choice, first_frame: None  # metrics
    rate: int = BRIEFING_RATE
    # This worker's latest offers, newest last (tests and the benchmark read them); bounded.
    offers: collections.deque[Offer] = field(default_factory=lambda: collections.deque(maxlen=100))
    _streams: dict[uuid.UUID, asyncio.Future[AudioConnection]] = field(default_factory=dict)
    _released: dict[uuid.UUID, asyncio.Event] = field(default_factory=dict)

    def expects(self, stream: uuid.UUID) -> bool:
        """Whether an AudioSocket UUID is a briefing stream of this worker."""
        return stream in self._streams

    async def attach(self, conn: AudioConnection) -> None:
        """Hand a briefing stream to its briefing; returns when the briefing no longer needs it."""
        waiting, released = self._streams.get(conn.uuid), self._released.get(conn.uuid)
        if waiting is None or released is None or waiting.done():
            return
        waiting.set_result(conn)
        await released.wait()

    async def run(self, channel: AgiChannel) -> None:
        """The whole briefing on one agent channel; always leaves a choice the dialplan can act on."""
        answered = time.monotonic()
        given = list(channel.env.args)
        if len(given) == 1:  # [ivr-agi] passes one argument: uuid:mode:accept:caller channel (may hold ':')
            given = given[0].split(":", 3)
        call_uuid, mode, accept_text, caller_channel = [*given, "", "", "", ""][:4]
        acceptance = mode == "briefing+acceptance"
        offer = Offer("accept", 0.0, None)
        try:
            uuid.UUID(call_uuid)
            briefing = await self.store.bounded(self._lookup(call_uuid), _LOOKUP_SECONDS)
        except Exception as exc:  # no uuid, slow or broken database: connect the caller unbriefed
            log.warning("briefing for %r: no briefing (%s)", call_uuid, type(exc).__name__)
            briefing = None
        if briefing is not None:
            try:
                offer = await self._brief(channel, briefing, acceptance, _seconds(accept_text), answered)
            except Exception:  # a broken briefing connects the caller
                log.exception("briefing for call %s failed: connecting the caller", call_uuid)
        if offer.choice == "back" and not await self._send_back(caller_channel):
            offer = Offer("pass", offer.seconds, offer.first_frame_seconds, offer.briefing)
        with contextlib.suppress(AgiError):
            await channel.set_variable(CHOICE_VARIABLE, offer.choice)
        self.offers.append(offer)
        if briefing is not None:
            self.on_offer(offer.choice, offer.first_frame_seconds)
            await self._record(call_uuid, channel.env.channel, mode, offer)

    async def _lookup(self, call_uuid: str) -> dict | None:
        """The call's latest briefing, once the call's own writes (its transfer) have landed."""
        await self.store.writes_landed()
        return await latest_briefing(self.store.session_factory, call_uuid)

    # ----- the briefing itself ----------------------------------------------------------------------

    async def _brief(
        self, channel: AgiChannel, briefing: dict, acceptance: bool, window: float, answered: float
    ) -> Offer:
        """Stream the agent's channel, play the briefing (and key prompt), return their choice."""
        stream = uuid.uuid4()
        self._streams[stream] = asyncio.get_running_loop().create_future()
        self._released[stream] = asyncio.Event()
        text, language = str(briefing["text"]), str(briefing.get("language") or "en")
        try:
            async with asyncio.TaskGroup() as tg:
                # EXEC AudioSocket returns once we end the stream; Asterisk connects meanwhile.
                target = f"{stream},{self.audiosocket_address}"
                tg.create_task(channel.command("EXEC", "AudioSocket", target, timeout=_EXEC_SECONDS))
                pcm = await self.tts.synthesize(text, language, self.rate)
                keys = (
                    await self.tts.synthesize(self.key_prompt(language), language, self.rate)
                    if acceptance
                    else b""
                )
                conn = await asyncio.wait_for(asyncio.shield(self._streams[stream]), _CONNECT_SECONDS)
                choice, first = await self._offer(conn, pcm, keys, acceptance, window)
                with contextlib.suppress(OSError, ConnectionError):
                    await conn.hangup()
        finally:
            self._released.pop(stream).set()
            if not self._streams.pop(stream).done():
                log.warning("briefing stream %s: Asterisk never connected", stream)
        first_seconds = None if first is None else round(first - answered, 4)
        return Offer(choice, round(time.monotonic() - answered, 3), first_seconds, text)

    async def _offer(
        self, conn: AudioConnection, pcm: bytes, keys: bytes, acceptance: bool, window: float
    ) -> tuple[str, float | None]:
        """Play and listen until the agent decides; returns (choice, monotonic time of the first frame)."""
        player = OutboundAudio(conn, rate=conn.inbound_rate)
        decided: asyncio.Future[str] = asyncio.get_running_loop().create_future()

        def decide(choice: str) -> None:
            if not decided.done():
                decided.set_result(choice)
                player.clear()

        async def listen() -> None:
            while (msg := await conn.receive()) is not None:
                if isinstance(msg, Dtmf) and (choice := KEYS.get(msg.digit) if acceptance else "accept"):
                    decide(choice)
            decide("hangup")

        briefing = player.play(pcm, label="briefing")

        async def speak() -> None:
            await briefing.done
            if not acceptance:
                return decide("accept")
            await player.play(keys, label="keys").done
            await asyncio.sleep(window)  # the agent's decision window: a real timer, not a test wait
            decide("timeout")

        async with asyncio.TaskGroup() as tg:
            tasks = [tg.create_task(player.run()), tg.create_task(listen()), tg.create_task(speak())]
            choice = await decided
            for task in tasks:
                task.cancel()
        return choice, briefing.started_at  # the player's clock is time.monotonic

    async def _send_back(self, caller_channel: str) -> bool:
        """Key 2: mark the caller's channel as declined and redirect it to [ivr-return]."""
        if self.calls is None or not caller_channel:
            log.warning(
                "briefing: cannot send %r back to the bot (no AMI or channel): passing", caller_channel
            )
            return False
        try:
            await self.calls.return_to_bot(caller_channel, RETURN_MODE)
        except Exception as exc:  # AMI down or refused: the caller stays in the queue for the next agent
            log.warning("briefing: redirect of %s failed: %s", caller_channel, exc)
            return False
        return True

    async def _record(self, call_uuid: str, agent_channel: str, mode: str, offer: Offer) -> None:
        """Append the offer to the call's transfer (outbox on a database outage)."""
        interface = agent_channel.rsplit("-", 1)[0] if "-" in agent_channel else agent_channel
        values = {
            "id": uuid.uuid4().hex,
            "agent": self.agent_of(interface),
            "interface": interface,
            "mode": mode,
            "choice": offer.choice,
            "seconds": offer.seconds,
            "at": datetime.now(UTC).isoformat(),
            "briefing": offer.briefing,
        }
        with contextlib.suppress(Exception):
            await self.store.submit(RecordWarmOffer(CallHandle(call_uuid), {"offer": values}))


async def prepare_briefing(tts: Any, context: dict[str, Any]) -> None:
    """Synthesise a transfer's briefing into the prompt cache while the caller waits; never raises."""
    briefing = context.get("briefing") if isinstance(context, dict) else None
    if not isinstance(briefing, dict) or not briefing.get("text"):
        return
    try:
        await tts.synthesize(str(briefing["text"]), str(briefing.get("language") or "en"), BRIEFING_RATE)
    except Exception as exc:  # the agent then hears it synthesised on demand, a little later
        log.warning("briefing not pre-synthesised: %s", type(exc).__name__)


def _seconds(text: str, default: float = 5.0) -> float:
    """The accept window from the dialplan argument, within 2-30 s."""
    try:
        return min(30.0, max(2.0, float(text)))
    except ValueError:
        return default
