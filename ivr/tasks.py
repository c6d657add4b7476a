"""The one owner of a component's background tasks: spawn them here, close them all at stop.

A TaskGroup fits work whose end is awaited (a call's tasks); background loops that live as long as the
service (AMI client, queue monitor, cluster link, reloads, desktop pushes) are cancelled at stop instead,
and a crash of one is logged rather than taking the others down. This registry does that in one place.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class TaskRegistry:
    """Holds every running background task until it ends; `close()` cancels and awaits what is left."""

    def __init__(self) -> None:
        self._tasks: dict[asyncio.Task[Any], None] = {}  # a dict keeps the start order
        self._closed = False

    def __len__(self) -> int:
        return len(self._tasks)

    def spawn(self, work: Coroutine[Any, Any, T], name: str | None = None) -> asyncio.Task[T]:
        """Run `work` as a task owned by this registry."""
        if self._closed:
            work.close()  # never started: no "coroutine was never awaited" warning
            raise RuntimeError(f"task registry closed: {name or work!r} not started")
        task = asyncio.get_running_loop().create_task(work, name=name)
        self._tasks[task] = None
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        """Forget an ended task; a crash is logged here, where it would otherwise go unseen."""
        self._tasks.pop(task, None)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task %s failed", task.get_name(), exc_info=task.exception())

    async def cancel(self, task: asyncio.Task[Any]) -> None:
        """Cancel one task of this registry and wait until it has ended."""
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def close(self) -> None:
        """Refuse new tasks, cancel every running one (newest first) and wait for all of them."""
        self._closed = True
        tasks = list(reversed(self._tasks))
        for task in tasks:
            task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        for task, result in zip(tasks, results, strict=True):
            if isinstance(result, Exception):
                log.debug("background task %s ended with %r at close", task.get_name(), result)
