"""Supervisor views of live queue state: the frozen snapshots `LiveQueues.snapshot()` returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from queues.live_records import LiveQueue

READY, PAUSED, RINGING, TALKING, UNAVAILABLE = "ready", "paused", "ringing", "talking", "unavailable"


@dataclass(frozen=True)
class CallerView:
    """A caller waiting in a queue."""

    uniqueid: str
    position: int
    priority: int
    waited_seconds: float
    call_uuid: str | None
    caller_number: str | None
    channel: str | None


@dataclass(frozen=True)
class MemberView:
    """A queue member (agent) and what they are doing."""

    interface: str
    name: str
    state: str  # ready, paused, ringing, talking, unavailable
    paused_reason: str
    penalty: int
    calls_taken: int
    membership: str
    with_caller: str | None  # uniqueid of the caller they ring for or talk to


@dataclass(frozen=True)
class QueueView:
    """One queue for the supervisor view."""

    name: str
    callers: tuple[CallerView, ...]
    members: tuple[MemberView, ...]
    logged_in: int
    available: int
    longest_wait: float
    completed: int
    abandoned: int
    handle_seconds: float


def queue_view(
    q: LiveQueue, now: datetime, call_uuids: Mapping[str, str], handle_seconds: float
) -> QueueView:
    """The supervisor view of one queue's live state, callers by position."""
    callers = tuple(
        CallerView(
            c.uniqueid,
            c.position,
            c.priority,
            max((now - c.joined_at).total_seconds(), 0.0),
            call_uuids.get(c.uniqueid),
            c.caller_number,
            c.channel,
        )
        for c in sorted(q.callers.values(), key=lambda c: c.position)
    )
    members = tuple(
        MemberView(
            m.interface,
            m.name,
            m.state,
            m.paused_reason,
            m.penalty,
            m.calls_taken,
            m.membership,
            m.talking_with or m.ringing_for,
        )
        for _, m in sorted(q.members.items())
    )
    return QueueView(
        q.name,
        callers,
        members,
        logged_in=len(members),
        available=sum(m.state == READY for m in members),
        longest_wait=max((c.waited_seconds for c in callers), default=0.0),
        completed=q.completed,
        abandoned=q.abandoned,
        handle_seconds=handle_seconds,
    )
