"""The day's figures of the hotline for supervisors: containment, transfers, ASA, AHT, abandonment, CSAT, FCR.

How this works: four plain SELECTs (portable to SQLite and PostgreSQL: no JSON operators, no
percentile functions, no interval arithmetic) fetch the calls that started on the local day, their
transfers and dispositions, and the later calls of the same numbers; `compute_figures` then does all
the maths in Python on frozen rows, so it is unit-tested on hand-made rows. Follow-up legs of a call
(the after-call survey, a caller sent back to the bot by an agent) are stored as calls of their own;
they are recognised by `meta.kind` and left out, or they would count as new calls and as repeat calls.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ivr.storage.desk_models import Disposition
from ivr.storage.models import Call, Transfer
from ivr.storage.warm_figures import sent_back, warm_figures
from ivr.vocabulary import CallOutcome, identified_caller, reason_key

REPEAT_WINDOW = timedelta(hours=24)
FOLLOW_UP_KINDS = frozenset({"survey", "return"})  # calls.meta["kind"] of legs that are not new calls
FINISHED = tuple(CallOutcome)
HANDLED = (CallOutcome.CONTAINED, CallOutcome.TRANSFERRED)  # the calls first-contact resolution is judged on
_CHUNK = 500  # numbers per IN (...) list: well below every backend's bound-parameter limit


@dataclass(frozen=True)
class CallRow:
    """What the figures need of one call."""

    id: int
    caller_number: str | None
    started_at: datetime
    outcome: str | None
    survey_score: int | None


@dataclass(frozen=True)
class TransferRow:
    """What the figures need of one hand-off."""

    call_id: int
    reason: str
    created_at: datetime
    queued_at: datetime | None
    answered_at: datetime | None
    completed_at: datetime | None
    abandoned_at: datetime | None
    context: dict[str, Any] | None = None  # for the warm hand-off offers


@dataclass(frozen=True)
class DispositionRow:
    """One disposition; the latest one of a call decides whether it was resolved."""

    id: int
    call_id: int
    resolved: bool
    created_at: datetime


@dataclass(frozen=True)
class ReasonShare:
    """Transfers for one reason, and their share of the finished calls."""

    reason: str
    count: int
    rate: float | None


@dataclass(frozen=True)
class HourBucket:
    """Per local hour of the day, for the charts."""

    hour: int
    calls: int = 0
    transfers: int = 0
    abandoned: int = 0


@dataclass(frozen=True)
class DayFigures:
    """The day's figures; rates are fractions 0-1, durations seconds, None when there is no data."""

    day: str
    timezone: str
    calls: int
    finished: int
    contained: int
    containment: float | None
    interrupted: int  # calls cut off by a crash of the worker, closed when it restarted
    transferred_calls: int
    transfers: int
    transfer_rate: float | None
    transfers_by_reason: tuple[ReasonShare, ...]
    answered: int
    asa_avg_s: float | None
    asa_p90_s: float | None
    aht_avg_s: float | None
    abandoned: int
    abandonment_rate: float | None
    abandoned_avg_wait_s: float | None
    survey_count: int
    satisfaction_avg: float | None
    satisfaction_share_4_5: float | None
    dispositioned: int
    resolved: int
    fcr_disposition: float | None
    fcr_base: int
    fcr_no_repeat: int
    fcr_no_repeat_rate: float | None
    hourly: tuple[HourBucket, ...] = field(default_factory=tuple)
    warm_offers: int = 0  # warm hand-off: offers to agents, accepted ones, rate, seconds to accept
    warm_accepted: int = 0
    acceptance_rate: float | None = None
    accept_avg_s: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-able dict (nested lists of dicts for the reasons and the hours)."""
        return asdict(self)


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC start (inclusive) and end (exclusive) of a local day (23 or 25 hours across DST)."""
    start = datetime.combine(day, time.min, tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def is_follow_up(meta: dict[str, Any] | None) -> bool:
    """True for a survey leg or a caller sent back to the bot: part of an earlier call, not a new one."""
    meta = meta or {}
    return meta.get("kind") in FOLLOW_UP_KINDS or bool(meta.get("returning_to_bot"))


def _ratio(part: int, whole: int) -> float | None:
    """part / whole, or None when there is nothing to divide."""
    return part / whole if whole else None


def _mean(values: list[float]) -> float | None:
    """The mean, or None for no values."""
    return sum(values) / len(values) if values else None


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0-100): a value that really occurred, None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def _seconds(later: datetime | None, earlier: datetime | None) -> float | None:
    """Seconds between two stamps, None if either is missing or they are out of order."""
    if later is None or earlier is None:
        return None
    delta = (later - earlier).total_seconds()
    return delta if delta >= 0 else None


def _transfer_figures(transfers: list[TransferRow], finished: int) -> dict[str, Any]:
    """ASA, AHT, abandonment and transfers by reason."""
    waits = [w for t in transfers if (w := _seconds(t.answered_at, t.queued_at or t.created_at)) is not None]
    handles = [h for t in transfers if (h := _seconds(t.completed_at, t.answered_at)) is not None]
    abandoned = [t for t in transfers if _abandoned(t)]
    abandon_waits = [
        w for t in abandoned if (w := _seconds(t.abandoned_at, t.queued_at or t.created_at)) is not None
    ]
    reasons = Counter(reason_key(t.reason) or "unknown" for t in transfers)  # one bar per reason, any detail
    return {
        "transfers": len(transfers),
        "transfers_by_reason": tuple(
            ReasonShare(reason, count, _ratio(count, finished))
            for reason, count in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))
        ),
        "answered": len(waits),
        "asa_avg_s": _mean(waits),
        "asa_p90_s": percentile(waits, 90),
        "aht_avg_s": _mean(handles),
        "abandoned": len(abandoned),
        "abandonment_rate": _ratio(len(abandoned), len(transfers)),
        "abandoned_avg_wait_s": _mean(abandon_waits),
    }


def _abandoned(t: TransferRow) -> bool:
    """Left the queue unanswered, and not because an agent sent them back to the bot."""
    return t.abandoned_at is not None and t.answered_at is None and not sent_back(t.context)


def _called_again(call: CallRow, starts: list[datetime]) -> bool:
    """True if the number called again within REPEAT_WINDOW after this call started."""
    return any(call.started_at < t <= call.started_at + REPEAT_WINDOW for t in starts)


def _fcr_figures(
    calls: list[CallRow], dispositions: list[DispositionRow], later_calls: dict[str, list[datetime]]
) -> dict[str, Any]:
    """First-contact resolution: by the agents' word, and by the caller not calling again in 24 h."""
    latest: dict[int, DispositionRow] = {}
    for d in sorted(dispositions, key=lambda d: (d.created_at, d.id)):
        latest[d.call_id] = d
    base = [c for c in calls if c.outcome in HANDLED and identified_caller(c.caller_number) is not None]
    no_repeat = sum(1 for c in base if not _called_again(c, later_calls.get(c.caller_number or "", [])))
    resolved = sum(1 for d in latest.values() if d.resolved)
    return {
        "dispositioned": len(latest),
        "resolved": resolved,
        "fcr_disposition": _ratio(resolved, len(latest)),
        "fcr_base": len(base),
        "fcr_no_repeat": no_repeat,
        "fcr_no_repeat_rate": _ratio(no_repeat, len(base)),
    }


def _hourly(calls: list[CallRow], transfers: list[TransferRow], tz: ZoneInfo) -> tuple[HourBucket, ...]:
    """Calls by start hour, transfers by hand-off hour, abandons by hang-up hour (local time)."""
    calls_by = Counter(c.started_at.astimezone(tz).hour for c in calls)
    transfers_by = Counter(t.created_at.astimezone(tz).hour for t in transfers)
    abandoned_by = Counter(t.abandoned_at.astimezone(tz).hour for t in transfers if _abandoned(t))
    return tuple(HourBucket(h, calls_by[h], transfers_by[h], abandoned_by[h]) for h in range(24))


def compute_figures(
    day: date,
    tz: ZoneInfo,
    calls: list[CallRow],
    transfers: list[TransferRow],
    dispositions: list[DispositionRow],
    later_calls: dict[str, list[datetime]],
) -> DayFigures:
    """The figures of the day from its rows; `later_calls` maps a number to its calls' start times."""
    finished = [c for c in calls if c.outcome in FINISHED]
    contained = sum(1 for c in finished if c.outcome == CallOutcome.CONTAINED)
    transferred = sum(1 for c in finished if c.outcome == CallOutcome.TRANSFERRED)
    scores = [c.survey_score for c in calls if c.survey_score is not None and 1 <= c.survey_score <= 5]
    return DayFigures(
        day=day.isoformat(),
        timezone=str(tz),
        calls=len(calls),
        finished=len(finished),
        contained=contained,
        interrupted=sum(1 for c in finished if c.outcome == CallOutcome.INTERRUPTED),
        containment=_ratio(contained, len(finished)),
        transferred_calls=transferred,
        transfer_rate=_ratio(transferred, len(finished)),
        survey_count=len(scores),
        satisfaction_avg=_mean([float(s) for s in scores]),
        satisfaction_share_4_5=_ratio(sum(1 for s in scores if s >= 4), len(scores)),
        hourly=_hourly(calls, transfers, tz),
        **_transfer_figures(transfers, len(finished)),
        **_fcr_figures(calls, dispositions, later_calls),
        **warm_figures([t.context for t in transfers]),
    )


async def day_figures(session_factory: async_sessionmaker, day: date, tz: ZoneInfo) -> DayFigures:
    """Read the rows of the local `day` and compute its figures (raises the driver's error if down)."""
    start, end = day_bounds(day, tz)
    in_day = (Call.started_at >= start, Call.started_at < end)
    async with session_factory() as session:
        columns = (Call.id, Call.caller_number, Call.started_at, Call.outcome, Call.survey_score, Call.meta)
        rows = (await session.execute(select(*columns).where(*in_day))).all()
        follow_ups = {r.id for r in rows if is_follow_up(r.meta)}
        calls = [CallRow(r.id, r.caller_number, r.started_at, r.outcome, r.survey_score) for r in rows]
        calls = [c for c in calls if c.id not in follow_ups]
        transfers = [
            TransferRow(r.call_id, r.reason, r.created_at, r.queued_at, r.answered_at, r.completed_at,
                        r.abandoned_at, r.context)
            for r in (await session.execute(_transfers_query(start, end))).all()
            if r.call_id not in follow_ups
        ]  # fmt: skip
        dispositions = [
            DispositionRow(r.id, r.call_id, bool(r.resolved), r.created_at)
            for r in (await session.execute(_dispositions_query(start, end))).all()
        ]
        numbers = sorted({c.caller_number for c in calls if c.caller_number})
        later = await _later_calls(session, numbers, start, end + REPEAT_WINDOW)
    return compute_figures(day, tz, calls, transfers, dispositions, later)


def _transfers_query(start: datetime, end: datetime) -> Select:
    """Transfers of the calls that started in [start, end)."""
    return (
        select(Transfer.call_id, Transfer.reason, Transfer.created_at, Transfer.queued_at,
               Transfer.answered_at, Transfer.completed_at, Transfer.abandoned_at, Transfer.context)
        .join(Call, Call.id == Transfer.call_id)
        .where(Call.started_at >= start, Call.started_at < end)
    )  # fmt: skip


def _dispositions_query(start: datetime, end: datetime) -> Select:
    """Dispositions of the calls that started in [start, end)."""
    return (
        select(Disposition.id, Disposition.call_id, Disposition.resolved, Disposition.created_at)
        .join(Call, Call.id == Disposition.call_id)
        .where(Call.started_at >= start, Call.started_at < end)
    )


async def _later_calls(
    session: AsyncSession, numbers: list[str], start: datetime, end: datetime
) -> dict[str, list[datetime]]:
    """Start times of the new (not follow-up) calls of these numbers in [start, end)."""
    found: dict[str, list[datetime]] = {}
    for i in range(0, len(numbers), _CHUNK):
        query = select(Call.caller_number, Call.started_at, Call.meta).where(
            Call.caller_number.in_(numbers[i : i + _CHUNK]), Call.started_at >= start, Call.started_at < end
        )
        for r in (await session.execute(query)).all():
            if not is_follow_up(r.meta):
                found.setdefault(r.caller_number, []).append(r.started_at)
    return found


def _transfer_dict(r: Any, call_uuid: str) -> dict[str, Any]:
    """JSON-able call and transfer facts for the supervisor's tables (caller values stay plain data)."""
    stamp = lambda t: t.isoformat() if t else None  # noqa: E731
    ctx = r.context if isinstance(r.context, dict) else {}
    return {
        "call_uuid": call_uuid, "caller_number": r.caller_number, "caller_name": r.caller_name,
        "language": r.language, "queue": r.queue, "reason": r.reason, "tier": ctx.get("tier"),
        "intent": ctx.get("intent"), "created_at": stamp(r.created_at), "queued_at": stamp(r.queued_at),
        "answered_at": stamp(r.answered_at), "completed_at": stamp(r.completed_at),
        "abandoned_at": stamp(r.abandoned_at), "agent_interface": r.agent_interface,
        "agent_name": r.agent_name, "survey_score": r.survey_score, "outcome": r.outcome,
        "started_at": stamp(r.started_at),
    }  # fmt: skip


_TRANSFER_COLUMNS = (
    Call.call_uuid, Call.caller_number, Call.caller_name, Call.language, Call.survey_score, Call.outcome,
    Call.started_at, Transfer.queue, Transfer.reason, Transfer.context, Transfer.created_at,
    Transfer.queued_at, Transfer.answered_at, Transfer.completed_at, Transfer.abandoned_at,
    Transfer.agent_interface, Transfer.agent_name,
)  # fmt: skip


async def open_transfers(session_factory: async_sessionmaker, since: datetime) -> dict[str, list[dict]]:
    """Hand-offs since `since` still open: "waiting" (not answered yet) and "with_agents" (answered)."""
    query = (
        select(*_TRANSFER_COLUMNS)
        .join(Call, Call.id == Transfer.call_id)
        .where(Transfer.created_at >= since, Transfer.completed_at.is_(None), Transfer.abandoned_at.is_(None))
        .order_by(Transfer.created_at, Transfer.id)
    )
    async with session_factory() as session:
        rows = (await session.execute(query)).all()
    found: dict[str, list[dict]] = {"waiting": [], "with_agents": []}
    for r in rows:
        found["with_agents" if r.answered_at else "waiting"].append(_transfer_dict(r, r.call_uuid))
    return found


async def day_calls(
    session_factory: async_sessionmaker, day: date, tz: ZoneInfo, limit: int = 200
) -> list[dict]:
    """The day's latest hand-offs with their timings, outcome and survey score, newest first."""
    start, end = day_bounds(day, tz)
    query = (
        select(*_TRANSFER_COLUMNS)
        .join(Call, Call.id == Transfer.call_id)
        .where(Call.started_at >= start, Call.started_at < end)
        .order_by(Transfer.created_at.desc(), Transfer.id.desc())
        .limit(limit)
    )
    async with session_factory() as session:
        return [_transfer_dict(r, r.call_uuid) for r in (await session.execute(query)).all()]
