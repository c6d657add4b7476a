"""The whole hand-off through the real service: shipped flows and queues, fake PBX calls, fake Asterisk AMI.

Each test starts IvrService with dialplan/telecom.yaml and config/queues.yaml, connected to a FakeAmiServer
whose QueueStatus tells the service who waits in support-en and whether Alice is free. Calls come in
through the fake PBX (FastAGI + AudioSocket, real-time audio); queue life after the hand-off is played
with the fake AMI's app_queue event sequences.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from ivr.fakepbx.ami_queue_calls import QueueCall
from ivr.fakepbx.audiosocket import Digit, answered, until_the_bot_ends
from ivr.storage.figures import ReasonShare, day_figures
from queues.status import WaitEstimate
from tests.e2e.handoff_support import (
    ALICE,
    QUEUE,
    callback_rows,
    callers_waiting,
    fake_ami,
    handoff_service,
    set_busy,
)
from tests.support.calls import callback_booking, pbx_for

VIP = "5550100"  # silver tier in config/queues.yaml: priority 5, transferred at the greeting (vip_direct)
CALLER = "5551234"


def played_in_full(turn) -> bool:
    """The caller heard every frame of this bot turn."""
    return turn.interrupted is False and turn.meta["played_seconds"] == turn.meta["total_seconds"]


async def test_a_vip_is_queued_with_priority_and_told_place_and_expected_wait(running_service, monkeypatch):
    ami = fake_ami()
    set_busy(ami)  # Alice is talking: nobody is free, so the wait is H * (ahead + 1/2) / staffed
    ami.queue_stats[QUEUE] = {"talktime": 120}  # H = 120 s (QueueParams TalkTime, no wrap-up)
    await callers_waiting(ami, [0, 5, 0])  # one other VIP (priority 5) and two ordinary callers
    async with handoff_service(running_service, monkeypatch, ami) as service:
        # Only the other VIP stands ahead of a priority-5 caller: place 2, 1.5 * 120 s.
        assert service.acd.live.estimate(QUEUE, 5) == WaitEstimate(position=2, seconds=180.0)
        result = await pbx_for(service).call([until_the_bot_ends()], caller_number=VIP, max_seconds=40)
        await service.store.wait_flushed()
        record = await service.store.get_call(result.call_uuid)

    assert result.audiosocket_result == 0 and result.agi_status == "SUCCESS"
    assert result.variables["IVR_ACTION"] == "transfer"
    assert result.variables["IVR_QUEUE"] == QUEUE
    assert result.variables["IVR_PRIORITY"] == "5"
    assert result.variables["IVR_REASON"] == "vip"
    assert result.next_step == f"queue {QUEUE}"
    notice = record.turns[-1]
    assert notice.speaker == "bot"
    assert notice.text == (
        "Welcome, valued customer. I'm connecting you to a customer service agent. "
        "You are number 2 in line. The expected wait is about 3 minutes."
    )
    assert played_in_full(notice), notice.meta
    assert record.outcome == "transferred" and record.queue == QUEUE
    (transfer,) = record.transfers
    assert (transfer.queue, transfer.priority, transfer.reason) == (QUEUE, 5, "vip")
    assert transfer.summary.splitlines()[0] == f"Caller {VIP} (en, VIP silver) did not say what they need."
    assert "VIP caller" in transfer.summary.splitlines()[1]
    ctx = transfer.context
    assert (ctx["tier"], ctx["queue"], ctx["skill"], ctx["flow"]) == ("silver", QUEUE, "support", "telecom")
    assert (ctx["position"], ctx["expected_wait"]) == (2, 180.0)


async def test_a_callback_keeps_the_place_and_is_originated_when_the_turn_comes(running_service, monkeypatch):
    ami = fake_ami()
    set_busy(ami)
    ami.queue_stats[QUEUE] = {"talktime": 120}
    ahead = await callers_waiting(ami, [0, 0, 0])  # 3.5 * 120 s = 420 s > callback_threshold 300
    async with handoff_service(running_service, monkeypatch, ami) as service:
        monitor = service.acd.monitor
        script = callback_booking()
        result = await pbx_for(service).call(script, caller_number=CALLER, max_seconds=45)
        await service.store.wait_flushed()
        record = await service.store.get_call(result.call_uuid)
        (requested,) = await callback_rows(service)
        assert ami.actions_named("Originate") == []

        # The three callers ahead are served one after the other; Alice frees up after the last one.
        for n, call in enumerate(ahead, 1):
            await ami.agent_connect(call, ALICE)
            await ami.agent_complete(call, ALICE, talk=30)
            if n < len(ahead):  # someone is still ahead: the callback must wait
                await monitor.wait_for(lambda n=n: monitor.seen["Hangup"] >= n)
                assert ami.actions_named("Originate") == [], f"originated with {len(ahead) - n} ahead"
        await ami.wait_until(lambda: len(ami.actions_named("Originate")) >= 1)
        await monitor.wait_for(lambda: monitor.seen["OriginateResponse"] >= 1)
        await ami.emit({"Event": "QueueMemberStatus", **ami.queues[QUEUE][ALICE]})  # one more tick
        await monitor.wait_for(lambda: monitor.seen["QueueMemberStatus"] >= len(ahead) * 2 + 1)
        await service.store.wait_flushed()
        (done,) = await callback_rows(service)

    assert result.variables["IVR_ACTION"] == "hangup" and result.variables["IVR_REASON"] == "callback"
    assert result.next_step == "hangup"
    bot_lines = [t.text for t in record.turns if t.speaker == "bot"]
    assert "You are number 4 in line. The expected wait is about 7 minutes." in " ".join(bot_lines)
    assert "Press 1 to be called back, or stay on the line." in bot_lines
    assert bot_lines[-1] == "Thank you. We will call you back as soon as possible. Goodbye."
    assert [t.dtmf for t in record.turns if t.dtmf] == ["0", "1"]

    assert requested["state"] == "requested" and requested["call_uuid"] == result.call_uuid
    assert (requested["number"], requested["queue"], requested["priority"]) == (CALLER, QUEUE, 0)
    assert requested["position"] == 4 and requested["reason"] == "keypad-0"
    assert sorted(requested["ahead"]["uniqueids"]) == sorted(c.uniqueid for c in ahead)

    (originate,) = ami.actions_named("Originate")
    callback_id = requested["callback_id"]
    assert originate.get("Channel") == f"Local/{callback_id}@ivr-callback-hold/n"
    assert originate.get("Context") == "ivr-callback-dial"
    assert originate.get("Exten") == CALLER
    variables = originate.get_all("Variable")
    assert f"IVR_QUEUE={QUEUE}" in variables and "IVR_PRIORITY=0" in variables
    assert f"IVR_CALLBACK_ID={callback_id}" in variables
    assert done["callback_id"] == callback_id and done["state"] == "connected" and done["attempts"] == 1


async def test_an_answered_and_rated_call_shows_in_the_day_figures(running_service, monkeypatch):
    ami = fake_ami()  # Alice free, nobody waiting
    async with handoff_service(running_service, monkeypatch, ami) as service:
        monitor = service.acd.monitor
        script = [answered(), Digit("0"), until_the_bot_ends()]
        result = await pbx_for(service).call(script, caller_number=CALLER, uniqueid="1800000000.42")
        assert result.variables["IVR_ACTION"] == "transfer" and result.variables["IVR_QUEUE"] == QUEUE
        call_uuid = result.call_uuid

        # The dialplan queues THIS channel (same Uniqueid); Alice answers and talks for 42 s.
        queued = QueueCall(uniqueid=result.uniqueid, queue=QUEUE, number=CALLER, call_uuid=call_uuid)
        for step in ami.answered_steps(queued, ALICE, talk=42):
            await step()
        await monitor.wait_for(lambda: monitor.seen["AgentComplete"] >= 1)
        await service.store.wait_flushed()

        # Alice hangs up; the dialplan sends the caller to the survey with the call's uuid.
        survey = await pbx_for(service).call(
            [answered(), Digit("4"), until_the_bot_ends()],
            script="survey",
            agi_args=[call_uuid],
            max_seconds=30,
        )
        await service.store.wait_flushed()
        record = await service.store.get_call(call_uuid)
        survey_leg = await service.store.get_call(survey.variables["IVR_SURVEY_UUID"])
        figures = await day_figures(service.store.session_factory, record.started_at.date(), ZoneInfo("UTC"))

    assert survey.variables["IVR_ACTION"] == "hangup" and survey.variables["IVR_REASON"] == "survey-4"
    assert survey_leg.meta["kind"] == "survey" and survey_leg.meta["survey_for"] == call_uuid
    assert record.survey_score == 4
    (transfer,) = record.transfers
    assert (transfer.reason, transfer.queue, transfer.priority) == ("keypad-0", QUEUE, 0)
    stamps = [transfer.created_at, transfer.queued_at, transfer.agent_called_at, transfer.answered_at,
              transfer.completed_at]  # fmt: skip
    assert None not in stamps and stamps == sorted(stamps), stamps
    assert (transfer.agent_interface, transfer.agent_name) == (ALICE, "Alice Chen")
    assert transfer.talk_seconds == 42 and transfer.end_party == "agent"

    assert figures.calls == 1, "the survey leg is part of the call, not a call of its own"
    assert (figures.transferred_calls, figures.transfers, figures.answered) == (1, 1, 1)
    assert (figures.survey_count, figures.satisfaction_avg) == (1, 4.0)
    assert figures.asa_avg_s == (transfer.answered_at - transfer.queued_at).total_seconds()
    assert figures.aht_avg_s == (transfer.completed_at - transfer.answered_at).total_seconds()
    assert figures.transfers_by_reason == (ReasonShare("keypad-0", 1, 1.0),)
    assert figures.abandoned == 0
