"""Supervisor APIs over HTTP: who may read them, the live snapshot from its three sources, the WS push."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime, timedelta

from aiohttp import WSMsgType

from ivr.web.deps import HUB
from ivr.web.supervisor import poke, push_once
from queues.live import CallerView, MemberView, QueueView
from tests.integration.web_supervision.conftest import Site
from tests.integration.web_supervision.supervision_seed import Timings, add_disposition, stored_call

XSS = "<img src=x onerror=alert(1)>"


async def test_anonymous_agent_supervisor_admin(site: Site) -> None:
    anonymous = await site.client_as(None)
    assert (await anonymous.get("/api/supervisor/live")).status == 401
    page = await anonymous.get("/supervisor", allow_redirects=False)
    assert page.status in (302, 303) and "/login" in page.headers["Location"]
    agent = await site.client_as("ann")
    assert (await agent.get("/api/supervisor/live")).status == 403
    assert (await agent.get("/api/supervisor/figures")).status == 403
    assert (await agent.get("/supervisor")).status == 403
    for who in ("sue", "adam"):
        client = await site.client_as(who)
        assert (await client.get("/api/supervisor/live")).status == 200
        page = await client.get("/supervisor")
        assert page.status == 200 and "supervisor.js" in await page.text()
        assert "default-src 'self'" in page.headers["Content-Security-Policy"]


async def test_live_shows_calls_in_the_bot_waiting_and_with_agents(site: Site) -> None:
    now = datetime.now(UTC)
    site.in_bot.append({"call_uuid": "bot-1", "caller_number": "100", "caller_name": XSS,
                        "started_at": now - timedelta(seconds=20), "language": "en"})  # fmt: skip
    talking = await stored_call(site.store, now - timedelta(minutes=5), name="Talking Tom")
    waiting = await stored_call(site.store, now - timedelta(minutes=2), name="Waiting Wendy",
                                timings=Timings(called=None, answered=None, completed=None))  # fmt: skip
    await stored_call(site.store, now - timedelta(minutes=9), name="Done Dan",
                      timings=Timings(completed=300))  # fmt: skip
    # The answered call is still open: nobody completed it yet.
    from tests.integration.web_supervision.supervision_seed import set_timings

    await set_timings(site.store, talking, now - timedelta(minutes=5), Timings(completed=None))
    client = await site.client_as("sue")
    live = await (await client.get("/api/supervisor/live")).json()
    assert [c["caller_name"] for c in live["in_bot"]] == [XSS]
    assert isinstance(live["in_bot"][0]["started_at"], str)
    assert [c["call_uuid"] for c in live["waiting"]] == [waiting]
    assert [(c["call_uuid"], c["agent_name"]) for c in live["with_agents"]] == [(talking, "Agent Seven")]
    assert live["with_agents"][0]["tier"] == "gold" and live["live_queues"] is False


class FakeLive:
    """What queues.live.LiveQueues gives the supervisor view."""

    def __init__(self, call_uuid: str) -> None:
        self.call_uuid = call_uuid

    def snapshot(self, now: datetime) -> list[QueueView]:
        caller = CallerView("1700.1", 1, 5, 42.0, self.call_uuid, "+15550100", "PJSIP/trunk-1")
        members = (
            MemberView("Local/agent1@agents", "Agent One", "talking", "", 0, 3, "dynamic", "1700.0"),
            MemberView("Local/agent2@agents", "Agent Two", "paused", "lunch", 0, 1, "dynamic", None),
        )
        return [
            QueueView("billing", (caller,), members, 2, 0, 42.0, 4, 1, 180.0),
            QueueView("support", (), members[:1], 1, 0, 0.0, 2, 0, 90.0),
        ]


async def test_live_queue_state_feeds_queues_agents_and_waiting(site: Site) -> None:
    now = datetime.now(UTC)
    waiting = await stored_call(site.store, now - timedelta(minutes=1), name="Wendy",
                                timings=Timings(called=None, answered=None, completed=None))  # fmt: skip
    site.deps.live = FakeLive(waiting)
    client = await site.client_as("adam")
    live = await (await client.get("/api/supervisor/live")).json()
    assert live["live_queues"] is True
    assert [(q["name"], q["waiting"], q["abandoned"]) for q in live["queues"]] == [
        ("billing", 1, 1),
        ("support", 0, 0),
    ]
    [row] = live["waiting"]
    assert (row["queue"], row["position"], row["waited_seconds"], row["caller_name"]) == (
        "billing",
        1,
        42.0,
        "Wendy",
    )
    agents = {a["agent_id"]: a for a in live["agents"]}
    assert agents["A1"]["state"] == "talking" and agents["A1"]["queues"] == ["billing", "support"]
    assert agents["A1"]["calls_taken"] == 6
    assert agents["A2"]["state"] == "paused" and agents["A2"]["paused_reason"] == "lunch"


async def test_figures_and_day_calls_api(site: Site) -> None:
    noon = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    call_uuid = await stored_call(site.store, noon)
    sue = await site.desk.user_by_name("sue")
    await add_disposition(site.store, call_uuid, sue.id, True, noon + timedelta(minutes=8))
    from ivr.survey import store_survey_score

    await store_survey_score(site.store, call_uuid, 4)
    await site.store.wait_flushed()
    client = await site.client_as("sue")
    figures = await (await client.get("/api/supervisor/figures?day=2026-03-10&tz=UTC")).json()
    assert figures["asa_avg_s"] == 30.0 and figures["aht_avg_s"] == 300.0
    assert figures["satisfaction_avg"] == 4.0 and figures["fcr_disposition"] == 1.0
    calls = await (await client.get("/api/supervisor/calls?day=2026-03-10&tz=UTC")).json()
    [row] = calls["calls"]
    assert row["call_uuid"] == call_uuid and row["survey_score"] == 4 and row["answered_at"]
    elsewhere = await (
        await client.get("/api/supervisor/figures?day=2026-03-11&tz=Pacific/Kiritimati")
    ).json()
    assert elsewhere["calls"] == 1 and elsewhere["hourly"][2]["calls"] == 1  # UTC+14: 02:00 the next day
    assert (await client.get("/api/supervisor/figures?day=10/03/2026")).status == 400
    assert (await client.get("/api/supervisor/figures?tz=Mars/Olympus")).status == 400
    today = await (await client.get("/api/supervisor/figures")).json()
    assert today["day"] == date.today().isoformat() or today["day"] == datetime.now(UTC).date().isoformat()


async def test_changes_are_pushed_to_supervisors_only(site: Site) -> None:
    sue, ann = await site.client_as("sue"), await site.client_as("ann")
    ws_sue, ws_ann = await sue.ws_connect("/ws"), await ann.ws_connect("/ws")
    app = site.server.app
    hub = app[HUB]
    await hub.wait_for(lambda: len(hub.peers()) >= 2)
    assert json.loads((await asyncio.wait_for(ws_sue.receive(), 5)).data)["type"] == "hello"
    assert json.loads((await asyncio.wait_for(ws_ann.receive(), 5)).data)["type"] == "hello"

    site.in_bot.append({"call_uuid": "bot-7", "caller_number": "7", "caller_name": XSS})
    poke(app)
    message = await asyncio.wait_for(ws_sue.receive(), 5)
    assert message.type == WSMsgType.TEXT
    pushed = json.loads(message.data)
    assert pushed["type"] == "supervisor" and pushed["live"]["in_bot"][0]["caller_name"] == XSS
    # Nothing changed since: no second push.
    assert await push_once(app, datetime.now(UTC)) is False
    # The agent's socket got nothing: the next message it sees is the one we send it now.
    hub.send_to_agent("A1", {"type": "status", "marker": 1})
    assert json.loads((await asyncio.wait_for(ws_ann.receive(), 5)).data) == {"type": "status", "marker": 1}
    await ws_sue.close()
    await ws_ann.close()
