"""Business hours: is a queue open at a given moment, and when does it open next. Pure: `now` is passed in.

How this works: an hours profile (queues.schema.HoursProfile) is a weekly timetable in one IANA time
zone plus holidays. `now` (any aware datetime) is converted to that zone; the queue is open when the
local date is not a holiday and the local minute of the day falls inside one of that weekday's ranges
(start inclusive, end exclusive). Local wall-clock time is what counts, so the timetable follows
daylight-saving changes by itself.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from queues.schema import HoursProfile, parse_days, parse_time_range

MAX_DAYS_AHEAD = 366  # a timetable with no opening within a year is treated as never opening


def weekly_ranges(profile: HoursProfile) -> tuple[tuple[tuple[int, int], ...], ...]:
    """For each weekday (Monday first), the sorted open ranges in minutes after midnight."""
    days: list[list[tuple[int, int]]] = [[] for _ in range(7)]
    for spec, ranges in profile.weekly.items():
        for day in parse_days(spec):
            days[day].extend(parse_time_range(text) for text in ranges)
    return tuple(tuple(sorted(day)) for day in days)


def is_open(profile: HoursProfile | None, now: datetime) -> bool:
    """True when the profile is open at `now`; no profile means always open. A naive `now` is UTC."""
    if profile is None:
        return True
    local = _local(profile, now)
    if local.date() in profile.holidays:
        return False
    minute = local.hour * 60 + local.minute
    return any(start <= minute < end for start, end in weekly_ranges(profile)[local.weekday()])


def next_opening(profile: HoursProfile | None, now: datetime) -> datetime | None:
    """The next moment the profile opens (in its time zone), `now` if it is open, None if never."""
    if profile is None or is_open(profile, now):
        return now
    local = _local(profile, now)
    zone = ZoneInfo(profile.timezone)
    ranges = weekly_ranges(profile)
    for offset in range(MAX_DAYS_AHEAD + 1):
        day = local.date() + timedelta(days=offset)
        if day in profile.holidays:
            continue
        for start, _end in ranges[day.weekday()]:
            opening = datetime.combine(day, time(start // 60, start % 60), tzinfo=zone)
            if opening > local:
                return opening
    return None


def _local(profile: HoursProfile, now: datetime) -> datetime:
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return now.astimezone(ZoneInfo(profile.timezone))
