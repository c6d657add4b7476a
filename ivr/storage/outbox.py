"""The outbox: writes that failed while the database was away, kept in order, plus retry policy.

How this works: the store tries each write at once. A transient failure (connection refused, server
gone, "database is locked", timeout) puts the write at the tail of this FIFO, and while the FIFO is not
empty every new write joins the tail too, so the writes of one call can never overtake each other (a turn
never reaches the database before its call row). One retry task drains the head with exponential
backoff. The FIFO is bounded: when full, new writes are refused and counted rather than growing memory
without limit during a long outage. Nothing here touches asyncio or a clock.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Generic, TypeVar

from sqlalchemy import exc as sa_exc

T = TypeVar("T")


def is_transient(error: BaseException) -> bool:
    """True for failures that a later retry can cure: the database is away, busy or slow."""
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    transient = (
        sa_exc.OperationalError,  # refused, server shut down, "database is locked", read-only file
        sa_exc.InterfaceError,  # connection closed under us
        sa_exc.TimeoutError,  # pool exhausted
        OSError,
        TimeoutError,
    )
    return isinstance(error, transient)


def backoff_delay(failures: int, *, base: float, cap: float) -> float:
    """Seconds to wait after `failures` consecutive failed attempts (1 -> base, doubling, capped)."""
    if failures <= 0:
        return 0.0
    return min(cap, base * 2.0 ** min(failures - 1, 62))


class Outbox(Generic[T]):
    """A bounded FIFO of pending writes; the head is removed only once it has been written."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("outbox capacity must be at least 1")
        self.capacity = capacity
        self.dropped = 0
        self._items: deque[T] = deque()

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[T]:
        return iter(self._items)

    def push(self, item: T) -> bool:
        """Append at the tail; False (and counted as dropped) when full."""
        if len(self._items) >= self.capacity:
            self.dropped += 1
            return False
        self._items.append(item)
        return True

    def head(self) -> T:
        """The oldest pending write (IndexError when empty)."""
        return self._items[0]

    def replace_head(self, item: T) -> None:
        """Put another version of the head in its place (a degraded retry keeps the write's turn)."""
        self._items[0] = item

    def pop(self) -> T:
        """Remove the head once it is written or given up for good."""
        return self._items.popleft()
