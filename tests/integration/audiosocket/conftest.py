"""A real AudioSocketServer on a free port whose session hands each stream to the test."""

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from ivr.audiosocket.server import AudioConnection, AudioSocketServer

WAIT = 30.0  # safety net for awaits on events/futures, never a pacing wait


class ServerHarness:
    """Runs the server; `expect()` registers UUIDs, `next_connection()` returns the next accepted stream."""

    def __init__(self, **server_kwargs: object) -> None:
        self.expected: set[uuid.UUID] = set()
        self.accepted: asyncio.Queue[AudioConnection] = asyncio.Queue()
        self.server = AudioSocketServer(
            self._on_connection,
            is_expected=self.expected.__contains__,
            **server_kwargs,  # type: ignore[arg-type]
        )

    async def _on_connection(self, conn: AudioConnection) -> None:
        # Like a call session: hold the stream until it ends.
        await self.accepted.put(conn)
        await conn.closed.wait()

    def expect(self) -> uuid.UUID:
        call_uuid = uuid.uuid4()
        self.expected.add(call_uuid)
        return call_uuid

    async def next_connection(self) -> AudioConnection:
        return await asyncio.wait_for(self.accepted.get(), WAIT)

    @property
    def port(self) -> int:
        return self.server.port


@pytest.fixture
async def make_harness() -> AsyncIterator:
    harnesses: list[ServerHarness] = []

    async def make(**server_kwargs: object) -> ServerHarness:
        harness = ServerHarness(**server_kwargs)
        await harness.server.start("127.0.0.1", 0)
        harnesses.append(harness)
        return harness

    yield make
    for harness in harnesses:
        await harness.server.close()


@pytest.fixture
async def harness(make_harness) -> ServerHarness:
    return await make_harness()
