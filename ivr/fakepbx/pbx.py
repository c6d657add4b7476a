"""A fake Asterisk that places whole calls: the hotline dialplan, FastAGI and AudioSocket together.

How this works: `FakePbx.call()` plays the part of dialplan/extensions_ivr.conf. It answers, runs
`AGI(agi://host:port/hotline)` with a `FakeAgiClient`, and when the bot asks for `EXEC AudioSocket
<uuid>,<host:port>` it connects an `AudioSocketCaller` there and plays the caller's script (speech,
silence, digits, hang-up) at real-time pace or faster. When the caller hangs up, the AGI side reports it
the way Asterisk does (result -1, then an unsolicited HANGUP). When the AGI session ends it decides what
the real dialplan would do next from AGISTATUS and the IVR_* variables (queue, fallback queue, hang up).
With several workers it runs [ivr-agi] as the generated dialplan does: each call starts at the next
worker in turn and moves on while the connection fails (AGISTATUS=FAILURE); a worker that dies after it
connected is not retried (Asterisk reports SUCCESS with no IVR_ACTION: the fallback queue).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from ivr.fakepbx.agi import AgiOutcome, FakeAgiClient, audiosocket_target, channel_env
from ivr.fakepbx.audiosocket import AudioSocketCaller, HangUp, ScriptItem

CallerHangup = Literal["never", "before-uuid", "after-audio"]

_unique = itertools.count(1)


@dataclass
class CallResult(AgiOutcome):
    """What happened on the fake PBX during one call."""

    audiosocket_result: int | None
    caller: AudioSocketCaller | None
    next_step: str
    started_at: float
    ended_at: float
    notes: list[str] = field(default_factory=list)
    uniqueid: str = ""  # the caller channel's Uniqueid (agi_uniqueid), as AMI events name it
    channel: str = ""
    worker: int | None = None  # index in FakePbx.workers of the worker that took the call (None: nobody)

    @property
    def call_uuid(self) -> str | None:
        """The bot's call id, as left in IVR_CALL_UUID."""
        return self.variables.get("IVR_CALL_UUID")

    @property
    def bot_audio(self) -> bytes:
        """Everything the bot sent on the AudioSocket."""
        return self.caller.received_audio() if self.caller else b""


class FakePbx:
    """Places calls to a running bot the way the hotline dialplan on Asterisk would."""

    def __init__(
        self,
        agi_host: str,
        agi_port: int,
        *,
        script: str = "hotline",
        fallback_queue: str = "support",
        audiosocket_override: tuple[str, int] | None = None,
        workers: Sequence[tuple[str, int]] = (),
    ) -> None:
        self.agi_host, self.agi_port = agi_host, agi_port
        # Several workers: [ivr-agi] of the dialplan (cluster.workers in ivr.yaml); else agi_host:agi_port.
        self.workers = list(workers) or [(agi_host, agi_port)]
        self._next_worker = 0  # the dialplan's GLOBAL(IVR_NEXT_WORKER)
        self.script = script
        self.fallback_queue = fallback_queue
        self.audiosocket_override = audiosocket_override

    async def call(
        self,
        caller_script: Sequence[ScriptItem],
        *,
        caller_number: str = "5551234",
        caller_name: str = "Test Caller",
        language: str = "en",
        speed: float = 1.0,
        hangup: CallerHangup = "never",
        max_seconds: float = 60.0,
        agi_args: Sequence[str] = (),
        uniqueid: str | None = None,
        script: str | None = None,
        in_progress: asyncio.Event | None = None,
        rate: int = 8000,
    ) -> CallResult:
        """Run one call to its end and report what the dialplan would do next.

        `agi_args` become agi_arg_1.. (the survey leg passes the rated call's uuid), `uniqueid` fixes the
        channel's Uniqueid (AMI events of the same channel carry it), `script` overrides the PBX's;
        `in_progress` is set once the bot has asked for the audio (the call is in a worker's hands);
        `rate` is the slin rate of the caller's AudioSocket stream (8000 from AudioSocket(); the channel
        driver can carry any slin rate, 12 to 192 kHz).
        """
        n = next(_unique)
        uniqueid = uniqueid or f"{int(time.time())}.{n}"
        channel = f"PJSIP/trunk-{n:08x}"
        caller = (caller_number, caller_name)
        env = channel_env(script or self.script, channel, uniqueid, caller, agi_args, language=language)
        state: dict[str, object] = {
            "caller": None, "result": None, "notes": [], "in_progress": in_progress, "rate": rate
        }  # fmt: skip
        client: FakeAgiClient

        async def exec_hook(app: str, args: str) -> int:
            if app.lower() != "audiosocket":
                return -2
            return await self._audiosocket(client, args, caller_script, speed, hangup, max_seconds, state)

        started = time.monotonic()
        agi_status, served_by = "FAILURE", None
        for index in self._rotation():
            client = FakeAgiClient(env, exec_hook=exec_hook)
            host, port = self.workers[index]
            try:
                await client.run(host, port)
            except OSError as exc:  # connection refused: FAILURE, and [ivr-agi] tries the next worker
                state["notes"].append(f"AGI connect to worker {index} failed: {exc}")
                continue
            agi_status = "HANGUP" if client.peer.dead else "SUCCESS"
            served_by = index
            break
        return CallResult(
            agi_status=agi_status,
            variables=dict(client.variables),
            commands=list(client.commands),
            audiosocket_result=state["result"],
            caller=state["caller"],
            next_step=self._next_step(agi_status, client.ivr_variables),
            started_at=started,
            ended_at=time.monotonic(),
            notes=state["notes"],
            uniqueid=uniqueid,
            channel=channel,
            worker=served_by,
        )

    def _rotation(self) -> list[int]:
        """Worker indexes in the order [ivr-agi] tries them: from the next in turn, each once."""
        if len(self.workers) == 1:
            return [0]
        self._next_worker = (self._next_worker + 1) % len(self.workers)
        return [(self._next_worker + i) % len(self.workers) for i in range(len(self.workers))]

    async def _audiosocket(self, client, args, caller_script, speed, hangup, max_seconds, state) -> int:
        """Run the AudioSocket() application: connect to the bot and play the caller."""
        call_uuid_text, host, port = audiosocket_target(args, self.audiosocket_override)
        try:
            call_uuid = uuid.UUID(call_uuid_text)
        except ValueError:
            state["notes"].append(f"bad AudioSocket uuid {call_uuid_text!r}")
            return -1
        if hangup == "before-uuid":
            # The channel went down before AudioSocket() sent the UUID: it closes the socket and fails.
            with contextlib.suppress(OSError):
                _, writer = await asyncio.open_connection(host, port)
                writer.close()
                await writer.wait_closed()
            client.hangup()
            state["result"] = -1
            return -1
        caller = AudioSocketCaller(host, port, call_uuid, rate=int(state["rate"]))
        state["caller"] = caller
        if state["in_progress"] is not None:
            state["in_progress"].set()
        try:
            result = await caller.stream(caller_script, speed=speed, max_seconds=max_seconds)
        except OSError as exc:
            state["notes"].append(f"AudioSocket connect failed: {exc}")
            result = -1
        finally:
            await caller.close()
        state["result"] = result
        gave_up = caller.end_reason == "max-seconds"  # the caller's patience ran out: they hang up
        if result == -1 and (
            hangup != "never" or gave_up or any(isinstance(i, HangUp) for i in caller_script)
        ):
            client.hangup()  # the caller left while the stream ran: Asterisk reports -1, then HANGUP
        elif hangup == "after-audio":
            # The caller hangs up right after the bot ended the stream, while it sets its variables.
            client.hangup()
        return result

    def _next_step(self, agi_status: str, ivr: dict[str, str]) -> str:
        """What dialplan/extensions_ivr.conf does after the AGI returns."""
        if agi_status == "HANGUP" or ivr.get("IVR_ACTION") == "hangup":
            return "hangup"
        queue = ivr.get("IVR_QUEUE") or self.fallback_queue
        return f"queue {queue}"
