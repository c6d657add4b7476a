"""Timestamps, turn numbering, argument checks and log-safe error text (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql, sqlite

from ivr.storage.models import UTCDateTime
from ivr.storage.ops import require_aware, require_speaker
from ivr.storage.records import CallHandle
from ivr.storage.writer import describe as _describe

SQLITE, PG = sqlite.dialect(), postgresql.dialect()


@given(
    moment=st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1)),
    offset_minutes=st.integers(-14 * 60, 14 * 60),
)
def test_timestamps_come_back_as_the_same_instant_in_utc(moment: datetime, offset_minutes: int) -> None:
    aware = moment.replace(tzinfo=timezone(timedelta(minutes=offset_minutes)))
    column = UTCDateTime()
    for dialect in (SQLITE, PG):
        stored = column.process_bind_param(aware, dialect)
        back = column.process_result_value(stored, dialect)
        assert back == aware and back.tzinfo is UTC
    assert column.process_bind_param(aware, SQLITE).tzinfo is None  # SQLite keeps naive UTC text


def test_naive_timestamps_are_refused_by_the_column_and_the_api() -> None:
    naive = datetime(2026, 1, 1, 12, 0)
    with pytest.raises(ValueError, match="naive"):
        UTCDateTime().process_bind_param(naive, PG)
    with pytest.raises(ValueError, match="ended_at"):
        require_aware(started_at=datetime.now(UTC), ended_at=naive)
    require_aware(started_at=datetime.now(UTC), ended_at=None)
    assert UTCDateTime().process_bind_param(None, PG) is None


def test_speakers_are_checked() -> None:
    for speaker in ("caller", "bot", "system"):
        require_speaker(speaker)
    with pytest.raises(ValueError, match="agent"):
        require_speaker("agent")


def test_turns_are_numbered_from_one_per_call() -> None:
    first, second = CallHandle("a"), CallHandle("b")
    assert [first.next_seq() for _ in range(3)] == [1, 2, 3]
    assert second.next_seq() == 1
    assert first.id is None and not first.lost


def test_logged_causes_carry_no_sql_or_caller_data() -> None:
    error = sa_exc.OperationalError(
        "INSERT INTO turns (text) VALUES (%(text)s)", {"text": "my card number is 4111"},
        Exception("connection refused\nIs the server running?"),
    )  # fmt: skip
    assert _describe(error) == "Exception: connection refused"
    assert _describe(TimeoutError()) == "TimeoutError"
