"""Fixtures for AMI integration tests: a FakeAmiServer on a real socket and AmiClients run against it."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from ivr.ami.client import AmiClient
from ivr.fakepbx.ami import FakeAmiServer

USERS = {"ivr": "s3cret"}
CAPTURES = Path(__file__).parents[2] / "fixtures" / "asterisk-captures"

StartClient = Callable[..., Awaitable[AmiClient]]


@pytest.fixture
async def ami_server() -> AsyncIterator[FakeAmiServer]:
    server = FakeAmiServer(USERS)
    await server.start()
    yield server
    await server.close()


@pytest.fixture
async def start_client(ami_server: FakeAmiServer) -> AsyncIterator[StartClient]:
    """Start an AmiClient's run() against the fake; every client is closed and its task awaited after."""
    running: list[tuple[AmiClient, asyncio.Task[None]]] = []

    async def start(*, username: str = "ivr", secret: str = "s3cret", **options: object) -> AmiClient:
        settings: dict = {"action_timeout": 10.0, "backoff_initial": 0.02, "backoff_max": 0.2} | options
        client = AmiClient("127.0.0.1", ami_server.port, username, secret, **settings)
        running.append((client, asyncio.create_task(client.run())))
        return client

    yield start
    for client, task in running:
        await client.close()
        await asyncio.wait_for(task, 5)
