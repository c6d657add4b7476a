"""Warm hand-off through the real service: the agent's phone runs the briefing gosub on the fake PBX.

The caller is transferred by the shipped flow (keypad 0 → support-en, switched to briefing+acceptance);
the fake AMI plays app_queue's events around the member's pre-bridge gosub (AgentCalled, the briefing
on the agent's phone, then AgentConnect or AgentRingNoAnswer), and the agent's phone is a fake PBX
FastAGI + AudioSocket leg that hears the briefing and presses keys.
"""

from __future__ import annotations

import contextlib
import uuid
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from ivr.fakepbx.ami_queue_calls import QueueCall
from ivr.fakepbx.audiosocket import BotSpoke, Digit, SilenceUntil, answered, until_the_bot_ends
from ivr.fakepbx.member import offer
from ivr.storage.figures import day_figures
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

TO_AGENT = [answered(), Digit("0"), until_the_bot_ends()]  # keypad 0: a person, support-en


def loud(pcm: bytes) -> float:
    """RMS of 16-bit PCM."""
    samples = np.frombuffer(pcm, dtype=np.int16).astype(np.float64)
    return float(np.sqrt(np.mean(samples**2))) if samples.size else 0.0


async def transferred_and_queued(service, ami, uniqueid: str):
    """A caller transferred by the bot (keypad 0) and waiting in support-en: (fake PBX result, QueueCall)."""
    first = await pbx_for(service).call(TO_AGENT, caller_number=CALLER, uniqueid=uniqueid)
    assert first.variables["IVR_QUEUE"] == QUEUE
    call = queued(first, first.call_uuid)
    await ami.queue_join(call)
    return first, call


PRESS_0_LATER = (answered(), Digit("0"), until_the_bot_ends())


async def back_to_the_bot(service, first, mode: str, script=PRESS_0_LATER):
    """[ivr-return] → [ivr-bot]: the bot runs again on the caller's channel (by default the caller
    presses 0 once the bot has spoken). Returns the fake PBX result, the stored call and the day's figures.
    """
    back = await pbx_for(service).call(
        list(script),
        caller_number=CALLER,
        uniqueid=first.uniqueid,
        agi_args=[f"return:{first.call_uuid}:{mode}"],
    )
    await service.store.wait_flushed()
    record = await service.store.get_call(first.call_uuid)
    figures = await day_figures(service.store.session_factory, record.started_at.date(), ZoneInfo("UTC"))
    return back, record, figures


@pytest.fixture
def warm_call(running_service, monkeypatch, tmp_path):
    """`async with warm_call(uniqueid, mode) as (service, ami, first, call)`: the service with the warm
    queue YAML and one caller transferred by the bot, waiting in support-en (fake PBX result, QueueCall)."""

    @contextlib.asynccontextmanager
    async def start(uniqueid: str, mode: str = "briefing+acceptance"):
        ami = warm_ami()
        queues = warm_queues_yaml(tmp_path, mode)
        async with handoff_service(running_service, monkeypatch, ami, queues=queues) as service:
            first, call = await transferred_and_queued(service, ami, uniqueid)
            yield service, ami, first, call

    return start


def presses(key: str) -> list:
    """The agent's phone: listens to a second of the briefing, presses `key`, stays on the line."""
    return [SilenceUntil(BotSpoke(1.0)), Digit(key), until_the_bot_ends()]


async def test_the_agent_hears_the_briefing_the_caller_does_not_and_accepts(warm_call):
    async with warm_call("1800000000.61") as (service, ami, result, call):
        monitor = service.acd.monitor
        answered = await offer(ami, call, ALICE_MEMBER, member(service), presses("1"))
        await monitor.wait_for(lambda: monitor.seen["AgentConnect"] >= 1)
        await service.store.wait_flushed()
        record = await service.store.get_call(result.call_uuid)
        briefing = record.transfers[-1].context["briefing"]
        spoken = await service.tts.synthesize(briefing["text"], "en", 8000)
        exposition = service.metrics.render()[0].decode()

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
    assert 'ivr_warm_offers_total{choice="accept"} 1.0' in exposition
    events = [e for e in monitor.seen]
    assert events.index("AgentCalled") < events.index("AgentConnect")


async def test_key_2_sends_the_caller_back_to_the_bot_in_the_same_call(warm_call):
    async with warm_call("1800000000.62") as (service, ami, first, call):
        monitor = service.acd.monitor
        call_uuid = first.call_uuid
        declined = await offer(ami, call, ALICE_MEMBER, member(service), presses("2"))
        await monitor.wait_for(lambda: monitor.seen["QueueCallerAbandon"] >= 1)
        back, record, figures = await back_to_the_bot(service, first, "declined")

    assert declined.choice == "back" and declined.gosub_result == "BUSY"
    (setvar,) = [a for a in ami.actions_named("Setvar") if a.get("Variable") == "IVR_RETURN_MODE"]
    (redirect,) = ami.actions_named("Redirect")
    assert (
        setvar.get("Channel") == redirect.get("Channel") == first.channel
        and setvar.get("Value") == "declined"
    )
    assert (redirect.get("Context"), redirect.get("Exten"), redirect.get("Priority")) == (
        "ivr-return",
        "s",
        "1",
    )
    assert back.variables["IVR_CALL_UUID"] == call_uuid, "the same call, not a new one"
    assert back.variables["IVR_ACTION"] == "transfer"
    bot_lines = [t.text for t in record.turns if t.speaker == "bot"]
    assert "The agent could not take your call; let me try to help you myself." in bot_lines
    assert [t.seq for t in record.turns] == list(range(1, len(record.turns) + 1))
    assert len(record.transfers) == 2 and record.outcome == "transferred"
    assert record.transfers[0].context["warm"]["offers"][0]["choice"] == "back"
    assert figures.calls == 1 and figures.abandoned == 0, "one call, and not an abandoned one"


async def test_key_3_passes_the_caller_to_the_next_agent(warm_call):
    async with warm_call("1800000000.63") as (service, ami, result, call):
        monitor = service.acd.monitor
        passed = await offer(ami, call, ALICE_MEMBER, member(service), presses("3"))
        taken = await offer(ami, call, BOB_MEMBER, member(service, "PJSIP/1002"), presses("1"))
        await monitor.wait_for(lambda: monitor.seen["AgentConnect"] >= 1)
        await service.store.wait_flushed()
        record = await service.store.get_call(result.call_uuid)

    assert (passed.choice, passed.gosub_result) == ("pass", "BUSY")
    assert (taken.choice, taken.gosub_result) == ("accept", "")
    assert monitor.seen["AgentRingNoAnswer"] == 1 and ami.actions_named("Redirect") == []
    offers = record.transfers[-1].context["warm"]["offers"]
    assert [(o["agent"], o["choice"]) for o in offers] == [("alice", "pass"), ("bob", "accept")]
    transfer = record.transfers[-1]
    assert transfer.ring_attempts == 2 and transfer.agent_interface == BOB_MEMBER


async def test_no_key_in_time_counts_as_declined(warm_call):
    async with warm_call("1800000000.64") as (service, ami, result, call):
        silent = await offer(
            ami, call, ALICE_MEMBER, member(service), [until_the_bot_ends()], accept_seconds=3
        )
        await service.store.wait_flushed()
        record = await service.store.get_call(result.call_uuid)

    assert (silent.choice, silent.gosub_result) == ("timeout", "BUSY")
    (only,) = record.transfers[-1].context["warm"]["offers"]
    assert only["choice"] == "timeout" and only["seconds"] >= 3
    assert service.acd.monitor.seen["AgentRingNoAnswer"] == 1


async def test_a_caller_sent_back_from_the_desktop_hears_the_bot_continue(warm_call):
    async with warm_call("1800000000.65", mode="briefing") as (service, ami, first, call):
        monitor = service.acd.monitor
        call_uuid = first.call_uuid
        briefed = await offer(
            ami, call, ALICE_MEMBER, member(service), [until_the_bot_ends()], mode="briefing"
        )
        await monitor.wait_for(lambda: monitor.seen["AgentConnect"] >= 1)
        # Alice talks with the caller, then the desktop's back-to-bot (self-service) redirects the caller.
        back, record, figures = await back_to_the_bot(service, first, "self-service")

    assert briefed.choice == "accept" and loud(briefed.heard) > 100
    assert back.variables["IVR_CALL_UUID"] == call_uuid
    bot_lines = [t.text for t in record.turns if t.speaker == "bot"]
    back_at = bot_lines.index("Our agent asked me to help you finish with your request.")
    assert bot_lines[back_at + 1].startswith("How can I help you?"), "the bot continues at its last question"
    assert not any("Welcome back" in line for line in bot_lines)
    assert figures.calls == 1


async def test_a_briefing_that_cannot_run_connects_the_caller(running_service):
    async with running_service() as service:  # no stored briefing for this call: nothing to play
        unknown = QueueCall(uniqueid="1800000000.66", queue=QUEUE, call_uuid=str(uuid.uuid4()))
        answered = await member(service).answer(unknown, [until_the_bot_ends()])
        garbage = await member(service).answer(
            QueueCall(uniqueid="1800000000.67", queue=QUEUE, call_uuid="x"), []
        )
    for result in (answered, garbage):
        assert result.agi_status == "SUCCESS" and result.choice == "accept" and result.gosub_result == ""
        assert not any(c.startswith("EXEC") for c in result.commands), "no stream without a briefing"


async def test_sent_back_for_the_survey_the_caller_rates_the_same_call(running_service):
    async with running_service(paths={"flows": "dialplan"}) as service:
        first = await pbx_for(service).call(TO_AGENT, caller_number=CALLER, uniqueid="1800000000.68")
        # The agent talked with the caller, then chose "survey" on the desktop: [ivr-return] with that mode.
        keypad_4 = (answered(), Digit("4"), until_the_bot_ends())
        rated, record, _ = await back_to_the_bot(service, first, "survey", keypad_4)

    assert rated.variables["IVR_REASON"] == "survey-4" and rated.variables["IVR_ACTION"] == "hangup"
    assert rated.variables["IVR_SURVEY_UUID"] != first.call_uuid, "the survey leg has its own id"
    assert "IVR_CALL_UUID" not in rated.variables, "and leaves the call's id on the channel alone"
    assert record.survey_score == 4
