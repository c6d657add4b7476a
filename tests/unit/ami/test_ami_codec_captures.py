"""AmiDecoder against the real Asterisk captures: whole, byte by byte, and the queue facts they show."""

from pathlib import Path

import pytest

from ivr.ami.codec import AmiBanner, AmiDecoder, AmiMessage

CAPTURES = Path(__file__).parents[2] / "fixtures" / "asterisk-captures"
SCENARIOS = ["transfer-answered", "dtmf", "caller-hangup", "abandon"]


def asterisk_text(scenario: str) -> bytes:
    """What Asterisk sent: the capture without the `>>>` lines our capture client wrote."""
    lines = (CAPTURES / scenario / "ami-events.txt").read_bytes().splitlines(keepends=True)
    return b"".join(line for line in lines if not line.startswith(b">>>"))


def decode_whole(data: bytes) -> list[AmiBanner | AmiMessage]:
    return AmiDecoder().feed(data)


def decode_bytewise(data: bytes) -> list[AmiBanner | AmiMessage]:
    decoder = AmiDecoder()
    out: list[AmiBanner | AmiMessage] = []
    for i in range(len(data)):
        out += decoder.feed(data[i : i + 1])
    return out


def events(scenario: str) -> list[AmiMessage]:
    return [m for m in decode_whole(asterisk_text(scenario)) if isinstance(m, AmiMessage) and m.event]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_whole_and_bytewise_decoding_agree(scenario: str) -> None:
    data = asterisk_text(scenario)
    whole = decode_whole(data)
    assert decode_bytewise(data) == whole
    assert whole[0] == AmiBanner("Asterisk Call Manager/13.0.0")
    assert whole[0].version == "13.0.0"
    # One message per blank-line-terminated block after the banner line.
    assert len(whole) - 1 == data.count(b"\r\n\r\n")
    assert sum(1 for m in whole[1:] if m.event) == data.count(b"\r\nEvent: ") + data.startswith(b"Event: ")


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_login_and_originate_replies_come_first(scenario: str) -> None:
    messages = decode_whole(asterisk_text(scenario))[1:]
    replies = [m for m in messages if isinstance(m, AmiMessage) and m.response and not m.event]
    assert len(replies) == 2
    login, originate_ack = replies
    assert (login.response, login.action_id, login.get("Message")) == (
        "Success",
        "login-1",
        "Authentication accepted",
    )
    assert messages[1].event == "FullyBooted"
    assert originate_ack.get("message") == "Originate successfully queued"
    originate = [m for m in messages if m.event == "OriginateResponse"]
    assert [m.action_id for m in originate] == ["orig-1"]
    # OriginateResponse carries a Response header too: it must still be classified as an event.
    assert originate[0].response == "Success"


def test_transfer_answered_queue_events_in_order() -> None:
    evs = events("transfer-answered")
    wanted = ["QueueCallerJoin", "AgentCalled", "QueueCallerLeave", "AgentConnect", "AgentComplete"]
    assert [m.event for m in evs if m.event in wanted] == wanted
    join = next(m for m in evs if m.event == "QueueCallerJoin")
    called = next(m for m in evs if m.event == "AgentCalled")
    assert called.get("DestLinkedid") == join.get("Linkedid") == "1795272894.0"
    assert called.get("destlinkedid") == called.get("DESTLINKEDID")
    assert (called.get("Queue"), called.get("Interface"), called.get("MemberName")) == (
        "support",
        "Local/agent1@agents/n",
        "Agent One",
    )
    complete = next(m for m in evs if m.event == "AgentComplete")
    assert complete.get("Reason") in {"caller", "agent", "transfer"}
    assert int(complete.get("TalkTime") or "x") >= 0


def test_abandon_has_caller_abandon_with_hold_time() -> None:
    evs = events("abandon")
    wanted = ["QueueCallerJoin", "QueueCallerAbandon", "QueueCallerLeave"]
    assert [m.event for m in evs if m.event and m.event.startswith("QueueCaller")] == wanted
    abandon = next(m for m in evs if m.event == "QueueCallerAbandon")
    assert abandon.get("Queue") == "billing"
    assert int(abandon.get("HoldTime") or "x") >= 0
    assert not [m for m in evs if m.event == "AgentCalled"]


def test_empty_values_and_unknown_caller_id_survive() -> None:
    newchannel = next(m for m in events("transfer-answered") if m.event == "Newchannel")
    assert newchannel.get("AccountCode") == ""
    assert newchannel.get("CallerIDNum") == "<unknown>"
    assert "AccountCode" in newchannel
    assert newchannel.get("NoSuchHeader", "dflt") == "dflt"
