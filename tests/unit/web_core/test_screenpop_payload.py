"""The screen-pop message built from an AgentCalled and a stored call keeps caller text as plain data."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

from ivr.ami.codec import AmiMessage
from ivr.storage.desk import DispositionRecord
from ivr.storage.records import CallRecord, TransferRecord, TurnRecord
from ivr.web.hub import encode
from ivr.web.screenpop import MAX_TEXT, build_pop, interface_key
from queues.events import queue_event

T0 = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
XSS = "<img src=x onerror=alert(1)>"


def _message(**overrides: str) -> AmiMessage:
    """An AgentCalled as Asterisk lays it out."""
    headers = {
        "Event": "AgentCalled",
        "Uniqueid": "1.1",
        "Linkedid": "1.0",
        "CallerIDNum": "5551234",
        "CallerIDName": XSS,
        "Queue": "support",
        "Interface": "Local/agent1@agents/n",
        "MemberName": "Agent One",
    }
    headers.update(overrides)
    return AmiMessage(tuple(headers.items()))


def _call(uuid: str = "c1", text: str = "hi", started: datetime = T0, **fields) -> CallRecord:
    """A stored call with one caller turn and one transfer."""
    turn = TurnRecord(1, "caller", text, started, started + timedelta(seconds=1), 0.9, None, False, {})
    transfer = TransferRecord(
        started,
        "angry",
        "support",
        5,
        "Summary " + XSS,
        {"intent": "x", "tier": "vip", "language": "fr"},
        None,
        None,
        None,
        None,
        None,
        None,
        None,
    )
    values = dict(
        call_uuid=uuid,
        agi_uniqueid="1.1",
        linkedid="1.0",
        channel="Local/100@hotline-1;2",
        caller_number="5551234",
        caller_name=XSS,
        language="en",
        started_at=started,
        ended_at=None,
        end_reason=None,
        outcome="transferred",
        queue="support",
        survey_score=4,
        meta={},
        turns=(turn,),
        transfers=(transfer,),
    )
    values.update(fields)
    return CallRecord(**values)


def test_the_event_is_read_in_snake_case_and_unknown_caller_ids_become_none() -> None:
    event = queue_event(_message(CallerIDName="<unknown>", HoldTime="3"), None)
    assert (event.uniqueid, event.linkedid, event.queue, event.member_name) == (
        "1.1",
        "1.0",
        "support",
        "Agent One",
    )
    assert event.caller_name is None and event.extra == {"HoldTime": "3"}


def test_local_interfaces_lose_the_n_suffix_only() -> None:
    assert interface_key("Local/agent1@agents/n") == "Local/agent1@agents"
    assert interface_key("PJSIP/1001") == "PJSIP/1001"
    assert interface_key("SIP/n") == "SIP/n"


def test_a_known_call_pops_its_context_and_keeps_markup_as_text() -> None:
    previous = _call("c0", started=T0 - timedelta(days=1))
    disposition = DispositionRecord("c0", 1, "billing", "<b>done</b>", True, T0)
    pop = build_pop(
        queue_event(_message(), None), _call(text="<script>x</script>"), [previous], {"c0": [disposition]}
    )
    assert pop["caller"]["name"] == XSS
    assert pop["transcript"][0]["text"] == "<script>x</script>"
    assert (pop["reason"], pop["tier"], pop["language"], pop["intent"]) == ("angry", "vip", "fr", "x")
    assert pop["summary"] == "Summary " + XSS
    assert pop["history"][0]["dispositions"] == [
        {"category": "billing", "notes": "<b>done</b>", "resolved": True}
    ]
    assert json.loads(encode(pop))["caller"]["name"] == XSS


def test_an_unknown_call_pops_what_asterisk_said() -> None:
    pop = build_pop(queue_event(_message(), None), None, [], {})
    assert pop["known"] is False and pop["caller"] == {"number": "5551234", "name": XSS}
    assert "transcript" not in pop and pop["queue"] == "support"


def test_very_long_caller_text_is_clipped() -> None:
    pop = build_pop(queue_event(_message(), None), _call(text="a" * (MAX_TEXT + 50)), [], {})
    assert len(pop["transcript"][0]["text"]) == MAX_TEXT


def test_the_pop_carries_the_briefing_and_the_earlier_agents_choices() -> None:
    context = {
        "briefing": {"text": "Support, English. " + XSS, "language": "en"},
        "warm": {
            "choice": "pass",
            "offers": [{"agent": "alice", "choice": "pass", "seconds": 4.2, "at": "t", "briefing": "long"}],
        },
    }
    transfer = dataclasses.replace(_call().transfers[0], context=context)
    pop = build_pop(queue_event(_message(), None), _call(transfers=(transfer,)), [], {})
    assert pop["briefing"] == "Support, English. " + XSS
    offer = {"agent": "alice", "choice": "pass", "seconds": 4.2, "at": "t"}
    assert pop["warm"] == {"choice": "pass", "offers": [offer]}
    cold = build_pop(queue_event(_message(), None), _call(), [], {})
    assert cold["briefing"] is None and cold["warm"] is None
