"""Warm hand-off through the real service: the agent's phone runs the briefing gosub on the fake PBX.

The caller is transferred by the shipped flow (keypad 0 → support-en, switched to briefing+acceptance);
the fake AMI plays app_queue's events around the member's pre-bridge gosub (AgentCalled, the briefing
on the agent's phone, then AgentConnect or AgentRingNoAnswer), and the agent's phone is a fake PBX
FastAGI + AudioSocket leg that hears the briefing and presses keys.
"""

from __future__ import annotations

import numpy as np

from ivr.fakepbx.audiosocket import Digit, Silence
from ivr.fakepbx.member import offer
from tests.e2e.handoff_support import QUEUE, handoff_service
from tests.e2e.warm_support import (
    ALICE_MEMBER,
    BOB_MEMBER,
    CALLER,
    member,
    queued,
    warm_ami,
    warm_queues_yaml,
)
from tests.support.calls import pbx_for

TO_AGENT = [Silence(3.0), Digit("0"), Silence(0.5)]  # keypad 0: a person, support-en


def loud(pcm: bytes) -> float:
    """RMS of 16-bit PCM."""
    samples = np.frombuffer(pcm, dtype=np.int16).astype(np.float64)
    return float(np.sqrt(np.mean(samples**2))) if samples.size else 0.0


async def warm_service(running_service, monkeypatch, ami, tmp_path, mode="briefing+acceptance"):
    """The service with the warm queue YAML (an async context manager)."""
    return handoff_service(running_service, monkeypatch, ami, queues=warm_queues_yaml(tmp_path, mode))


async def test_the_agent_hears_the_briefing_the_caller_does_not_and_accepts(running_service, monkeypatch, tmp_path):
    ami = warm_ami()
    async with await warm_service(running_service, monkeypatch, ami, tmp_path) as service:
        monitor = service.acd.monitor
        result = await pbx_for(service).call(TO_AGENT, caller_number=CALLER, uniqueid="1800000000.61")
        assert result.variables["IVR_QUEUE"] == QUEUE
        call = queued(result, result.call_uuid)
        await ami.queue_join(call)
        # Alice's phone answers; she listens for a second, then presses 1.
        answered = await offer(ami, call, ALICE_MEMBER, member(service), [Silence(1.0), Digit("1"), Silence(2)])
        await monitor.wait_for(lambda: monitor.seen["AgentConnect"] >= 1)
        await service.store.wait_flushed()
        record = await service.store.get_call(result.call_uuid)
        briefing = record.transfers[-1].context["briefing"]
        spoken = await service.tts.synthesize(briefing["text"], "en", 8000)

    assert answered.agi_status == "SUCCESS" and answered.choice == "accept" and answered.gosub_result == ""
    assert answered.commands[0].startswith("EXEC AudioSocket ")
    assert loud(answered.heard) > 100, "the agent heard the briefing"
    assert spoken[:3200] in answered.heard, "what the agent heard is the stored briefing"
    assert spoken[:3200] not in result.bot_audio, "the caller never hears the briefing"
    assert briefing["text"].startswith("Support, English.") and "pressed 0" in briefing["text"]
    warm = record.transfers[-1].context["warm"]
    (only,) = warm["offers"]
    assert (only["agent"], only["interface"], only["choice"]) == ("alice", "PJSIP/1001", "accept")
    assert 0.5 < only["seconds"] < 5 and warm["accept_seconds"] == only["seconds"]
    assert only["briefing"] == briefing["text"]
    events = [e for e in monitor.seen]
    assert events.index("AgentCalled") < events.index("AgentConnect")
