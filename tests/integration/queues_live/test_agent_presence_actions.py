"""AgentPresence: desktop login/logout/pause reach the fake AMI as queue actions, LiveQueues follows."""

from __future__ import annotations

import pytest

from queues.live import PAUSED, READY
from queues.presence import AgentIdentity, AgentPresence

from .conftest import Rig

BOB = AgentIdentity("PJSIP/bob", "Bob Agent", "PJSIP/bob")


def _directory(agent_id: str) -> AgentIdentity | None:
    return BOB if agent_id == "bob" else None


def _state(rig: Rig, queue: str) -> dict[str, tuple[str, str]]:
    view = next(q for q in rig.live.snapshot(rig.monitor._clock()) if q.name == queue)
    return {m.interface: (m.state, m.paused_reason) for m in view.members}


async def test_login_pause_resume_logout(rig: Rig) -> None:
    presence = AgentPresence(rig.client, _directory, rig.live)
    result = await presence.login("bob", [("support", 2), ("billing", 0)])
    assert result.ok and set(result.outcomes) == {"support", "billing"}
    adds = rig.server.actions_named("QueueAdd")
    assert [(a.get("Queue"), a.get("Penalty")) for a in adds] == [("support", "2"), ("billing", "0")]
    assert {(a.get("Interface"), a.get("MemberName"), a.get("StateInterface")) for a in adds} == {
        ("PJSIP/bob", "Bob Agent", "PJSIP/bob")
    }
    await rig.monitor.wait_for(lambda: rig.monitor.seen["QueueMemberAdded"] == 2)
    assert _state(rig, "support")["PJSIP/bob"] == (READY, "")
    assert rig.live.agents_available("billing") == 1

    again = await presence.login("bob", [("support", 2)])  # "Already there" is where they wanted to be
    assert again.ok

    assert (await presence.pause("bob", "lunch\r\nAction: Hangup")).ok
    [pause] = rig.server.actions_named("QueuePause")
    assert (pause.get("Paused"), pause.get("Reason"), pause.get("Queue")) == (
        "true",
        "lunchAction: Hangup",
        None,
    )
    await rig.monitor.wait_for(lambda: rig.monitor.seen["QueueMemberPause"] == 2)
    assert _state(rig, "billing")["PJSIP/bob"] == (PAUSED, "lunchAction: Hangup")

    assert (await presence.resume("bob")).ok
    await rig.monitor.wait_for(lambda: rig.monitor.seen["QueueMemberPause"] == 4)
    assert _state(rig, "support")["PJSIP/bob"][0] == READY

    out = await presence.logout("bob")
    assert out.ok and set(out.outcomes) == {"support", "billing"}
    await rig.monitor.wait_for(lambda: rig.monitor.seen["QueueMemberRemoved"] == 2)
    assert "PJSIP/bob" not in _state(rig, "support") and "PJSIP/bob" not in _state(rig, "billing")


async def test_errors_are_reported_per_queue_and_bad_ids_refused(rig: Rig) -> None:
    presence = AgentPresence(rig.client, _directory, rig.live)
    result = await presence.login("bob", [("support", 0), ("nosuch", 0)])
    assert not result.ok and result.errors == {"nosuch": "Unable to add interface to queue: No such queue"}
    with pytest.raises(ValueError):
        await presence.login("bob/../x@evil", [("support", 0)])
    with pytest.raises(KeyError):
        await presence.pause("alice")


async def test_a_warm_queue_gets_the_agents_local_channel(rig: Rig) -> None:
    warm = AgentIdentity("PJSIP/bob", "Bob Agent", None, {"billing": "Local/bob@ivr-agent/n"})
    presence = AgentPresence(rig.client, lambda agent_id: warm if agent_id == "bob" else None, rig.live)
    assert (await presence.login("bob", [("support", 2), ("billing", 0)])).ok
    adds = {
        a.get("Queue"): (a.get("Interface"), a.get("StateInterface"))
        for a in rig.server.actions_named("QueueAdd")
    }
    assert adds == {"support": ("PJSIP/bob", None), "billing": ("Local/bob@ivr-agent/n", "PJSIP/bob")}
    await rig.monitor.wait_for(lambda: rig.monitor.seen["QueueMemberAdded"] == 2)

    assert (await presence.pause("bob", "break")).ok  # one QueuePause per interface: both queues
    paused = sorted(p.get("Interface") for p in rig.server.actions_named("QueuePause"))
    assert paused == ["Local/bob@ivr-agent/n", "PJSIP/bob"]
    await rig.monitor.wait_for(lambda: rig.monitor.seen["QueueMemberPause"] == 2)

    out = await presence.logout("bob")
    assert out.ok and set(out.outcomes) == {"support", "billing"}
    removes = {r.get("Queue"): r.get("Interface") for r in rig.server.actions_named("QueueRemove")}
    assert removes == {"support": "PJSIP/bob", "billing": "Local/bob@ivr-agent/n"}
