"""Opening hours: weekly ranges in the profile's time zone, holidays, next opening; `now` passed in."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from queues.hours import is_open, next_opening
from queues.schema import HoursProfile

SHANGHAI = ZoneInfo("Asia/Shanghai")
OFFICE = HoursProfile(
    timezone="Asia/Shanghai",
    weekly={"mon-fri": ["08:00-12:00", "13:00-20:00"], "sat": ["09:00-17:00"]},
    holidays=[date(2025, 10, 1)],
)


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def test_open_inside_a_range_and_closed_outside() -> None:
    assert is_open(OFFICE, at(2025, 9, 29, 8, 0))  # Monday, start is inclusive
    assert not is_open(OFFICE, at(2025, 9, 29, 12, 0))  # lunch: end is exclusive
    assert is_open(OFFICE, at(2025, 9, 29, 19, 59))
    assert not is_open(OFFICE, at(2025, 9, 29, 20, 0))
    assert is_open(OFFICE, at(2025, 10, 4, 10))  # Saturday
    assert not is_open(OFFICE, at(2025, 10, 5, 10))  # Sunday: no entry


def test_holiday_is_closed_all_day() -> None:
    assert not is_open(OFFICE, at(2025, 10, 1, 10))  # a Wednesday, but a holiday
    assert is_open(OFFICE, at(2025, 10, 2, 10))


def test_now_in_another_zone_is_converted() -> None:
    # 00:30 UTC on Monday is 08:30 in Shanghai: open; a naive time counts as UTC.
    assert is_open(OFFICE, datetime(2025, 9, 29, 0, 30, tzinfo=UTC))
    assert is_open(OFFICE, datetime(2025, 9, 29, 0, 30))
    assert not is_open(OFFICE, datetime(2025, 9, 28, 23, 30, tzinfo=UTC))  # 07:30 local


def test_daylight_saving_follows_local_wall_clock() -> None:
    newyork = HoursProfile(timezone="America/New_York", weekly={"daily": ["09:00-17:00"]})
    # 13:30 UTC is 09:30 in summer (EDT, UTC-4) but 08:30 in winter (EST, UTC-5).
    assert is_open(newyork, datetime(2025, 7, 1, 13, 30, tzinfo=UTC))
    assert not is_open(newyork, datetime(2025, 12, 1, 13, 30, tzinfo=UTC))


def test_no_profile_is_always_open() -> None:
    moment = at(2025, 10, 5, 3)
    assert is_open(None, moment)
    assert next_opening(None, moment) == moment


def test_next_opening_skips_closed_days_and_holidays() -> None:
    assert next_opening(OFFICE, at(2025, 9, 29, 12, 30)) == at(2025, 9, 29, 13, 0)
    assert next_opening(OFFICE, at(2025, 9, 30, 21, 0)) == at(2025, 10, 2, 8, 0)  # Oct 1 is a holiday
    assert next_opening(OFFICE, at(2025, 10, 4, 18, 0)) == at(2025, 10, 6, 8, 0)  # over Sunday
    open_now = at(2025, 9, 29, 9)
    assert next_opening(OFFICE, open_now) == open_now


def test_never_open_profile_has_no_next_opening() -> None:
    closed = HoursProfile(timezone="UTC", weekly={})
    assert not is_open(closed, at(2025, 1, 1, 12))
    assert next_opening(closed, at(2025, 1, 1, 12)) is None
