"""Repeated log lines are rate-limited with a count (issue 14, point 1)."""

from __future__ import annotations

import logging

from ivr.logthrottle import RepeatFilter


def record(msg: str, *args: object, name: str = "ivr.x", level: int = logging.WARNING) -> logging.LogRecord:
    """A log record as a logger would make it."""
    return logging.LogRecord(name, level, __file__, 1, msg, args, None)


def test_a_flood_of_one_kind_of_line_is_cut_to_the_burst_then_reported_with_a_count() -> None:
    now = [0.0]
    repeat = RepeatFilter(burst=3, window_s=10, clock=lambda: now[0])
    passed = [repeat.filter(record("peer %s refused", f"10.0.0.{i}")) for i in range(1000)]
    assert passed.count(True) == 3  # arguments differ, the kind of line is the same
    assert repeat.filter(record("another kind %s", 1))  # other lines are not held back
    now[0] = 10.0
    after = record("peer %s refused", "10.0.0.9")
    assert repeat.filter(after)
    assert after.getMessage() == "peer 10.0.0.9 refused (997 similar lines suppressed)"
    assert repeat.filter(record("peer %s refused", "x"))  # a fresh window


def test_keys_are_bounded() -> None:
    repeat = RepeatFilter(burst=1, window_s=10, max_keys=2, clock=lambda: 0.0)
    for i in range(5):
        assert repeat.filter(record(f"line {i}"))
    assert len(repeat._windows) == 2
