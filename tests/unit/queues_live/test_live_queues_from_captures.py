"""LiveQueues fed the real captures' events, QueueStatus items, and garbage."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from ivr.ami.codec import AmiMessage
from ivr.fakepbx.ami import parse_capture
from queues.live import PAUSED, READY, RINGING, TALKING, UNAVAILABLE, LiveQueues

CAPTURES = Path(__file__).parents[2] / "fixtures" / "asterisk-captures"
T0 = datetime(2026, 11, 21, 14, 0, tzinfo=UTC)
CALLER = "1795272894.1"
AGENT = "Local/agent1@agents/n"


def msg(**headers: str | int) -> AmiMessage:
    return AmiMessage(tuple((k, str(v)) for k, v in headers.items()))


def _member_state(live: LiveQueues, queue: str, interface: str) -> str:
    view = next(q for q in live.snapshot(T0) if q.name == queue)
    return next(m.state for m in view.members if m.interface == interface)


def test_transfer_answered_capture_walks_join_ring_talk_complete() -> None:
    live = LiveQueues(uuid_variables=("CALL_UUID",))
    member = msg(Event="QueueMember", Queue="support", Name="Agent One", Location=AGENT, Status=1, Paused=0)
    live.rebuild([member], T0)  # what the monitor's QueueStatus after login gives
    seen: dict[str, tuple] = {}
    for m in parse_capture(CAPTURES / "transfer-answered" / "ami-events.txt"):
        live.apply(m, T0)
        if m.event in ("QueueCallerJoin", "AgentCalled", "AgentConnect", "AgentComplete"):
            view = live.snapshot(T0 + timedelta(seconds=3))[0]
            seen[m.event] = (
                view.name,
                [c.uniqueid for c in view.callers],
                _member_state(live, "support", AGENT),
            )
    assert seen["QueueCallerJoin"] == ("support", [CALLER], READY)
    assert seen["AgentCalled"] == ("support", [CALLER], RINGING)
    assert seen["AgentConnect"] == ("support", [], TALKING)
    assert seen["AgentComplete"] == ("support", [], READY)
    assert live.call_uuid_of(CALLER) == "da5eb3a7-426c-4a1e-84bb-97b62a89bebc"
    # AgentComplete's TalkTime (5 s) is now the queue's handle time
    assert live.snapshot(T0)[0].handle_seconds == 5
    assert live.snapshot(T0)[0].completed == 1


def test_abandon_capture_counts_and_empties_the_queue() -> None:
    live = LiveQueues()
    for m in parse_capture(CAPTURES / "abandon" / "ami-events.txt"):
        live.apply(m, T0)
    billing = next(q for q in live.snapshot(T0) if q.name == "billing")
    assert billing.callers == () and billing.abandoned == 1


def test_positions_priorities_and_the_view_protocol() -> None:
    live = LiveQueues()
    live.rebuild(
        [
            msg(Event="QueueParams", Queue="q", TalkTime=100, Completed=3, Abandoned=1),
            msg(Event="QueueMember", Queue="q", Name="A", Location="PJSIP/a", Status=1, Paused=0, InCall=0),
            msg(Event="QueueMember", Queue="q", Name="B", Location="PJSIP/b", Status=2, Paused=0, InCall=1),
            msg(Event="QueueMember", Queue="q", Name="C", Location="PJSIP/c", Status=1, Paused=1, InCall=0),
            msg(Event="QueueMember", Queue="q", Name="D", Location="PJSIP/d", Status=5, Paused=0, InCall=0),
            msg(Event="QueueEntry", Queue="q", Position=1, Uniqueid="u1", Wait=30, Priority=5),
            msg(Event="QueueEntry", Queue="q", Position=2, Uniqueid="u2", Wait=10, Priority=0),
        ],
        T0,
    )
    states = {m.interface: m.state for m in live.snapshot(T0)[0].members}
    assert states == {"PJSIP/a": READY, "PJSIP/b": TALKING, "PJSIP/c": PAUSED, "PJSIP/d": UNAVAILABLE}
    assert (live.agents_logged_in("q"), live.agents_available("q"), live.agents_staffed("q")) == (4, 1, 2)
    assert live.callers_ahead("q", 5) == ["u1"] and live.callers_ahead("q", 0) == ["u1", "u2"]
    assert live.snapshot(T0)[0].callers[0].waited_seconds == 30
    # 2 ahead, 1 free, 2 staffed, H = 100 (seeded from TalkTime): 100 * (2 - 1 + 0.5) / 2
    estimate = live.estimate("q", 0)
    assert estimate is not None and (estimate.position, estimate.seconds) == (3, 75.0)
    assert live.estimate("nope", 0) is None
    live.apply(msg(Event="QueueCallerJoin", Queue="q", Uniqueid="u3", Position=1, Count=3), T0)
    live.apply(msg(Event="QueueCallerLeave", Queue="q", Uniqueid="u1", Position=2, Count=2), T0)
    assert [(c.uniqueid, c.position) for c in live.snapshot(T0)[0].callers] == [("u3", 1), ("u2", 2)]


def test_rebuild_keeps_who_rings_and_join_times() -> None:
    live = LiveQueues()
    join = msg(Event="QueueCallerJoin", Queue="q", Uniqueid="u1", Position=1, Count=1)
    called = msg(Event="AgentCalled", Queue="q", Uniqueid="u1", Interface="PJSIP/a", MemberName="A")
    live.apply(join, T0)
    live.apply(called, T0)
    status = [
        msg(Event="QueueMember", Queue="q", Name="A", Location="PJSIP/a", Status=1, Paused=0, InCall=0),
        msg(Event="QueueEntry", Queue="q", Position=1, Uniqueid="u1", Wait=99, Priority=0),
    ]
    live.rebuild(status, T0 + timedelta(seconds=5))
    view = live.snapshot(T0 + timedelta(seconds=5))[0]
    assert view.members[0].state == RINGING and view.members[0].with_caller == "u1"
    assert view.callers[0].waited_seconds == 5  # the join we saw beats the reply's rounding
    live.rebuild(status[:1], T0)  # the caller left while we were away: no ghost ringing
    assert live.snapshot(T0)[0].members[0].state == READY and live.snapshot(T0)[0].callers == ()


def test_dial_end_cancel_stops_ringing_and_hangup_drops_ghost_callers() -> None:
    live = LiveQueues()
    live.apply(msg(Event="QueueCallerJoin", Queue="q", Uniqueid="u1", Position=1), T0)
    live.apply(msg(Event="AgentCalled", Queue="q", Uniqueid="u1", Interface="PJSIP/a", DestUniqueid="d1"), T0)
    live.apply(msg(Event="DialEnd", Uniqueid="u1", DestUniqueid="d1", DialStatus="CANCEL"), T0)
    assert _member_state(live, "q", "PJSIP/a") == READY
    live.apply(msg(Event="Hangup", Uniqueid="u1", Cause=16), T0)
    assert live.waiting("q") == {}


headers = st.lists(
    st.tuples(
        st.sampled_from(["Event", "Queue", "Uniqueid", "Position", "Interface", "Status", "Paused", "Wait",
                         "Priority", "TalkTime", "Variable", "Value", "DestUniqueid", "InCall", "Location"]),
        st.one_of(st.text(max_size=8), st.sampled_from(["QueueCallerJoin", "QueueCallerLeave", "AgentCalled",
                  "AgentConnect", "AgentComplete", "QueueMemberStatus", "VarSet", "Hangup", "QueueEntry",
                  "QueueMember", "q", "1", "-3", "nan", "1e9"])),
    ),
    max_size=8,
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.lists(headers, max_size=12))
def test_garbage_events_never_raise(events: list[list[tuple[str, str]]]) -> None:
    live = LiveQueues()
    messages = [AmiMessage(tuple(h)) for h in events]
    for m in messages:
        live.apply(m, T0)
    live.rebuild(messages, T0)
    for view in live.snapshot(T0):
        live.estimate(view.name, 0)
        assert all(c.position >= -(10**9) for c in view.callers)
