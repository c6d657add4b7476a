"""TransferTimings: the captures' queue events become transfer phase updates."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from ivr.ami.codec import AmiMessage
from ivr.fakepbx.ami import parse_capture
from queues.transfer_timings import TransferTimings, event_time

CAPTURES = Path(__file__).parents[2] / "fixtures" / "asterisk-captures"
T0 = datetime(2026, 11, 21, 14, 0, tzinfo=UTC)


def _feed(capture: str) -> dict[str, dict]:
    tracker, out = TransferTimings(), {}
    for i, m in enumerate(parse_capture(CAPTURES / capture / "ami-events.txt")):
        for update in tracker.feed(m, T0 + timedelta(seconds=i)):
            assert update.uniqueid in ("1795272894.1", "1795273033.11")
            out[update.event] = dict(update.values)
    assert tracker.tracked == 0  # every followed caller finished
    return out


def test_answered_capture_gives_every_phase() -> None:
    out = _feed("transfer-answered")
    assert set(out) == {"QueueCallerJoin", "AgentCalled", "AgentConnect", "AgentComplete"}
    assert out["AgentCalled"]["ring_attempts"] == 1
    assert out["QueueCallerJoin"]["queued_at"] < out["AgentCalled"]["agent_called_at"]
    assert out["AgentConnect"]["agent_name"] == "Agent One"
    assert out["AgentConnect"]["agent_interface"] == "Local/agent1@agents/n"
    assert out["AgentConnect"]["hold_seconds"] == 0
    assert out["AgentComplete"]["talk_seconds"] == 5 and out["AgentComplete"]["end_party"] == "agent"


def test_abandon_capture_records_the_wait_and_position() -> None:
    out = _feed("abandon")
    abandon = out["QueueCallerAbandon"]
    assert abandon["hold_seconds"] == 11 and abandon["abandon_position"] == 1
    assert abandon["end_party"] == "caller" and abandon["abandoned_at"] > out["QueueCallerJoin"]["queued_at"]


def test_rings_are_counted_and_resync_only_fills_unknown_callers() -> None:
    tracker = TransferTimings()
    join = AmiMessage((("Event", "QueueCallerJoin"), ("Queue", "q"), ("Uniqueid", "u1")))
    called = AmiMessage((("Event", "AgentCalled"), ("Queue", "q"), ("Uniqueid", "u1"), ("Interface", "a")))
    tracker.feed(join, T0)
    counts = [tracker.feed(called, T0)[0].values["ring_attempts"] for _ in range(3)]
    assert counts == [1, 2, 3]
    entries = [
        AmiMessage((("Event", "QueueEntry"), ("Queue", "q"), ("Uniqueid", "u1"), ("Wait", "4"))),
        AmiMessage((("Event", "QueueEntry"), ("Queue", "q"), ("Uniqueid", "u2"), ("Wait", "4"))),
    ]
    updates = tracker.resync(entries, T0)
    assert [(u.uniqueid, u.values["queued_at"]) for u in updates] == [("u2", T0 - timedelta(seconds=4))]


def test_event_timestamp_header_wins_over_now() -> None:
    stamped = AmiMessage((("Event", "X"), ("Timestamp", "1795272894.500000")))
    assert event_time(stamped, T0) == datetime.fromtimestamp(1795272894.5, UTC)
    assert event_time(AmiMessage((("Event", "X"), ("Timestamp", "junk"))), T0) == T0
