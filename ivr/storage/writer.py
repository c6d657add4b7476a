"""The write queue behind CallStore: ordered writes with short deadlines, an outbox and one retry task.

How this works: each write (an op of ivr.storage.ops) runs in a task the queue owns, chained after the
previous write of the same call, so a call never waits for the database unless it asks to and a caller
cancelled mid-write (hang-up) does not lose the write. A write is tried at once, in a child task with a
short deadline; a database that refuses, fails or simply does not answer in time is "down": the outage
is logged at that moment (not when the hung attempt finally returns), the write is parked in the outbox,
and from then on every write queues behind it until the single retry task has drained the outbox with
backoff. A write the database refuses for good (bad data) is tried once more in its degraded form (the
caller-controlled extras dropped), so the rest of the call is still stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker

from ivr.storage.journal import Entry, WriteJournal
from ivr.storage.ops import MissingCall, Write
from ivr.storage.outbox import Outbox, backoff_delay, is_transient

log = logging.getLogger("ivr.storage")


@dataclass(eq=False)
class _Pending:
    """A write and how many times it was attempted (a retry must not duplicate a maybe-committed one)."""

    op: Write
    attempts: int = 0
    degraded: bool = False
    entry: Entry | None = None  # its line in the journal, while it waits in the outbox
    running: asyncio.Future[int | None] | None = None  # its transaction, until it has ended


class HandleLost(Exception):
    """The call's start was refused for good, so its later writes have nowhere to go."""


def describe(error: BaseException) -> str:
    """A short cause for logs: the driver's first line, without SQL text or bound values (PII)."""
    cause = getattr(error, "orig", None) or error
    first = (str(cause).strip().splitlines() or [""])[0]
    return f"{type(cause).__name__}: {first}" if first else type(cause).__name__


class WriteQueue:
    """Ordered, deadline-bound writes with an outbox; `url` (redacted) only names the database in logs."""

    def __init__(
        self,
        sessions: async_sessionmaker,
        url: str,
        *,
        max_pending: int,
        retry_base: float,
        retry_cap: float,
        write_timeout: float,
        migrate: Callable[[], Awaitable[None]],
        journal: WriteJournal | None = None,
    ) -> None:
        self._sessions, self.url, self._migrate, self.journal = sessions, url, migrate, journal
        self._outbox: Outbox[_Pending] = Outbox(max_pending)
        self._retry_base, self._retry_cap, self._write_timeout = retry_base, retry_cap, write_timeout
        self.needs_migration = False
        self.outage = False
        self.closed = False
        self.given_up = 0
        self.inflight: set[asyncio.Task[None]] = set()
        self._tails: dict[str, asyncio.Task[None]] = {}  # each call's latest write
        self._work = asyncio.Event()  # set while the outbox (or a migration) waits for the retry task
        self.idle = asyncio.Event()  # set while nothing waits
        self.idle.set()
        self._drain_lock = asyncio.Lock()  # one drain at a time keeps the outbox in order
        self._retry_task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the retry task."""
        self._retry_task = asyncio.create_task(self._retry_loop(), name="ivr-storage-retry")

    def migration_pending(self, error: BaseException) -> None:
        """The database was down at open: migrate first, from the retry task, before any write."""
        self.note_outage(error)
        self.needs_migration = True
        self.idle.clear()
        self._work.set()

    def replay_journal(self) -> None:
        """Put the writes an earlier run could not save at the head of the outbox, in their order."""
        if self.journal is None:
            return
        entries = self.journal.pending()
        for entry in entries:
            # attempts=1: the earlier run may have written it just before it stopped (retries are idempotent)
            self._outbox.push(_Pending(entry.op, attempts=1, entry=entry))
        if entries:
            log.warning(
                "storage: %d writes of an earlier run found in %s: saving them first",
                len(entries),
                self.journal.path,
            )
            self.idle.clear()
            self._work.set()

    @property
    def capacity(self) -> int:
        """How many writes the outbox holds before it drops."""
        return self._outbox.capacity

    @property
    def pending(self) -> int:
        """Writes parked in the outbox."""
        return len(self._outbox)

    @property
    def dropped(self) -> int:
        """Writes given up: outbox full, refused for good, or sent after close."""
        return self._outbox.dropped + self.given_up

    async def write(self, op: Write, *, wait: bool) -> None:
        """Run one op after the earlier ops of its call; `wait` False returns as soon as it is queued."""
        if self.closed:
            self.given_up += 1
            log.error("storage: %s for call %s after close: dropped", op.kind, op.handle.call_uuid)
            return
        # Chained by call, not by handle: the AMI side writes a call's transfer phases through handles of
        # its own, and they must land after the call's own writes (the transfer row first).
        key = op.handle.call_uuid
        previous = self._tails.get(key)
        task = asyncio.ensure_future(self._after(previous, op))
        op.handle._tail = self._tails[key] = task
        self.inflight.add(task)
        task.add_done_callback(self.inflight.discard)
        task.add_done_callback(lambda t: self._tails.pop(key, None) if self._tails.get(key) is t else None)
        if wait:
            await asyncio.shield(task)

    async def close(self) -> None:
        """Finish in-flight writes, make a last attempt at the outbox, log what is lost."""
        self.closed = True
        if self.inflight:
            await asyncio.wait(set(self.inflight))
        if self._retry_task is not None:
            self._retry_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._retry_task
        if not self.idle.is_set():
            await self.drain()
        if self.journal is not None:
            self.journal.close()
        if (len(self._outbox) or self.needs_migration) and self.journal is not None:
            log.warning(
                "storage: %d writes could not be saved to %s yet: kept in %s for the next start",
                len(self._outbox),
                self.url,
                self.journal.path,
            )
        elif len(self._outbox) or self.needs_migration:
            log.error("storage: %d writes could not be saved to %s", len(self._outbox), self.url)
        if self.dropped:
            log.error("storage: %d writes were dropped in this run (%s)", self.dropped, self.url)

    async def _after(self, previous: asyncio.Future[None] | None, op: Write) -> None:
        """Wait for the call's previous write, then submit this one."""
        if previous is not None and not previous.done():
            await asyncio.wait({previous})
        await self._submit(_Pending(op))

    async def _submit(self, pending: _Pending) -> None:
        """Write now, or queue behind an outage so order holds; never raises."""
        if len(self._outbox) or self.needs_migration or self.outage:
            self._enqueue(pending)
            return
        try:
            await self._attempt(pending)
        except Exception as exc:
            await self._failed(pending, exc)

    async def _failed(self, pending: _Pending, exc: Exception) -> None:
        """Park a transient failure in the outbox; try a permanent one once more, degraded."""
        if is_transient(exc):
            self.note_outage(exc)
            self._enqueue(pending)
        elif (degraded := self._degraded(pending, exc)) is not None:
            try:
                await self._attempt(degraded)
            except Exception as again:
                await self._failed(degraded, again)
        else:
            self._give_up(pending, exc)

    async def _attempt(self, pending: _Pending) -> None:
        """One transaction for one write; past the write deadline the database is noted as down.

        The attempt is never cancelled: cancelling a query on a server that froze under it leaves the
        driver's clean-up stuck on that connection for good. Nobody on a call waits for it anyway, so it
        is simply awaited to its end (the server answers, or TCP keepalive gives up on a dead host),
        while the outage is logged when the deadline passes and every other write queues behind it.
        """
        if pending.op.handle.lost:
            raise HandleLost
        if pending.running is not None:
            earlier = pending.running
            landed = await self._landed(earlier)
            pending.running = None
            if landed:
                pending.op.committed(earlier.result())
                return
        retried = pending.attempts > 0
        pending.attempts += 1
        task = pending.running = asyncio.ensure_future(self._transaction(pending.op, retried))
        done, _ = await asyncio.wait({task}, timeout=self._write_timeout)
        if not done:
            self.note_outage(TimeoutError(f"no answer within {self._write_timeout:g} s"))
            await asyncio.wait({task})
        pending.running = None
        pending.op.committed(task.result())

    async def _landed(self, earlier: asyncio.Future[int | None]) -> bool:
        """Whether an attempt whose waiter was cancelled (close() stopping a drain) committed after all.

        Its transaction went on without the waiter; a new attempt started beside it would look for the row
        before that one commits, insert it again and be refused as a duplicate: so it is waited for first.
        """
        await asyncio.wait({earlier})
        return not earlier.cancelled() and earlier.exception() is None

    async def _transaction(self, op: Write, retried: bool) -> int | None:
        """Apply one op in its own transaction (on PostgreSQL with a server-side statement deadline)."""
        async with self._sessions.begin() as session:
            if session.bind.dialect.name == "postgresql":
                ms = max(1, int(self._write_timeout * 1000))
                await session.execute(text(f"SET LOCAL statement_timeout = {ms}"))
            return await op.apply(session, retried)

    def _degraded(self, pending: _Pending, error: BaseException) -> _Pending | None:
        """The write without its caller-controlled extras, once; None when there is nothing to drop."""
        # A duplicate or a missing call row is not about the values: dropping fields would not help.
        if pending.degraded or isinstance(error, HandleLost | sa_exc.IntegrityError | MissingCall):
            return None
        op = pending.op.degraded()
        if op is None:
            return None
        log.error(
            "storage: %s for call %s refused (%s); storing it without its free-text fields",
            pending.op.kind,
            pending.op.handle.call_uuid,
            describe(error),
        )
        # A refusal means that attempt committed nothing: the degraded one is a first attempt.
        return _Pending(op, degraded=True)

    def _enqueue(self, pending: _Pending) -> None:
        """Park a write at the tail of the outbox and wake the retry task."""
        if not self._outbox.push(pending):
            if self._outbox.dropped == 1 or self._outbox.dropped % 1000 == 0:
                log.error(
                    "storage: outbox full (%d): %d writes dropped so far", len(self._outbox), self.dropped
                )
            return
        if self.journal is not None and pending.entry is None:  # on disk too: a crash does not lose it
            pending.entry = self.journal.append(pending.op)
        self.idle.clear()
        self._work.set()

    def _give_up(self, pending: _Pending, error: BaseException) -> None:
        """Drop a write the database refuses for good; a lost call start drops the call's later writes."""
        self.given_up += 1
        handle = pending.op.handle
        if isinstance(error, HandleLost):
            return
        if pending.op.kind == "start_call":
            handle.lost = True
        log.error("storage: %s for call %s refused: %s", pending.op.kind, handle.call_uuid, describe(error))

    async def drain(self) -> bool:
        """Migrate if still needed, then write the outbox from its head; False at the first failure."""
        async with self._drain_lock:
            return await self._drain_locked()

    async def _drain_locked(self) -> bool:
        """The body of drain, under its lock."""
        if self.needs_migration:
            try:
                await self._migrate()
            except Exception as exc:
                self.note_outage(exc)
                return False
            self.needs_migration = False
        while len(self._outbox):
            pending = self._outbox.head()
            try:
                await self._attempt(pending)
            except Exception as exc:
                if is_transient(exc):
                    self.note_outage(exc)
                    return False
                degraded = self._degraded(pending, exc)
                if degraded is not None:
                    degraded.entry = pending.entry
                    self._outbox.replace_head(degraded)
                    continue
                self._give_up(pending, exc)
            self._outbox.pop()
            if pending.entry is not None and self.journal is not None:
                self.journal.done(pending.entry)
        if self.journal is not None:
            self.journal.clear()
        self._work.clear()
        self.idle.set()
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
            failures = 0 if await self.drain() else failures + 1

    def note_outage(self, error: BaseException) -> None:
        """Log the first failure of an outage only."""
        if not self.outage:
            self.outage = True
            log.error(
                "storage: database %s unavailable (%s); writes wait in memory, calls go on",
                self.url,
                describe(error),
            )

    def _note_recovered(self) -> None:
        """Log the end of an outage."""
        if self.outage:
            self.outage = False
            log.warning("storage: database %s is back; queued writes saved", self.url)
