"""AgentCalled from the fake AMI reaches only the ringing agent's browsers, with the stored context."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

from aiohttp import WSMsgType
from aiohttp.test_utils import TestClient

from ivr.web.deps import HUB
from ivr.web.screenpop import SCREENPOP
from tests.integration.web_core.conftest import Desk, login
from tests.integration.web_core.seed import add_user, agent_event, seed_call

XSS = "<img src=x onerror=alert(1)>"


async def _agent(env: Desk, username: str, agent_id: str) -> TestClient:
    """A logged-in agent client."""
    await add_user(env.desk, username, "agent", agent_id)
    client = await env.new_client()
    assert (await login(client, username))["status"] == 200
    return client


async def _next(ws) -> dict:
    """The next JSON message on a WebSocket (safety-net timeout only)."""
    message = await asyncio.wait_for(ws.receive(), 5)
    assert message.type == WSMsgType.TEXT, message
    return json.loads(message.data)


async def _connected(env: Desk, count: int) -> None:
    """Wait until `count` browsers are connected to the hub."""
    hub = env.client.server.app[HUB]
    await hub.wait_for(lambda: len(hub.peers()) >= count)


async def test_agent_called_pops_only_the_ringing_agent_with_the_whole_context(desk_env: Desk) -> None:
    env = desk_env
    one, two = await _agent(env, "alice", "A1"), await _agent(env, "bob", "A2")
    previous_uuid, _ = await seed_call(env.store, outcome="transferred", caller_name=XSS)
    await env.desk.add_disposition(
        call_uuid=previous_uuid,
        user_id=1,
        category="billing",
        notes="refund sent",
        resolved=True,
        now=datetime.now(UTC),
    )
    call_uuid, uniqueid = await seed_call(env.store, caller_name=XSS)
    ws_one, ws_two = await one.ws_connect("/ws"), await two.ws_connect("/ws")
    assert (await _next(ws_one))["type"] == "hello"
    assert (await _next(ws_two))["agent_id"] == "A2"
    await _connected(env, 2)

    await env.ami_server.emit(agent_event("AgentCalled", uniqueid=uniqueid, caller_name=XSS))
    pop = await _next(ws_one)

    assert pop["type"] == "screenpop" and pop["state"] == "ringing" and pop["known"] is True
    assert pop["call_uuid"] == call_uuid and pop["queue"] == "support"
    assert pop["caller"] == {"number": "5551234", "name": XSS}
    assert (pop["language"], pop["tier"], pop["reason"]) == ("en", "gold", "caller-request")
    assert (pop["intent"], pop["slots"]) == ("billing.invoice", {"invoice_number": "INV-42"})
    assert pop["sentiment"]["trend"] == "worse"
    assert pop["answers_tried"] == ["billing.where_invoices"]
    assert pop["summary"].startswith("Invoice looks wrong")
    assert [t["speaker"] for t in pop["transcript"]] == ["bot", "caller", "bot", "caller"]
    assert pop["transcript"][1]["text"] == "my invoice is wrong <b>twice</b>"
    assert pop["transcript"][1]["at"].startswith("2026-11-21T09:30:05")
    assert [h["call_uuid"] for h in pop["history"]] == [previous_uuid]
    assert pop["history"][0]["dispositions"] == [
        {"category": "billing", "notes": "refund sent", "resolved": True}
    ]

    # The other agent got nothing: the next thing on its socket is a later broadcast.
    env.client.server.app[HUB].broadcast("agent", {"type": "status", "marker": True})
    assert (await _next(ws_two)) == {"type": "status", "marker": True}
    screenpop = env.client.server.app[SCREENPOP]
    await screenpop.wait_latencies(1)
    assert 0 < screenpop.latencies[0] < 5


async def test_a_reconnecting_browser_gets_the_current_pop_again(desk_env: Desk) -> None:
    env = desk_env
    one = await _agent(env, "alice", "A1")
    _, uniqueid = await seed_call(env.store)
    ws = await one.ws_connect("/ws")
    await _next(ws)
    await _connected(env, 1)
    await env.ami_server.emit(agent_event("AgentCalled", uniqueid=uniqueid))
    first = await _next(ws)
    await ws.close()

    again = await one.ws_connect("/ws")
    assert (await _next(again))["type"] == "hello"
    assert await _next(again) == first


async def test_connect_complete_and_ring_no_answer_update_the_pop(desk_env: Desk) -> None:
    env = desk_env
    one, two = await _agent(env, "alice", "A1"), await _agent(env, "bob", "A2")
    call_uuid, uniqueid = await seed_call(env.store)
    ws_one, ws_two = await one.ws_connect("/ws"), await two.ws_connect("/ws")
    await _next(ws_one), await _next(ws_two)
    await _connected(env, 2)
    await env.ami_server.emit(agent_event("AgentCalled", uniqueid=uniqueid))
    await env.ami_server.emit(
        agent_event("AgentCalled", uniqueid=uniqueid, interface="Local/agent2@agents/n")
    )
    assert (await _next(ws_one))["type"] == (await _next(ws_two))["type"] == "screenpop"

    await env.ami_server.emit(agent_event("AgentConnect", uniqueid=uniqueid))
    connected = await _next(ws_one)
    assert (connected["type"], connected["state"], connected["call_uuid"]) == (
        "call_update",
        "connected",
        call_uuid,
    )
    assert (await _next(ws_two))["state"] == "answered_elsewhere"
    hub = env.client.server.app[HUB]
    assert hub.current("A2") is None and hub.current("A1")["state"] == "connected"

    await env.ami_server.emit(agent_event("AgentComplete", uniqueid=uniqueid))
    completed = await _next(ws_one)
    assert completed["state"] == "completed" and completed["details"]["Reason"] == "agent"
    assert hub.current("A1")["state"] == "completed"

    await env.ami_server.emit(agent_event("AgentRingNoAnswer", uniqueid=uniqueid))
    assert (await _next(ws_one))["state"] == "missed"
    assert hub.current("A1") is None


async def test_an_unknown_call_still_pops_number_name_and_queue(desk_env: Desk) -> None:
    env = desk_env
    one = await _agent(env, "alice", "A1")
    ws = await one.ws_connect("/ws")
    await _next(ws)
    await _connected(env, 1)
    await env.ami_server.emit(agent_event("AgentCalled", uniqueid="999.9", caller_name="<unknown>"))
    pop = await _next(ws)
    assert pop["known"] is False and pop["call_uuid"] is None
    assert pop["caller"] == {"number": "5551234", "name": None} and pop["queue"] == "support"


async def test_the_heartbeat_pings_the_browser(desk_env: Desk) -> None:
    env = desk_env
    env.client.server.app[HUB].heartbeat = 0.05
    one = await _agent(env, "alice", "A1")
    ws = await one.ws_connect("/ws", autoping=False)
    kinds = {(await asyncio.wait_for(ws.receive(), 5)).type for _ in range(2)}
    assert WSMsgType.PING in kinds
