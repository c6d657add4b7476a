"""A drain cancelled mid-write (close() stopping the retry task) must not make the write run twice."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from ivr.storage.ops import Write
from ivr.storage.records import CallHandle
from ivr.storage.writer import WriteQueue


@dataclass
class Gate:
    """What the test controls and sees: how often the write ran, and when it may finish."""

    applied: int = 0
    started: asyncio.Event = field(default_factory=asyncio.Event)
    open: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass(frozen=True, slots=True)
class SlowInsert(Write):
    """Inserts one row; the first attempt fails as a locked database does, later ones wait for the gate."""

    kind: ClassVar[str] = "slow_insert"
    gate: Gate = field(default_factory=Gate)

    async def apply(self, session: AsyncSession, retried: bool) -> int | None:
        """Count the attempt, fail the first, hold the others until the gate opens, then insert."""
        self.gate.applied += 1
        if self.gate.applied == 1:
            raise sa_exc.OperationalError("INSERT", {}, Exception("database is locked"))
        self.gate.started.set()
        await self.gate.open.wait()
        await session.execute(text("INSERT INTO rows (call_uuid) VALUES (:u)"), {"u": self.handle.call_uuid})
        return None


async def test_a_write_whose_drain_was_cancelled_lands_once(tmp_path: Path) -> None:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'q.db'}")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE rows (call_uuid TEXT UNIQUE)"))

    async def migrate() -> None:
        """Nothing to migrate: the table exists."""

    queue = WriteQueue(async_sessionmaker(engine), "sqlite://test", max_pending=10, retry_base=3600.0,
                       retry_cap=3600.0, write_timeout=30.0, migrate=migrate)  # fmt: skip
    op = SlowInsert(CallHandle(call_uuid="c-1", wait=False), {})
    try:
        await queue.write(op, wait=True)  # refused as locked: parked in the outbox
        assert op.gate.applied == 1 and queue.pending == 1

        first = asyncio.create_task(queue.drain())
        await asyncio.wait_for(op.gate.started.wait(), 30)  # its second attempt is inside the database
        first.cancel()  # what close() does to the retry task
        second = asyncio.create_task(queue.drain())
        op.gate.open.set()
        assert await asyncio.wait_for(second, 30) is True
    finally:
        await queue.close()

    async with engine.connect() as conn:
        stored = (await conn.execute(text("SELECT count(*) FROM rows"))).scalar_one()
    await engine.dispose()
    # the cancelled drain's attempt committed; the next drain waited for it instead of inserting again
    assert (op.gate.applied, stored, queue.dropped) == (2, 1, 0)
