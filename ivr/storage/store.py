"""CallStore: the asyncio face of storage that every call session writes its record through.

How this works: each write becomes an op (ivr.storage.ops) handed to the write queue
(ivr.storage.writer): ops of one call run one after the other with a short deadline, and a database
that is down, slow or hung parks them in the outbox until the retry task has drained it. A live call's
handle is opened with `wait=False`, so the call never waits for the database at all; tools and tests
keep the default and get the write done (or parked) when the await returns. Writes never raise into the
call; reads raise StorageUnavailable, and reads on a call's path take a deadline (`timeout`) after which
the read is abandoned in the background instead of awaited. If the database is down when the store
opens, the migration itself waits at the head of the line.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlalchemy.orm import selectinload

from ivr.storage.db import async_engine, upgrade_database
from ivr.storage.journal import WriteJournal
from ivr.storage.models import Call
from ivr.storage.ops import (
    AddTurn,
    CloseOrphans,
    RecordTransfer,
    StartCall,
    UpdateCall,
    Write,
    require_aware,
    require_speaker,
)
from ivr.storage.outbox import is_transient
from ivr.storage.records import CallHandle, CallRecord, StorageUnavailable, call_record
from ivr.storage.urls import redact
from ivr.storage.writer import WriteQueue, describe

log = logging.getLogger("ivr.storage")

T = TypeVar("T")

WRITE_TIMEOUT_S = 1.0  # a database that takes longer than this for one small write is treated as down
READ_TIMEOUT_S = 10.0  # interactive reads (desktop); reads on a call's path pass a much shorter one


class CallStore:
    """Persists calls, turns and transfers; a database outage delays writes but never fails a call."""

    def __init__(
        self,
        url: str,
        engine: AsyncEngine,
        *,
        max_pending: int = 10_000,
        retry_base: float = 0.5,
        retry_cap: float = 30.0,
        write_timeout: float = WRITE_TIMEOUT_S,
        worker: str | None = None,
        journal: WriteJournal | None = None,
    ) -> None:
        self._raw_url = url
        self.worker = worker  # written on every call row (crash recovery closes only this worker's)
        self.url = redact(url)
        self._engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._writes = WriteQueue(
            self._sessions,
            self.url,
            max_pending=max_pending,
            retry_base=retry_base,
            retry_cap=retry_cap,
            write_timeout=write_timeout,
            migrate=lambda: asyncio.to_thread(upgrade_database, url),
            journal=journal,
        )
        self._abandoned: set[asyncio.Task[Any]] = set()  # reads past their deadline, left to finish

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        migrate: bool = True,
        max_pending: int = 10_000,
        retry_base: float = 0.5,
        retry_cap: float = 30.0,
        write_timeout: float = WRITE_TIMEOUT_S,
        sqlite_busy_timeout: float = WRITE_TIMEOUT_S,
        worker: str | None = None,
        journal: Path | None = None,
    ) -> CallStore:
        """Open the store on a plain URL; migrate now, or later from the retry task if the DB is down.

        With `journal`, parked writes also go to that file and those an earlier run left there are
        written first (ivr.storage.journal).
        """
        store = cls(
            url,
            async_engine(url, busy_timeout_s=sqlite_busy_timeout),
            max_pending=max_pending,
            retry_base=retry_base,
            retry_cap=retry_cap,
            write_timeout=write_timeout,
            worker=worker,
            journal=WriteJournal(journal) if journal is not None else None,
        )
        store._writes.replay_journal()
        if migrate:
            try:
                await asyncio.to_thread(upgrade_database, url)
            except Exception as exc:
                if not is_transient(exc):
                    await store._engine.dispose()
                    raise
                store._writes.migration_pending(exc)
        store._writes.start()
        return store

    @property
    def engine(self) -> AsyncEngine:
        """The SQLAlchemy engine, for stores of other tables that share this database."""
        return self._engine

    @property
    def session_factory(self) -> async_sessionmaker:
        """Sessions for interactive reads and writes (agent desktop) whose errors the user should see."""
        return self._sessions

    async def submit(self, op: Write) -> None:
        """Write one call-related op (see ivr.storage.ops) in order, surviving database outages."""
        await self._write(op)

    @property
    def pending_writes(self) -> int:
        """Writes waiting in memory for the database."""
        return self._writes.pending

    @property
    def outbox_capacity(self) -> int:
        """How many writes the outbox holds before it drops."""
        return self._writes.capacity

    @property
    def dropped_writes(self) -> int:
        """Writes given up: outbox full, refused by the database for good, or sent after close."""
        return self._writes.dropped

    @property
    def healthy(self) -> bool:
        """True when the last contact with the database worked and nothing waits to be written."""
        w = self._writes
        return not (w.outage or w.needs_migration or w.pending)

    async def start_call(
        self,
        *,
        call_uuid: str,
        agi_uniqueid: str,
        channel: str,
        caller_number: str | None,
        caller_name: str | None,
        language: str,
        started_at: datetime,
        wait: bool = True,
    ) -> CallHandle:
        """Record a new call; returns its handle even when the database is down.

        `wait=False` (a live call): this and every later write of the call return once queued.
        """
        require_aware(started_at=started_at)
        handle = CallHandle(call_uuid=call_uuid, wait=wait)
        values = {
            "agi_uniqueid": agi_uniqueid,
            "channel": channel,
            "caller_number": caller_number,
            "caller_name": caller_name,
            "language": language,
            "started_at": started_at,
            "worker": self.worker,
        }
        await self._write(StartCall(handle, values))
        return handle

    async def close_orphans(self, before: datetime) -> None:
        """Close the calls a dead run of this worker left open (queued like any write if the DB is down)."""
        if self.worker is None:
            raise ValueError("close_orphans needs the store opened with a worker id")
        require_aware(before=before)
        handle = CallHandle(call_uuid="(crash recovery)", wait=False)
        await self._write(CloseOrphans(handle, {"worker": self.worker, "before": before}))

    async def add_turn(
        self,
        call: CallHandle,
        *,
        speaker: str,
        text: str,
        started_at: datetime,
        ended_at: datetime,
        confidence: float | None = None,
        dtmf: str | None = None,
        interrupted: bool = False,
        meta: dict[str, Any] | None = None,
    ) -> None:
        """Record one turn, numbered in call order, committed at once when the database is up."""
        require_speaker(speaker)
        require_aware(started_at=started_at, ended_at=ended_at)
        values = {
            "seq": call.next_seq(),
            "speaker": speaker,
            "text": text,
            "started_at": started_at,
            "ended_at": ended_at,
            "confidence": confidence,
            "dtmf": dtmf,
            "interrupted": interrupted,
            "meta": dict(meta or {}),
        }
        await self._write(AddTurn(call, values))

    async def record_transfer(
        self,
        call: CallHandle,
        *,
        reason: str,
        queue: str,
        priority: int,
        summary: str,
        context: dict[str, Any],
        created_at: datetime,
    ) -> None:
        """Record the hand-off of the call to a queue with the context shown to the agent."""
        require_aware(created_at=created_at)
        values = {
            "reason": reason,
            "queue": queue,
            "priority": priority,
            "summary": summary,
            "context": dict(context),
            "created_at": created_at,
        }
        await self._write(RecordTransfer(call, values))

    async def end_call(
        self,
        call: CallHandle,
        *,
        ended_at: datetime,
        end_reason: str,
        outcome: str,
        queue: str | None = None,
        meta: dict[str, Any] | None = None,
    ) -> None:
        """Record how and when the call ended, and what the bot learned (`meta`: intent, language, slots)."""
        require_aware(ended_at=ended_at)
        values: dict[str, Any] = {"ended_at": ended_at, "end_reason": end_reason, "outcome": outcome}
        if queue is not None:
            values["queue"] = queue
        if meta is not None:
            values["meta"] = dict(meta)
        await self._write(UpdateCall(call, values))

    async def set_linkedid(self, call: CallHandle, linkedid: str) -> None:
        """Record the Asterisk Linkedid of the call once AMI has told it."""
        await self._write(UpdateCall(call, {"linkedid": linkedid}))

    async def get_call(self, call_uuid: str, *, timeout: float = READ_TIMEOUT_S) -> CallRecord | None:  # noqa: ASYNC109
        """The stored call with its turns and transfers; StorageUnavailable when the DB is down or slow."""
        found = await self._read(select(Call).where(Call.call_uuid == call_uuid), timeout=timeout)
        return found[0] if found else None

    async def recent_calls(
        self,
        caller_number: str,
        limit: int = 5,
        *,
        with_turns: bool = True,
        timeout: float = READ_TIMEOUT_S,  # noqa: ASYNC109
    ) -> list[CallRecord]:
        """The latest calls of a number, newest first; `with_turns=False` leaves their turns out (history)."""
        query = (
            select(Call)
            .where(Call.caller_number == caller_number)
            .order_by(Call.started_at.desc(), Call.id.desc())
            .limit(limit)
        )
        return await self._read(query, with_turns=with_turns, timeout=timeout)

    async def bounded(self, work: Coroutine[Any, Any, T], timeout: float) -> T:  # noqa: ASYNC109
        """Run a read within `timeout` seconds, or raise StorageUnavailable and leave it behind.

        The read runs in a task of its own: past the deadline whoever waited (a call, a screen-pop)
        goes on at once and the read is left to finish in the background. It is not cancelled: a query
        cancelled on a server that froze under it leaves the driver stuck on that connection for good,
        while a read left alone returns its connection when the server answers (or the pool's and the
        connection's deadlines give up). close() cancels what is still left.
        """
        task: asyncio.Task[T] = asyncio.ensure_future(work)
        try:
            done, _ = await asyncio.wait({task}, timeout=timeout)
        except asyncio.CancelledError:
            self._abandon(task)
            raise
        if not done:
            self._abandon(task)
            raise StorageUnavailable(f"database {self.url} did not answer within {timeout:g} s")
        try:
            return task.result()
        except Exception as exc:
            if is_transient(exc):
                raise StorageUnavailable(f"database {self.url} unavailable: {describe(exc)}") from exc
            raise

    def _abandon(self, task: asyncio.Task[Any]) -> None:
        """Keep a read nobody waits for any more until it has ended."""
        self._abandoned.add(task)
        task.add_done_callback(self._abandoned.discard)
        task.add_done_callback(lambda t: t.cancelled() or t.exception())  # retrieved: no "never retrieved"

    async def writes_landed(self) -> None:
        """Wait for the writes handed to the store so far to be attempted (committed, or parked).

        Reads call it first, so a read sees every write made before it (the screen-pop of a call that
        was just transferred finds the transfer), although calls never wait for their writes.
        """
        if self._writes.inflight:
            await asyncio.wait(set(self._writes.inflight))

    async def wait_flushed(self) -> None:
        """Return once every write handed to the store so far is in the database."""
        w = self._writes
        while True:
            if w.inflight:
                await asyncio.wait(set(w.inflight))
            elif not w.idle.is_set():
                await w.idle.wait()
            else:
                return

    async def journal_synced(self) -> None:
        """Return once every write parked so far is fsync'd to the journal (when there is one)."""
        if self._writes.journal is not None:
            await asyncio.to_thread(self._writes.journal.flush)

    async def retry_now(self) -> bool:
        """Try the pending writes right away, skipping the backoff; True when nothing is left pending."""
        return self._writes.idle.is_set() or await self._writes.drain()

    async def close(self) -> None:
        """Finish in-flight writes, make a last attempt at the outbox, log what is lost, release all."""
        if self._writes.closed:
            return
        await self._writes.close()
        if self._abandoned:
            _, stuck = await asyncio.wait(set(self._abandoned), timeout=WRITE_TIMEOUT_S)
            for task in stuck:
                task.cancel()
        await self._engine.dispose()

    async def _write(self, op: Write) -> None:
        """Hand one op to the write queue; a live call's handle does not wait for it."""
        await self._writes.write(op, wait=op.handle.wait)

    async def _read(
        self,
        query: Select[tuple[Call]],
        *,
        with_turns: bool = True,
        timeout: float = READ_TIMEOUT_S,  # noqa: ASYNC109
    ) -> list[CallRecord]:
        """Run a read of calls (with transfers, and turns) and snapshot them, or raise StorageUnavailable."""
        query = query.options(selectinload(Call.transfers))
        if with_turns:
            query = query.options(selectinload(Call.turns))

        async def run() -> list[CallRecord]:
            await self.writes_landed()
            async with self._sessions() as session:
                rows = (await session.scalars(query)).all()
                return [call_record(row, with_turns=with_turns) for row in rows]

        return await self.bounded(run(), timeout)
