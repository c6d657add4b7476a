"""Event subscriptions: callbacks by event name or glob, fed through a bounded queue in arrival order."""

from __future__ import annotations

import asyncio
import fnmatch
import inspect
import logging
from collections.abc import Awaitable, Callable

from ivr.ami.codec import AmiMessage

log = logging.getLogger(__name__)

EventCallback = Callable[[AmiMessage], Awaitable[None] | None]


async def call_safely(callback: Callable[..., Awaitable[None] | None], *args: object) -> None:
    """Run a sync or async callback; log (never raise) what it raises, so one bad callback harms nothing."""
    try:
        result = callback(*args)
        if inspect.isawaitable(result):
            await result
    except Exception:
        log.exception("AMI callback %r raised", callback)


class EventDispatcher:
    """Holds subscriptions and delivers queued events to them one at a time, in the order received.

    The socket reader only calls `put()`, so a slow callback never stops us reading (Asterisk drops
    clients that do not take its writes within 100 ms). The queue is bounded: when full, the oldest
    event is dropped and counted in `dropped`.
    """

    def __init__(self, max_queued: int = 10_000) -> None:
        self._exact: dict[str, list[EventCallback]] = {}
        self._globs: list[tuple[str, EventCallback]] = []
        self._queue: asyncio.Queue[AmiMessage] = asyncio.Queue(max_queued)
        self.dropped = 0

    def subscribe(self, pattern: str, callback: EventCallback) -> Callable[[], None]:
        """Call `callback(message)` for events named `pattern` (case-insensitive; `*`/`?` globs allowed)."""
        key = pattern.lower()
        if any(c in key for c in "*?["):
            entry = (key, callback)
            self._globs.append(entry)
            return lambda: _remove(self._globs, entry)
        callbacks = self._exact.setdefault(key, [])
        callbacks.append(callback)
        return lambda: _remove(callbacks, callback)

    def put(self, message: AmiMessage) -> None:
        """Queue an event for delivery; drops the oldest queued event if the queue is full."""
        if self._queue.full():
            self._queue.get_nowait()
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                log.warning("AMI event queue full: %d events dropped so far", self.dropped)
        self._queue.put_nowait(message)

    async def run(self) -> None:
        """Deliver queued events forever (until cancelled)."""
        while True:
            await self.deliver(await self._queue.get())

    async def deliver(self, message: AmiMessage) -> None:
        """Call every callback matching this event, in subscription order (exact names first)."""
        name = (message.event or "").lower()
        matching = list(self._exact.get(name, ()))
        matching += [cb for pattern, cb in self._globs if fnmatch.fnmatchcase(name, pattern)]
        for callback in matching:
            await call_safely(callback, message)


def _remove(items: list, item: object) -> None:
    # Unsubscribing twice is harmless.
    if item in items:
        items.remove(item)
