"""Outbox order and bounds, backoff, and which failures are worth a retry (pure)."""

from __future__ import annotations

import sqlite3
from collections import deque

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import exc as sa_exc

from ivr.storage.outbox import Outbox, backoff_delay, is_transient


def test_outbox_is_fifo_and_refuses_when_full() -> None:
    box: Outbox[str] = Outbox(capacity=2)
    assert box.push("start") and box.push("turn 1")
    assert not box.push("turn 2")
    assert box.dropped == 1 and len(box) == 2
    assert box.head() == "start" and box.pop() == "start"
    assert box.push("turn 3")
    assert list(box) == ["turn 1", "turn 3"]


def test_outbox_needs_room_for_one() -> None:
    with pytest.raises(ValueError):
        Outbox(capacity=0)


@given(st.lists(st.one_of(st.integers(0, 999), st.none()), max_size=200), st.integers(1, 20))
def test_outbox_matches_a_bounded_queue_model(steps: list[int | None], capacity: int) -> None:
    box: Outbox[int] = Outbox(capacity)
    model: deque[int] = deque()
    dropped = 0
    for step in steps:
        if step is None:
            if model:
                assert box.pop() == model.popleft()
        elif len(model) < capacity:
            assert box.push(step)
            model.append(step)
        else:
            assert not box.push(step)
            dropped += 1
    assert list(box) == list(model) and box.dropped == dropped


def test_backoff_doubles_from_base_up_to_the_cap() -> None:
    delays = [backoff_delay(n, base=0.5, cap=30.0) for n in range(0, 10)]
    assert delays == [0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]
    assert backoff_delay(10_000, base=0.5, cap=30.0) == 30.0


def _wrapped(cls: type[sa_exc.DBAPIError], orig: Exception, invalidated: bool = False) -> Exception:
    """An SQLAlchemy error as the engine raises it around a driver error."""
    return cls("INSERT INTO turns ...", {"text": "private"}, orig, connection_invalidated=invalidated)


@pytest.mark.parametrize(
    "error",
    [
        _wrapped(sa_exc.OperationalError, sqlite3.OperationalError("database is locked")),
        _wrapped(sa_exc.OperationalError, Exception("connection refused")),
        _wrapped(sa_exc.InterfaceError, Exception("connection already closed")),
        _wrapped(sa_exc.DatabaseError, Exception("server closed the connection"), invalidated=True),
        sa_exc.TimeoutError("QueuePool limit reached"),
        ConnectionRefusedError(111, "refused"),
        TimeoutError(),
    ],
)
def test_outages_are_transient(error: Exception) -> None:
    assert is_transient(error)


@pytest.mark.parametrize(
    "error",
    [
        _wrapped(sa_exc.IntegrityError, sqlite3.IntegrityError("UNIQUE constraint failed")),
        _wrapped(sa_exc.DataError, Exception("value too long")),
        _wrapped(sa_exc.ProgrammingError, Exception("syntax error")),
        ValueError("naive datetime"),
        KeyError("seq"),
    ],
)
def test_refusals_and_bugs_are_not_retried(error: Exception) -> None:
    assert not is_transient(error)
