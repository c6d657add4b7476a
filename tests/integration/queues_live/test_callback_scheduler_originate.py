"""CallbackScheduler: place kept, one Originate, failures retried, pending requests reloaded on restart."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from ivr.fakepbx.ami import FakeAmiServer
from ivr.fakepbx.ami_queue_calls import QueueCall
from ivr.storage.queue_ops import callback_row
from ivr.storage.store import CallStore
from queues.callbacks import CallbackPolicy

from .conftest import Rig, start_rig

AGENT1 = "Local/agent1@agents/n"


async def _pause(rig: Rig, paused: bool) -> None:
    count = rig.monitor.seen["QueueMemberPause"]
    reply = await rig.client.send_action("QueuePause", {"Interface": AGENT1, "Paused": str(paused).lower()})
    assert reply.ok
    await rig.monitor.wait_for(lambda: rig.monitor.seen["QueueMemberPause"] == count + 1)


async def _abandon(rig: Rig, call: QueueCall) -> None:
    count = rig.monitor.seen["QueueCallerLeave"]
    await rig.server.caller_abandon(call)
    await rig.monitor.wait_for(lambda: rig.monitor.seen["QueueCallerLeave"] == count + 1)


async def test_place_is_kept_until_callers_ahead_left_and_an_agent_is_free(rig: Rig) -> None:
    await _pause(rig, True)
    first, second = QueueCall("1800000001.1", "support"), QueueCall("1800000001.2", "support")
    for call in (first, second):
        await rig.server.queue_join(call)
    await rig.monitor.wait_for(lambda: rig.monitor.seen["QueueCallerJoin"] == 2)

    ticket = await rig.scheduler.request("call-1", "5551234", "support", 0, "long wait", "billing", {"k": 1})
    assert ticket.position == 3
    await rig.scheduler.tick()
    await _abandon(rig, first)
    await _abandon(rig, second)
    assert rig.server.actions_named("Originate") == []  # both gone, but the only agent is paused

    await _pause(rig, False)
    await rig.monitor.wait_for(lambda: rig.monitor.seen["OriginateResponse"] == 1)
    await rig.scheduler.tick()  # nothing more is due: exactly one Originate
    [originate] = rig.server.actions_named("Originate")
    assert originate.get("Channel") == f"Local/{ticket.callback_id}@ivr-callback-hold/n"
    assert (originate.get("Context"), originate.get("Exten"), originate.get("Priority")) == (
        "ivr-callback-dial", "5551234", "1",
    )  # fmt: skip
    assert originate.get("Async") == "true" and originate.get("CallerID") == '"Hotline" <5550100>'
    assert originate.get_all("Variable") == [
        f"IVR_CALLBACK_ID={ticket.callback_id}", "IVR_QUEUE=support", "IVR_PRIORITY=0",
    ]  # fmt: skip
    await rig.store.wait_flushed()
    row = await callback_row(rig.store.session_factory, ticket.callback_id)
    assert row is not None and (row["state"], row["attempts"], row["position"]) == ("connected", 1, 3)
    assert row["ahead"] == {"uniqueids": sorted([first.uniqueid, second.uniqueid])}
    assert row["connected_at"] is not None and row["call_uuid"] == "call-1"


async def test_originate_failure_retries_after_backoff_then_fails(rig: Rig) -> None:
    rig.server.originate_reasons = [5, 3]  # busy, then no answer
    ticket = await rig.scheduler.request("call-2", "+15551234", "support", 0, "r", "s", {})
    await rig.scheduler.tick()
    await rig.monitor.wait_for(lambda: rig.monitor.seen["OriginateResponse"] == 1)
    await rig.store.wait_flushed()
    row = await callback_row(rig.store.session_factory, ticket.callback_id)
    assert row is not None and (row["state"], row["attempts"]) == ("requested", 1)
    assert "busy" in row["last_error"] and row["next_attempt_at"] is not None

    await rig.scheduler.tick(row["next_attempt_at"] - timedelta(seconds=1))
    assert len(rig.server.actions_named("Originate")) == 1  # still backing off
    await rig.scheduler.tick(row["next_attempt_at"])
    await rig.monitor.wait_for(lambda: rig.monitor.seen["OriginateResponse"] == 2)
    await rig.store.wait_flushed()
    row = await callback_row(rig.store.session_factory, ticket.callback_id)
    assert row is not None and (row["state"], row["attempts"]) == ("failed", 2)
    assert "no answer" in row["last_error"] and row["finished_at"] is not None
    assert rig.scheduler.pending() == []


async def test_bad_number_is_refused(rig: Rig) -> None:
    for number in ("", "12a4", "1234\r\nAction: Originate"):
        try:
            await rig.scheduler.request("c", number, "support", 0, "r", "s", {})
        except ValueError:
            continue
        raise AssertionError(f"{number!r} was accepted")


async def test_pending_requests_survive_a_restart(
    rig: Rig, ami_server: FakeAmiServer, store: CallStore
) -> None:
    waiting = QueueCall("1800000002.1", "support")
    await rig.server.queue_join(waiting)
    await rig.monitor.wait_for(lambda: rig.monitor.seen["QueueCallerJoin"] == 1)
    ticket = await rig.scheduler.request("call-3", "5559876", "support", 0, "r", "s", {})
    assert ticket.position == 2
    await rig.store.wait_flushed()
    rig.monitor.stop()
    await rig.client.close()

    policy = CallbackPolicy(caller_id='"Hotline" <5550100>')
    again, task = await start_rig(ami_server, store, policy)  # a new process: memory is empty
    try:
        assert again.scheduler.restored
        assert [p["callback_id"] for p in again.scheduler.pending()] == [ticket.callback_id]
        assert again.scheduler.pending()[0]["waiting_for"] == 1
        assert ami_server.actions_named("Originate") == []
        await _abandon(again, waiting)
        await again.monitor.wait_for(lambda: again.monitor.seen["OriginateResponse"] == 1)
        [originate] = ami_server.actions_named("Originate")
        assert originate.get("Exten") == "5559876"
        assert f"IVR_CALLBACK_ID={ticket.callback_id}" in originate.get_all("Variable")
    finally:
        again.monitor.stop()
        await again.client.close()
        await asyncio.wait_for(task, 5)


async def test_a_worker_without_the_duty_only_stores_and_a_take_over_awaits_an_originate_under_way(
    rig: Rig,
) -> None:
    from datetime import UTC, datetime

    from ivr.storage.queue_ops import UpdateCallback
    from ivr.storage.records import CallHandle

    await rig.scheduler.step_down()  # another worker holds the cluster's duty lease
    ticket = await rig.scheduler.request("call-4", "5554321", "support", 0, "r", "s", {})
    await rig.scheduler.tick()  # an agent is free and nobody waits: the lease holder would dial now
    assert rig.scheduler.pending() == [] and rig.server.actions_named("Originate") == []

    # The holder sends the Originate, writes "originating" and dies before the answer comes.
    sent = datetime.now(UTC)
    row = {"callback_id": ticket.callback_id, "state": "originating", "attempts": 1, "originated_at": sent,
           "next_attempt_at": None, "updated_at": sent}  # fmt: skip
    await rig.store.submit(UpdateCallback(CallHandle(ticket.callback_id), row))
    assert await rig.scheduler.take_over() == 1
    await rig.scheduler.tick()
    assert [p["state"] for p in rig.scheduler.pending()] == ["originating"]
    assert rig.server.actions_named("Originate") == [], "the originate under way is not sent twice"

    count = rig.monitor.seen["OriginateResponse"]
    await rig.server.emit({"Event": "OriginateResponse", "Response": "Success", "Reason": "4",
                           "Channel": f"Local/{ticket.callback_id}@ivr-callback-hold/n"})  # fmt: skip
    await rig.monitor.wait_for(lambda: rig.monitor.seen["OriginateResponse"] == count + 1)
    await rig.store.wait_flushed()
    done = await callback_row(rig.store.session_factory, ticket.callback_id)
    assert (done["state"], done["attempts"]) == ("connected", 1) and rig.scheduler.pending() == []
