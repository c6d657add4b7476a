"""The outbox journal: writes that could not reach the database, on disk until they are written.

How this works: when the store parks a write in the outbox (the database is away), the write is also
appended to this file as one JSON line and fsync'd, so it survives a crash or a restart of the worker.
Once the outbox has written it, a short `done` line follows (not fsync'd: replaying a write that did land
is harmless, every op is idempotent when retried). When the outbox is empty the file is truncated. At
the next start `pending()` returns the writes without a `done`, in their original order, and the store
puts them at the head of its outbox, ahead of anything new. The file is written by one thread, so the
event loop never waits for the disk and the lines keep their order; an exclusive lock keeps two workers
from sharing one journal. A torn last line (power loss in the middle of a write) is skipped with a warning.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import ivr.storage.queue_ops
import ivr.storage.survey_ops  # noqa: F401  (their Write kinds must be known when replaying)
from ivr.errors import StartupError
from ivr.storage.ops import Write
from ivr.storage.records import CallHandle

log = logging.getLogger("ivr.storage")


@dataclass(frozen=True, slots=True)
class Entry:
    """One journaled write."""

    number: int
    op: Write


def _kinds() -> dict[str, type[Write]]:
    """Every Write subclass by its kind."""
    found: dict[str, type[Write]] = {}
    todo = list(Write.__subclasses__())
    while todo:
        cls = todo.pop()
        found[cls.kind] = cls
        todo += cls.__subclasses__()
    return found


def _encode(value: Any) -> Any:
    """JSON-able values; datetimes keep their offset."""
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    """The inverse of _encode."""
    if isinstance(value, dict):
        if set(value) == {"$dt"}:
            return datetime.fromisoformat(value["$dt"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


class WriteJournal:
    """The append-only journal of one worker's outbox."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._fd)
            raise StartupError(
                f"{path} is the outbox journal of another running worker: give each worker its own "
                "paths.journal"
            ) from None
        self._next = 1
        self._disk = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ivr-journal")
        self._last: Future[None] | None = None

    def pending(self) -> list[Entry]:
        """The writes of an earlier run that were never written, oldest first; the file is rewritten."""
        entries: dict[int, dict[str, Any]] = {}
        with open(self.path, encoding="utf-8", errors="replace") as file:
            for number, line in enumerate(file, 1):
                try:
                    record = json.loads(line)
                except ValueError:
                    log.warning("storage: %s line %d is torn: skipped", self.path, number)
                    continue
                if "done" in record:
                    entries.pop(record["done"], None)
                else:
                    entries[record["n"]] = record
        kinds, handles = _kinds(), {}
        result = []
        for record in entries.values():
            cls = kinds.get(record["kind"])
            if cls is None:
                log.error("storage: %s holds an unknown write kind %r: skipped", self.path, record["kind"])
                continue
            handle = handles.setdefault(record["call"], CallHandle(record["call"]))
            result.append(Entry(0, cls(handle, _decode(record["values"]))))
        os.ftruncate(self._fd, 0)
        return [self.append(entry.op) for entry in result]

    def append(self, op: Write) -> Entry:
        """Journal a write the outbox now holds (fsync'd by the journal's thread)."""
        entry = Entry(self._next, op)
        self._next += 1
        line = {"n": entry.number, "kind": op.kind, "call": op.handle.call_uuid, "values": _encode(op.values)}
        self._submit(json.dumps(line, separators=(",", ":")) + "\n", sync=True)
        return entry

    def done(self, entry: Entry) -> None:
        """The write is in the database."""
        self._submit(json.dumps({"done": entry.number}) + "\n", sync=False)

    def clear(self) -> None:
        """The outbox is empty: nothing to replay any more."""
        self._last = self._disk.submit(os.ftruncate, self._fd, 0)
        self._last.add_done_callback(self._check)

    def flush(self) -> None:
        """Block until every line queued so far is on disk."""
        last = self._last
        if last is not None:
            last.result()

    def close(self) -> None:
        """Finish the pending disk writes and release the file (and its lock)."""
        self._disk.shutdown(wait=True)
        with contextlib.suppress(OSError):
            os.close(self._fd)

    def _submit(self, text: str, *, sync: bool) -> None:
        """Queue one line for the journal's thread (lines stay in order)."""
        self._last = self._disk.submit(self._write, text.encode(), sync)
        self._last.add_done_callback(self._check)

    def _check(self, future: Future[None]) -> None:
        if future.exception() is not None:  # disk full, I/O error: the write still waits in memory
            log.error("storage: journal %s not written: %s", self.path, future.exception())

    def _write(self, data: bytes, sync: bool) -> None:
        os.write(self._fd, data)
        if sync:
            os.fsync(self._fd)
