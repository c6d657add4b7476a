"""Fixtures for the supervision integration tests: SQLite store, desk users, the app on a test server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from ivr.storage.desk import DeskStore
from ivr.storage.store import CallStore
from ivr.web.app import make_app
from ivr.web.deps import WebDeps
from tests.integration.web_core.conftest import login
from tests.integration.web_core.seed import add_user, agent_of, interface_of

SECRET = b"supervision-tests-secret-0123456"


@dataclass
class Site:
    """The served app and helpers to get logged-in clients."""

    store: CallStore
    desk: DeskStore
    deps: WebDeps
    server: TestServer
    client_as: Callable[[str | None], Awaitable[TestClient]]
    published: list[int] = field(default_factory=list)
    in_bot: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    """The desktop app on SQLite with users agent 'ann' (A1), supervisor 'sue' and admin 'adam'."""
    store = await CallStore.open(f"sqlite:///{tmp_path / 'ivr.db'}")
    desk = DeskStore(store.session_factory)
    await add_user(desk, "ann", "agent", "A1")
    await add_user(desk, "sue", "supervisor")
    await add_user(desk, "adam", "admin")
    published: list[int] = []
    in_bot: list[dict[str, Any]] = []

    async def on_published() -> None:
        published.append(1)

    deps = WebDeps(store=store, desk=desk, agent_of=agent_of, interface_of=interface_of,
                   active_calls=lambda: list(in_bot), on_knowledge_published=on_published)  # fmt: skip
    server = TestServer(make_app(deps, secret=SECRET))
    await server.start_server()
    clients: list[TestClient] = []

    async def client_as(username: str | None) -> TestClient:
        client = TestClient(server)
        await client.start_server()
        clients.append(client)
        if username is not None:
            assert (await login(client, username))["status"] == 200
        return client

    try:
        yield Site(store, desk, deps, server, client_as, published, in_bot)
    finally:
        for client in clients:
            await client.close()
        await server.close()
        await store.close()
