"""CallStore: the asyncio face of storage that every call session writes its record through.

How this works: each write becomes an op (ivr.storage.ops). Ops of one call run one after the other
(each handle chains its writes), in a task the store owns, so a caller cancelled mid-write (hang-up)
does not lose the write. A write is tried at once; a transient failure parks it in the outbox
(ivr.storage.outbox) and from then on every write queues behind it until the single retry task has
drained the outbox with backoff. Writes never raise into the call; reads raise StorageUnavailable.
If the database is down when the store opens, the migration itself waits at the head of the line.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlalchemy.orm import selectinload

from ivr.storage.db import async_engine, upgrade_database
from ivr.storage.journal import Entry, WriteJournal
from ivr.storage.models import Call
from ivr.storage.ops import (
    AddTurn,
    RecordTransfer,
    StartCall,
    UpdateCall,
    Write,
    require_aware,
    require_speaker,
)
from ivr.storage.outbox import Outbox, backoff_delay, is_transient
from ivr.storage.records import CallHandle, CallRecord, StorageUnavailable, call_record
from ivr.storage.urls import redact

log = logging.getLogger("ivr.storage")


@dataclass(eq=False)
class _Pending:
    """A write and how many times it was attempted (a retry must not duplicate a maybe-committed one)."""

    op: Write
    attempts: int = 0
    entry: Entry | None = None  # its line in the journal, while it waits in the outbox


def _describe(error: BaseException) -> str:
    """A short cause for logs: the driver's first line, without SQL text or bound values (PII)."""
    cause = getattr(error, "orig", None) or error
    first = (str(cause).strip().splitlines() or [""])[0]
    return f"{type(cause).__name__}: {first}" if first else type(cause).__name__


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
        write_timeout: float = 10.0,
        journal: WriteJournal | None = None,
    ) -> None:
        self._journal = journal
        self._raw_url = url
        self.url = redact(url)
        self._engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._outbox: Outbox[_Pending] = Outbox(max_pending)
        self._retry_base, self._retry_cap, self._write_timeout = retry_base, retry_cap, write_timeout
        self._needs_migration = False
        self._outage = False
        self._closed = False
        self._given_up = 0
        self._inflight: set[asyncio.Task[None]] = set()
        self._work = asyncio.Event()  # set while the outbox (or a migration) waits for the retry task
        self._idle = asyncio.Event()  # set while nothing waits
        self._idle.set()
        self._drain_lock = asyncio.Lock()  # one drain at a time keeps the outbox in order
        self._retry_task: asyncio.Task[None] | None = None

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        migrate: bool = True,
        max_pending: int = 10_000,
        retry_base: float = 0.5,
        retry_cap: float = 30.0,
        write_timeout: float = 10.0,
        sqlite_busy_timeout: float = 5.0,
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
            journal=WriteJournal(journal) if journal is not None else None,
        )
        store._replay_journal()
        if migrate:
            try:
                await asyncio.to_thread(upgrade_database, url)
            except Exception as exc:
                if not is_transient(exc):
                    await store._engine.dispose()
                    raise
                store._note_outage(exc)
                store._needs_migration = True
                store._idle.clear()
                store._work.set()
        store._retry_task = asyncio.create_task(store._retry_loop(), name="ivr-storage-retry")
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
        return len(self._outbox)

    @property
    def outbox_capacity(self) -> int:
        """How many writes the outbox holds before it drops."""
        return self._outbox.capacity

    @property
    def dropped_writes(self) -> int:
        """Writes given up: outbox full, refused by the database for good, or sent after close."""
        return self._outbox.dropped + self._given_up

    @property
    def healthy(self) -> bool:
        """True when the last contact with the database worked and nothing waits to be written."""
        return not (self._outage or self._needs_migration or len(self._outbox))

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
    ) -> CallHandle:
        """Record a new call; returns its handle even when the database is down."""
        require_aware(started_at=started_at)
        handle = CallHandle(call_uuid=call_uuid)
        values = {
            "agi_uniqueid": agi_uniqueid,
            "channel": channel,
            "caller_number": caller_number,
            "caller_name": caller_name,
            "language": language,
            "started_at": started_at,
        }
        await self._write(StartCall(handle, values))
        return handle

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

    async def get_call(self, call_uuid: str) -> CallRecord | None:
        """The stored call with its turns and transfers; StorageUnavailable when the DB is down."""
        found = await self._read(select(Call).where(Call.call_uuid == call_uuid))
        return found[0] if found else None

    async def recent_calls(
        self, caller_number: str, limit: int = 5, *, with_turns: bool = True
    ) -> list[CallRecord]:
        """The latest calls of a number, newest first; `with_turns=False` leaves their turns out (history)."""
        query = (
            select(Call)
            .where(Call.caller_number == caller_number)
            .order_by(Call.started_at.desc(), Call.id.desc())
            .limit(limit)
        )
        return await self._read(query, with_turns=with_turns)

    async def wait_flushed(self) -> None:
        """Return once every write handed to the store so far is in the database."""
        while True:
            if self._inflight:
                await asyncio.wait(set(self._inflight))
            elif not self._idle.is_set():
                await self._idle.wait()
            else:
                return

    async def journal_synced(self) -> None:
        """Return once every write parked so far is fsync'd to the journal (when there is one)."""
        if self._journal is not None:
            await asyncio.to_thread(self._journal.flush)

    async def retry_now(self) -> bool:
        """Try the pending writes right away, skipping the backoff; True when nothing is left pending."""
        return self._idle.is_set() or await self._drain()

    async def close(self) -> None:
        """Finish in-flight writes, make a last attempt at the outbox, log what is lost, release all."""
        if self._closed:
            return
        self._closed = True
        if self._inflight:
            await asyncio.wait(set(self._inflight))
        if self._retry_task is not None:
            self._retry_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._retry_task
        if not self._idle.is_set():
            await self._drain()
        if self._journal is not None:
            self._journal.close()
        if (len(self._outbox) or self._needs_migration) and self._journal is not None:
            log.warning(
                "storage: %d writes could not be saved to %s yet: kept in %s for the next start",
                len(self._outbox),
                self.url,
                self._journal.path,
            )
        elif len(self._outbox) or self._needs_migration:
            log.error("storage: %d writes could not be saved to %s", len(self._outbox), self.url)
        if self.dropped_writes:
            log.error("storage: %d writes were dropped in this run (%s)", self.dropped_writes, self.url)
        await self._engine.dispose()

    def _replay_journal(self) -> None:
        """Put the writes an earlier run could not save at the head of the outbox, in their order."""
        if self._journal is None:
            return
        entries = self._journal.pending()
        for entry in entries:
            # attempts=1: the earlier run may have written it just before it stopped (retries are idempotent)
            self._outbox.push(_Pending(entry.op, attempts=1, entry=entry))
        if entries:
            log.warning("storage: %d writes of an earlier run found in %s: saving them first", len(entries),
                        self._journal.path)  # fmt: skip
            self._idle.clear()
            self._work.set()

    async def _write(self, op: Write) -> None:
        """Run one op after the earlier ops of its call, shielded from the caller's cancellation."""
        if self._closed:
            self._given_up += 1
            log.error("storage: %s for call %s after close: dropped", op.kind, op.handle.call_uuid)
            return
        previous = op.handle._tail
        task = asyncio.ensure_future(self._after(previous, op))
        op.handle._tail = task
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)
        await asyncio.shield(task)

    async def _after(self, previous: asyncio.Future[None] | None, op: Write) -> None:
        """Wait for the call's previous write, then submit this one."""
        if previous is not None and not previous.done():
            await asyncio.wait({previous})
        await self._submit(_Pending(op))

    async def _submit(self, pending: _Pending) -> None:
        """Write now, or queue behind an outage so order holds; never raises."""
        if len(self._outbox) or self._needs_migration:
            self._enqueue(pending)
            return
        try:
            await self._attempt(pending)
        except Exception as exc:
            if is_transient(exc):
                self._note_outage(exc)
                self._enqueue(pending)
            else:
                self._give_up(pending, exc)

    async def _attempt(self, pending: _Pending) -> None:
        """One transaction for one write, bounded by the write timeout."""
        if pending.op.handle.lost:
            raise _HandleLost
        retried = pending.attempts > 0
        pending.attempts += 1
        async with asyncio.timeout(self._write_timeout), self._sessions.begin() as session:
            result = await pending.op.apply(session, retried)
        pending.op.committed(result)

    def _enqueue(self, pending: _Pending) -> None:
        """Park a write at the tail of the outbox and wake the retry task."""
        if not self._outbox.push(pending):
            if self._outbox.dropped == 1 or self._outbox.dropped % 1000 == 0:
                log.error(
                    "storage: outbox full (%d): %d writes dropped so far",
                    len(self._outbox),
                    self.dropped_writes,
                )
            return
        if self._journal is not None:  # on disk too, so a crash or restart does not lose it
            pending.entry = self._journal.append(pending.op)
        self._idle.clear()
        self._work.set()

    def _give_up(self, pending: _Pending, error: BaseException) -> None:
        """Drop a write the database refuses for good; a lost call start drops the call's later writes."""
        self._given_up += 1
        handle = pending.op.handle
        if isinstance(error, _HandleLost):
            return
        if isinstance(pending.op, StartCall):
            handle.lost = True
        log.error("storage: %s for call %s refused: %s", pending.op.kind, handle.call_uuid, _describe(error))

    async def _drain(self) -> bool:
        """Migrate if still needed, then write the outbox from its head; False at the first failure."""
        async with self._drain_lock:
            return await self._drain_locked()

    async def _drain_locked(self) -> bool:
        """The body of _drain, under its lock."""
        if self._needs_migration:
            try:
                await asyncio.to_thread(upgrade_database, self._raw_url)
            except Exception as exc:
                self._note_outage(exc)
                return False
            self._needs_migration = False
        while len(self._outbox):
            pending = self._outbox.head()
            try:
                await self._attempt(pending)
            except Exception as exc:
                if is_transient(exc):
                    self._note_outage(exc)
                    return False
                self._give_up(pending, exc)
            self._outbox.pop()
            if pending.entry is not None and self._journal is not None:
                self._journal.done(pending.entry)
        if self._journal is not None:
            self._journal.clear()
        self._work.clear()
        self._idle.set()
        self._note_recovered()
        return True

    async def _retry_loop(self) -> None:
        """The one background task: drain the outbox whenever it fills, backing off between failures."""
        failures = 0
        while True:
            await self._work.wait()
            # Something just failed to reach the database: give it the backoff before trying again.
            # A plain sleep: retry_now() drains without waiting for it, and close() cancels this task.
            await asyncio.sleep(backoff_delay(failures + 1, base=self._retry_base, cap=self._retry_cap))
            failures = 0 if await self._drain() else failures + 1

    def _note_outage(self, error: BaseException) -> None:
        """Log the first failure of an outage only."""
        if not self._outage:
            self._outage = True
            log.error(
                "storage: database %s unavailable (%s); writes wait in memory", self.url, _describe(error)
            )

    def _note_recovered(self) -> None:
        """Log the end of an outage."""
        if self._outage:
            self._outage = False
            log.warning("storage: database %s is back; queued writes saved", self.url)

    async def _read(self, query: Select[tuple[Call]], *, with_turns: bool = True) -> list[CallRecord]:
        """Run a read of calls (with transfers, and turns) and snapshot them, or raise StorageUnavailable."""
        query = query.options(selectinload(Call.transfers))
        if with_turns:
            query = query.options(selectinload(Call.turns))
        try:
            async with asyncio.timeout(self._write_timeout), self._sessions() as session:
                rows = (await session.scalars(query)).all()
                return [call_record(row, with_turns=with_turns) for row in rows]
        except Exception as exc:
            if is_transient(exc):
                raise StorageUnavailable(f"database {self.url} unavailable: {_describe(exc)}") from exc
            raise


class _HandleLost(Exception):
    """The call's start was refused for good, so its later writes have nowhere to go."""
