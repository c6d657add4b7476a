"""Real captures and scripted app_queue sequences through FakeAmiServer -> AmiClient -> QueueMonitor."""

from __future__ import annotations

from ivr.fakepbx.ami_queue_calls import QueueCall
from ivr.storage.queue_ops import transfer_phases_of
from queues.events import QueueChanged, QueueEvent
from queues.live import READY, RINGING, TALKING

from .conftest import CAPTURES, Rig, call_with_transfer

AGENT1, AGENT2 = "Local/agent1@agents/n", "Local/agent2@agents/n"


def _record_states(rig: Rig) -> list[tuple[str, str | None, tuple[str, ...], str]]:
    """Listener log: (event, call_uuid, callers waiting in support, agent1's state) after each event."""
    log: list[tuple[str, str | None, tuple[str, ...], str]] = []

    def listener(event: QueueEvent) -> None:
        if isinstance(event, QueueChanged):  # member changes and resyncs: not caller events
            return
        view = next(q for q in rig.live.snapshot(rig.monitor._clock()) if q.name == event.queue)
        states = {m.interface: m.state for m in view.members}
        log.append(
            (
                event.ami_event,
                event.call_uuid,
                tuple(c.uniqueid for c in view.callers),
                states.get(AGENT1, "-"),
            )
        )

    rig.monitor.subscribe(listener)
    return log


async def test_answered_capture_updates_live_state_and_transfer_timings(rig: Rig) -> None:
    call_uuid = await call_with_transfer(rig.store, "1795272894.1", "support")
    log = _record_states(rig)
    await rig.server.replay(CAPTURES / "transfer-answered" / "ami-events.txt")
    await rig.monitor.wait_for(lambda: rig.monitor.seen["AgentComplete"] == 1)
    await rig.store.wait_flushed()
    caller = ("1795272894.1",)
    assert log == [
        ("QueueCallerJoin", call_uuid, caller, READY),
        ("AgentCalled", call_uuid, caller, RINGING),
        ("QueueCallerLeave", call_uuid, (), RINGING),
        ("AgentConnect", call_uuid, (), TALKING),
        ("AgentComplete", call_uuid, (), READY),
    ]
    [phases] = await transfer_phases_of(rig.store.session_factory, call_uuid)
    assert phases.queued_at <= phases.agent_called_at <= phases.answered_at <= phases.completed_at
    assert (phases.agent_name, phases.agent_interface) == ("Agent One", AGENT1)
    assert (phases.ring_attempts, phases.hold_seconds, phases.talk_seconds) == (1, 0, 5)
    assert phases.end_party == "agent" and phases.abandoned_at is None
    assert phases.queue_uniqueid == "1795272894.1"


async def test_abandon_capture_records_the_wait(rig: Rig) -> None:
    call_uuid = await call_with_transfer(rig.store, "1795273033.11", "billing")
    await rig.server.replay(CAPTURES / "abandon" / "ami-events.txt")
    await rig.monitor.wait_for(lambda: rig.monitor.seen["QueueCallerLeave"] == 1)
    await rig.store.wait_flushed()
    [phases] = await transfer_phases_of(rig.store.session_factory, call_uuid)
    assert phases.abandoned_at is not None and phases.abandoned_at >= phases.queued_at
    assert (phases.hold_seconds, phases.abandon_position, phases.end_party) == (11, 1, "caller")
    assert phases.answered_at is None and phases.agent_called_at is None
    assert rig.live.waiting("billing") == {}


async def test_ring_no_answer_then_another_agent(rig: Rig) -> None:
    rig.server.add_member("support", AGENT2, MemberName="Agent Two")
    await rig.monitor.resync()
    call_uuid = await call_with_transfer(rig.store, "1800000000.5", "support")
    call = QueueCall("1800000000.5", "support", call_uuid=call_uuid)
    log = _record_states(rig)
    for step in rig.server.ring_no_answer_steps(call, AGENT1, AGENT2):
        await step()
    await rig.monitor.wait_for(lambda: rig.monitor.seen["AgentComplete"] == 1)
    await rig.store.wait_flushed()
    assert [(name, state) for name, _, _, state in log] == [
        ("QueueCallerJoin", READY),
        ("AgentCalled", RINGING),
        ("AgentRingNoAnswer", READY),
        ("AgentCalled", READY),  # the second agent rings; agent1 is free again
        ("QueueCallerLeave", READY),
        ("AgentConnect", READY),
        ("AgentComplete", READY),
    ]
    [phases] = await transfer_phases_of(rig.store.session_factory, call_uuid)
    assert (phases.ring_attempts, phases.agent_name, phases.agent_interface) == (2, "Agent Two", AGENT2)
    assert (phases.talk_seconds, phases.end_party) == (7, "caller")
    assert rig.live.call_uuid_of(call.uniqueid) is None  # forgotten after the caller's Hangup


async def test_reconnect_mid_call_resyncs_the_same_state_without_duplicate_timings(rig: Rig) -> None:
    call_uuid = await call_with_transfer(rig.store, "1800000000.7", "support")
    call = QueueCall("1800000000.7", "support", call_uuid=call_uuid)
    join, ring, connect, complete = rig.server.answered_steps(call, AGENT1, talk=9)
    await join()
    await ring()
    await rig.monitor.wait_for(lambda: rig.monitor.seen["AgentCalled"] == 1)
    await rig.store.wait_flushed()
    [before] = await transfer_phases_of(rig.store.session_factory, call_uuid)
    now = rig.monitor._clock()
    state_before = [
        (q.name, q.callers[:1] and q.callers[0].uniqueid, q.members) for q in rig.live.snapshot(now)
    ]

    await rig.server.drop_connections()
    await rig.monitor.wait_for(lambda: rig.monitor.resyncs >= 2)
    state_after = [
        (q.name, q.callers[:1] and q.callers[0].uniqueid, q.members) for q in rig.live.snapshot(now)
    ]
    assert state_after == state_before
    assert rig.live.waiting("support") == {call.uniqueid: 0}

    await connect()
    await complete()
    await rig.monitor.wait_for(lambda: rig.monitor.seen["AgentComplete"] == 1)
    await rig.store.wait_flushed()
    [after] = await transfer_phases_of(rig.store.session_factory, call_uuid)
    assert (after.queued_at, after.agent_called_at) == (before.queued_at, before.agent_called_at)
    assert (after.ring_attempts, after.talk_seconds, after.agent_name) == (1, 9, "Agent One")
    assert after.answered_at is not None and after.completed_at is not None
    assert rig.server.actions_named("QueueStatus").__len__() == 2
