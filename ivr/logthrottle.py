"""Repeated log lines are rate-limited with a count, so no input can fill the disk with the log.

How this works: a handler filter keys each record by logger, level and message template (not the
arguments: a flood from many peers is still one kind of line). Within a window each key may log
`burst` lines; later ones are dropped and counted, and the first line of that key after the window
carries "(N similar lines suppressed)". Memory is bounded by forgetting the oldest keys.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Window:
    started: float
    logged: int = 0
    suppressed: int = 0


class RepeatFilter(logging.Filter):
    """At most `burst` lines of one kind per `window_s`; the rest are counted, then reported."""

    def __init__(
        self,
        *,
        burst: int = 10,
        window_s: float = 10.0,
        max_keys: int = 1000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.burst, self.window_s, self.max_keys, self._clock = burst, window_s, max_keys, clock
        self._windows: OrderedDict[tuple[str, int, str], _Window] = OrderedDict()

    def filter(self, record: logging.LogRecord) -> bool:
        """Pass the record, drop it (counted), or pass it with the count of those dropped before it."""
        key = (record.name, record.levelno, str(record.msg))
        now = self._clock()
        window = self._windows.get(key)
        if window is None or now - window.started >= self.window_s:
            suppressed = window.suppressed if window is not None else 0
            if window is None and len(self._windows) >= self.max_keys:
                self._windows.popitem(last=False)
            window = self._windows[key] = _Window(now)
            self._windows.move_to_end(key)
            if suppressed:
                record.msg = f"{record.msg} ({suppressed} similar lines suppressed)"
        if window.logged >= self.burst:
            window.suppressed += 1
            return False
        window.logged += 1
        return True
