"""Agent actions over HTTP: disposition, knowledge draft, back to the bot (AMI Redirect), status."""

from __future__ import annotations

import asyncio
import json

from ivr.web.deps import HUB
from ivr.web.screenpop import SCREENPOP
from tests.integration.web_core.conftest import Desk, login, post
from tests.integration.web_core.seed import add_user, agent_event, seed_call


async def _popped_call(env: Desk) -> str:
    """A call that AgentCalled popped to agent A1 (alice, logged in on env.client); waits for the pop."""
    await add_user(env.desk, "alice", "agent", "A1")
    assert (await login(env.client, "alice"))["status"] == 200
    call_uuid, uniqueid = await seed_call(env.store)
    ws = await env.client.ws_connect("/ws")
    assert json.loads((await asyncio.wait_for(ws.receive(), 5)).data)["type"] == "hello"
    hub = env.client.server.app[HUB]
    await hub.wait_for(lambda: len(hub.peers()) == 1)
    await env.ami_server.emit(agent_event("AgentCalled", uniqueid=uniqueid))
    pop = json.loads((await asyncio.wait_for(ws.receive(), 5)).data)
    assert (pop["type"], pop["call_uuid"]) == ("screenpop", call_uuid)
    assert env.client.server.app[SCREENPOP].popped_to("A1", call_uuid)
    return call_uuid


async def test_a_disposition_is_stored_and_checked(desk_env: Desk) -> None:
    call_uuid = await _popped_call(desk_env)
    path = f"/api/calls/{call_uuid}/disposition"
    assert (await post(desk_env.client, path, {"category": "nonsense", "resolved": True}))[0] == 400
    assert (await post(desk_env.client, path, {"category": "billing", "resolved": "yes"}))[0] == 400
    status, body = await post(
        desk_env.client, path, {"category": "billing", "notes": "<script>x</script>", "resolved": False}
    )
    assert (status, body) == (200, {"ok": True})
    saved = (await desk_env.desk.dispositions_for([call_uuid]))[call_uuid]
    assert [(d.category, d.notes, d.resolved, d.user_id) for d in saved] == [
        ("billing", "<script>x</script>", False, 1)
    ]


async def test_an_agent_may_not_act_on_a_call_not_handed_to_them(desk_env: Desk) -> None:
    call_uuid = await _popped_call(desk_env)
    await add_user(desk_env.desk, "bob", "agent", "A2")
    bob = await desk_env.new_client()
    await login(bob, "bob")
    status, body = await post(
        bob, f"/api/calls/{call_uuid}/disposition", {"category": "other", "resolved": True}
    )
    assert (status, body["error"]) == (403, "this call was not handed to you")
    assert (await post(bob, f"/api/calls/{call_uuid}/back-to-bot", {"mode": "survey"}))[0] == 403


async def test_a_knowledge_draft_is_stored_with_its_source_call(desk_env: Desk) -> None:
    call_uuid = await _popped_call(desk_env)
    path = f"/api/calls/{call_uuid}/knowledge-draft"
    assert (await post(desk_env.client, path, {"question": "", "answer": "a"}))[0] == 400
    body = {"question": "How do I dispute an invoice?", "answer": "Billing > Dispute.", "language": "en"}
    status, reply = await post(desk_env.client, path, body)
    assert status == 200 and reply["id"] >= 1
    drafts = await desk_env.desk.knowledge_drafts()
    assert drafts == [
        {
            "id": reply["id"],
            "language": "en",
            "questions": ["How do I dispute an invoice?"],
            "answer": "Billing > Dispute.",
            "source_call_uuid": call_uuid,
            "created_by": 1,
        }
    ]


async def test_back_to_the_bot_redirects_the_caller_channel(desk_env: Desk) -> None:
    call_uuid = await _popped_call(desk_env)
    status, body = await post(desk_env.client, f"/api/calls/{call_uuid}/back-to-bot", {"mode": "survey"})
    assert (status, body) == (200, {"ok": True, "mode": "survey"})
    redirect = desk_env.ami_server.actions_named("Redirect")[-1]
    assert redirect.get("Channel") == "Local/100@hotline-00000000;2"
    assert (redirect.get("Context"), redirect.get("Exten"), redirect.get("Priority")) == (
        "ivr-return",
        "s",
        "1",
    )
    assert "ExtraChannel" not in redirect
    setvar = desk_env.ami_server.actions_named("Setvar")[-1]
    assert (setvar.get("Channel"), setvar.get("Variable"), setvar.get("Value")) == (
        "Local/100@hotline-00000000;2",
        "IVR_RETURN_MODE",
        "survey",
    )
    assert (await post(desk_env.client, f"/api/calls/{call_uuid}/back-to-bot", {"mode": "x"}))[0] == 400


async def test_a_refused_redirect_is_reported(desk_env: Desk) -> None:
    call_uuid = await _popped_call(desk_env)

    async def refuse(session, request) -> None:
        await session.respond(request, "Error", "No such channel")

    desk_env.ami_server.set_handler("Redirect", refuse)
    status, body = await post(
        desk_env.client, f"/api/calls/{call_uuid}/back-to-bot", {"mode": "self-service"}
    )
    assert status == 409 and "No such channel" in body["error"]


class FakePresence:
    """Records what the desktop asked of the queues."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    async def login(self, agent_id: str) -> None:
        self.calls.append(("login", agent_id))

    async def logout(self, agent_id: str) -> None:
        self.calls.append(("logout", agent_id))

    async def pause(self, agent_id: str, reason: str) -> None:
        self.calls.append(("pause", agent_id, reason))

    async def resume(self, agent_id: str) -> None:
        self.calls.append(("resume", agent_id))


async def test_status_changes_drive_presence_and_reach_supervisors(desk_env: Desk) -> None:
    presence = FakePresence()
    desk_env.deps.presence = presence
    await add_user(desk_env.desk, "alice", "agent", "A1")
    await add_user(desk_env.desk, "sue", "supervisor")
    await login(desk_env.client, "alice")
    sue = await desk_env.new_client()
    await login(sue, "sue")
    ws = await sue.ws_connect("/ws")
    assert json.loads((await asyncio.wait_for(ws.receive(), 5)).data)["type"] == "hello"

    for status, reason in (("ready", ""), ("paused", "lunch"), ("ready", ""), ("logged_out", "")):
        code, body = await post(desk_env.client, "/api/agent/status", {"status": status, "reason": reason})
        assert code == 200 and body["applied"] is True
    assert presence.calls == [("login", "A1"), ("pause", "A1", "lunch"), ("resume", "A1"), ("logout", "A1")]
    seen = [json.loads((await asyncio.wait_for(ws.receive(), 5)).data) for _ in range(4)]
    assert [(m["type"], m["agent_id"], m["status"]) for m in seen][1] == ("status", "A1", "paused")
    assert (await (await desk_env.client.get("/api/agent/status")).json())["status"] == "logged_out"
    assert (await post(desk_env.client, "/api/agent/status", {"status": "away"}))[0] == 400


async def test_a_browser_new_to_this_worker_sees_and_changes_the_status_asterisk_has(desk_env: Desk) -> None:
    """The agent paused on another worker; this one never saw it: Asterisk's queues say so, and Ready
    unpauses them instead of only (re)adding them to the queues."""
    from datetime import UTC, datetime

    from ivr.ami.codec import AmiMessage
    from queues.live import LiveQueues

    live = LiveQueues()
    member = (
        ("Event", "QueueMemberAdded"),
        ("Queue", "support-en"),
        ("Interface", "Local/agent1@agents"),
        ("MemberName", "Agent One"),
        ("Paused", "1"),
        ("PausedReason", "lunch"),
    )
    live.apply(AmiMessage(member), datetime.now(UTC))
    presence = FakePresence()
    desk_env.deps.live, desk_env.deps.presence = live, presence
    await add_user(desk_env.desk, "alice", "agent", "A1")
    await login(desk_env.client, "alice")

    status = await (await desk_env.client.get("/api/agent/status")).json()
    assert status == {"status": "paused", "reason": "lunch"}
    code, _ = await post(desk_env.client, "/api/agent/status", {"status": "ready", "reason": ""})
    assert code == 200 and presence.calls == [("resume", "A1")]
