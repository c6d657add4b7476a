"""Fake Asterisk: the warm hand-off on a queue member, as [ivr-warm-dial] and [ivr-warm-brief] run it.

How this works (apps/app_dial.c, option U; dialplan/extensions_ivr.conf): app_queue rings the member
`Local/<agent>@ivr-agent/n` (AgentCalled, DialBegin). Its second half dials the agent's phone with
U(ivr-warm-brief). When the phone answers, Dial runs the gosub on the PHONE's channel while the Local
channel is still ringing, so app_queue has not connected anything and the caller keeps the hold music.
The gosub runs `AGI(${IVR_BRIEFING_URL},uuid:mode:accept:caller channel)` with the environment of that
PJSIP channel (context ivr-warm-brief, extension s, priority 2, the caller's number as caller id,
language of the caller). `EXEC AudioSocket` connects the agent's side of the stream: an
AudioSocketCaller playing the agent's script (silence, keys) and recording what the agent hears. After
the AGI, the gosub maps IVR_BRIEF_CHOICE to GOSUB_RESULT (BUSY unless empty or accept); Dial then
bridges, and app_queue sends DialEnd ANSWER, QueueCallerLeave, AgentConnect; or the Local channel ends
busy: DialEnd BUSY, AgentRingNoAnswer, and app_queue rings the next member. `offer()` plays that whole
sequence on the fake AMI in this order.
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from ivr.fakepbx.agi import AgiOutcome, FakeAgiClient, audiosocket_target, channel_env
from ivr.fakepbx.ami_queue_calls import QueueCall
from ivr.fakepbx.audiosocket import AudioSocketCaller, ScriptItem

_legs = itertools.count(0x20)


@dataclass
class MemberResult(AgiOutcome):
    """What happened on the agent's phone during the briefing."""

    answered_at: float  # monotonic time the phone answered (the AGI connection opened)
    agent: AudioSocketCaller | None
    notes: list[str] = field(default_factory=list)

    @property
    def choice(self) -> str:
        """IVR_BRIEF_CHOICE as the service left it ('' when the briefing could not run)."""
        return self.variables.get("IVR_BRIEF_CHOICE", "")

    @property
    def gosub_result(self) -> str:
        """What [ivr-warm-brief] sets for Dial: BUSY for a declined offer, '' to connect."""
        return "BUSY" if self.choice not in ("", "accept") else ""

    @property
    def heard(self) -> bytes:
        """Everything the agent heard on the briefing stream."""
        return self.agent.received_audio() if self.agent else b""

    def first_sound_after_answer(self) -> float | None:
        """Seconds from the answer to the first non-silent frame the agent received."""
        if self.agent is None:
            return None
        for at, msg in self.agent.received:
            if any(getattr(msg, "pcm", b"")):
                return at - self.answered_at
        return None


@dataclass
class WarmMember:
    """A queue member's phone on the fake PBX: answers and runs the briefing gosub against the service."""

    agi_host: str
    agi_port: int
    phone: str = "PJSIP/1001"  # the agent's phone (IVR_AGENT_PHONE of their [ivr-agent] extension)
    script: str = "briefing"
    audiosocket_override: tuple[str, int] | None = None

    async def answer(
        self,
        call: QueueCall,
        agent_script: Sequence[ScriptItem],
        *,
        mode: str = "briefing+acceptance",
        accept_seconds: int = 5,
        caller_channel: str | None = None,
        max_seconds: float = 30.0,
    ) -> MemberResult:
        """The phone answers: run [ivr-warm-brief] to its end and report the agent's choice."""
        n = next(_legs)
        # [ivr-agi] passes one argument: AGI(${ARG1},${ARG3}).
        arg = f"{call.call_uuid or ''}:{mode}:{accept_seconds}:{caller_channel or call.chan}"
        env = channel_env(
            self.script, f"{self.phone}-{n:08x}", f"{call.uniqueid}.{n}", (call.number, call.name), [arg],
            context="ivr-warm-brief", extension="s", priority="2",
        )  # fmt: skip
        state: dict[str, object] = {"agent": None, "notes": []}

        async def exec_hook(app: str, args: str) -> int:
            if app.lower() != "audiosocket":
                return -2
            stream, host, port = audiosocket_target(args, self.audiosocket_override)
            agent = AudioSocketCaller(host, port, uuid.UUID(stream))
            state["agent"] = agent
            try:
                return await agent.stream(agent_script, max_seconds=max_seconds)
            except OSError as exc:
                state["notes"].append(f"AudioSocket connect failed: {exc}")  # type: ignore[union-attr]
                return -1
            finally:
                await agent.close()

        client = FakeAgiClient(env, exec_hook=exec_hook)
        answered = time.monotonic()
        try:
            await client.run(self.agi_host, self.agi_port)
            status = "SUCCESS"
        except OSError as exc:  # no worker: AGISTATUS=FAILURE, the gosub returns and the caller is connected
            status = "FAILURE"
            state["notes"].append(f"AGI connect failed: {exc}")  # type: ignore[union-attr]
        return MemberResult(
            status, dict(client.variables), list(client.commands), answered, state["agent"], state["notes"]
        )  # type: ignore[arg-type]


async def offer(
    ami,
    call: QueueCall,
    member_interface: str,
    member: WarmMember,
    agent_script: Sequence[ScriptItem],
    *,
    mode: str = "briefing+acceptance",
    accept_seconds: int = 5,
) -> MemberResult:
    """One offer in a warm queue, with app_queue's AMI events around the gosub in Asterisk's order."""
    await ami.agent_called(call, member_interface)
    started = time.monotonic()
    result = await member.answer(call, agent_script, mode=mode, accept_seconds=accept_seconds)
    ring = int(time.monotonic() - started)
    if call.uniqueid not in {e["uniqueid"] for e in ami.entries.get(call.queue, [])}:
        # The caller left the queue meanwhile (sent back to the bot: AMI Redirect): app_queue cancels
        # the member's dial; no AgentRingNoAnswer.
        await ami.dial_end(call, member_interface, "CANCEL")
    elif result.gosub_result == "BUSY":
        await ami.agent_ring_no_answer(call, member_interface, ring_ms=ring * 1000, status="BUSY")
    else:
        await ami.agent_connect(call, member_interface, ring_s=ring)
    return result
