"""The pid file `ivr serve` writes so `ivr reload` knows whom to signal."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path


def read_pid(path: Path) -> int:
    """The pid of a running service; ValueError for a garbled file, ProcessLookupError for a stale one."""
    text = path.read_text().strip()
    if not text.isdigit():
        raise ValueError(f"{path} does not hold a process id")
    pid = int(text)
    os.kill(pid, 0)  # raises ProcessLookupError when nobody by that pid runs any more
    return pid


@contextlib.contextmanager
def pidfile(path: Path) -> Iterator[None]:
    """Write our pid for the lifetime of the block; remove it after, if it is still ours."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{os.getpid()}\n")
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            if path.read_text().strip() == str(os.getpid()):
                path.unlink()
