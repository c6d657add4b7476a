"""SQLite serves one worker: `ivr serve` claims the database file with an exclusive lock for its lifetime.

The lock (flock on `<file>.serve.lock`) is released by the kernel when the process ends, even by kill -9,
so a crashed worker never blocks its restart. Tools (`ivr users`, `ivr call`, `ivr db upgrade`) do not
claim it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from ivr.errors import StartupError
from ivr.storage.urls import sqlite_file


class SqliteClaim:
    """The held lock; `release()` at stop."""

    def __init__(self, fd: int, path: Path) -> None:
        self._fd, self.path = fd, path

    def release(self) -> None:
        """Let another worker use the file."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def claim_sqlite(url: str) -> SqliteClaim | None:
    """Claim the SQLite file of `url` for this worker; StartupError when another worker holds it."""
    database = sqlite_file(url)
    if database is None:
        return None
    path = database.with_name(database.name + ".serve.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
        os.close(fd)
        raise StartupError(
            f"{database} is already used by another `ivr serve` (pid {holder}): SQLite serves one worker. "
            "Run several workers on PostgreSQL (IVR_DATABASE_URL=postgresql://…; README: Deployment)"
        ) from None
    with contextlib.suppress(OSError):
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return SqliteClaim(fd, path)
