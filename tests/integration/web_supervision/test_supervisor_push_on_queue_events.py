"""The supervisor view is pushed when the ACD event stream says something happened, not on a timer."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from ivr.storage.desk import DeskStore
from ivr.storage.store import CallStore
from ivr.web import supervisor
from ivr.web.app import make_app
from ivr.web.deps import HUB, WebDeps
from queues.events import CallerJoined, EventBus
from tests.integration.web_core.conftest import login
from tests.integration.web_core.seed import add_user, agent_of, interface_of


async def test_a_queue_event_pushes_the_live_view_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(supervisor, "PUSH_SECONDS", 3600.0)  # the timer never fires within this test
    store = await CallStore.open(f"sqlite:///{tmp_path / 'ivr.db'}")
    desk = DeskStore(store.session_factory)
    await add_user(desk, "sue", "supervisor")
    in_bot: list[dict[str, Any]] = []
    events = EventBus()
    deps = WebDeps(store=store, desk=desk, agent_of=agent_of, interface_of=interface_of,
                   active_calls=lambda: list(in_bot), queue_events=events)  # fmt: skip
    server = TestServer(make_app(deps, secret=b"supervision-tests-secret-0123456"))
    await server.start_server()
    client = TestClient(server)
    await client.start_server()
    try:
        assert (await login(client, "sue"))["status"] == 200
        ws = await client.ws_connect("/ws")
        hub = server.app[HUB]
        await hub.wait_for(lambda: len(hub.peers()) >= 1)
        assert json.loads((await asyncio.wait_for(ws.receive(), 5)).data)["type"] == "hello"
        in_bot.append({"call_uuid": "bot-1", "caller_number": "1", "caller_name": "Ann"})
        await events.publish(CallerJoined(None, "1.1", "1.1", "support", "1", "Ann"))
        pushed = json.loads((await asyncio.wait_for(ws.receive(), 30)).data)
        assert pushed["type"] == "supervisor" and pushed["live"]["in_bot"][0]["call_uuid"] == "bot-1"
        await ws.close()
    finally:
        await client.close()
        await server.close()
        await store.close()
