"""Fixtures for desktop integration tests: real SQLite, a fake AMI with a real client, the app served."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from ivr.ami.client import AmiClient
from ivr.fakepbx.ami import FakeAmiServer
from ivr.storage.desk import DeskStore
from ivr.storage.store import CallStore
from ivr.web.app import make_app
from ivr.web.deps import WebDeps
from tests.integration.web_core.seed import PASSWORD, agent_of, interface_of
from tests.support.desk_queues import desk_queues

SECRET = b"0123456789abcdef0123456789abcdef"


@dataclass
class Desk:
    """Everything a desktop test touches."""

    store: CallStore
    desk: DeskStore
    ami_server: FakeAmiServer
    ami: AmiClient
    deps: WebDeps
    client: TestClient
    new_client: Callable[[], Awaitable[TestClient]]


async def login(client: TestClient, username: str, password: str = PASSWORD) -> dict:
    """Log a test client in through the real form flow (pre-login CSRF cookie, then POST)."""
    await client.get("/login")
    csrf = client.session.cookie_jar.filter_cookies(client.make_url("/"))["ivr_csrf"].value
    response = await client.post(
        "/api/login", json={"username": username, "password": password}, headers={"X-CSRF-Token": csrf}
    )
    return {"status": response.status, "body": await response.json()}


def csrf_of(client: TestClient) -> str:
    """The CSRF token the client's browser would echo."""
    return client.session.cookie_jar.filter_cookies(client.make_url("/"))["ivr_csrf"].value


async def post(client: TestClient, path: str, body: dict) -> tuple[int, dict]:
    """A JSON POST with the CSRF header, as the page scripts send it."""
    response = await client.post(path, json=body, headers={"X-CSRF-Token": csrf_of(client)})
    return response.status, await response.json()


@contextlib.asynccontextmanager
async def open_desk(url: str) -> AsyncIterator[Desk]:
    """A migrated store at `url`, a fake AMI with a logged-in client, and the desktop app on a test server."""
    store = await CallStore.open(url)
    ami_server = FakeAmiServer({"ivr": "s3cret"})
    await ami_server.start()
    ami = AmiClient("127.0.0.1", ami_server.port, "ivr", "s3cret", action_timeout=10.0, backoff_initial=0.02)
    ami_task = asyncio.create_task(ami.run())
    await ami.wait_connected(5)
    desk = DeskStore(store.session_factory)
    deps = WebDeps(
        store=store, desk=desk, agent_of=agent_of, interface_of=interface_of, **desk_queues(ami, store)
    )
    server = TestServer(make_app(deps, secret=SECRET))
    await server.start_server()
    clients: list[TestClient] = []

    async def new_client() -> TestClient:
        client = TestClient(server)
        await client.start_server()
        clients.append(client)
        return client

    first = await new_client()
    try:
        yield Desk(store, desk, ami_server, ami, deps, first, new_client)
    finally:
        for client in clients:
            await client.close()
        await server.close()
        await ami.close()
        await asyncio.wait_for(ami_task, 5)
        await ami_server.close()
        await store.close()


@pytest.fixture
async def desk_env(tmp_path: Path) -> AsyncIterator[Desk]:
    """The desktop on a migrated SQLite store (open_desk)."""
    async with open_desk(f"sqlite:///{tmp_path / 'ivr.db'}") as desk:
        yield desk
