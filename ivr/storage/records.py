"""What the store hands out: a handle per live call and frozen snapshots of stored calls."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, TypeVar

from ivr.storage.models import Call, Transfer, Turn

S = TypeVar("S")


def snapshot(cls: type[S], row: Any, **computed: Any) -> S:
    """A frozen copy of an ORM row: each field of the dataclass `cls` is the row's attribute of that
    name, except those given in `computed` (copies of mutable JSON, defaults for NULLs, children)."""
    taken = {f.name: getattr(row, f.name) for f in fields(cls) if f.name not in computed}
    return cls(**taken, **computed)


class StorageUnavailable(Exception):
    """A read could not reach the database (writes never raise: they wait in the outbox)."""


@dataclass(eq=False)
class CallHandle:
    """A live call as the store knows it; valid before its row exists (the database may be down)."""

    call_uuid: str
    id: int | None = None  # the calls.id, set once the call row is committed
    lost: bool = False  # the call row could not be written for good: later writes are dropped
    wait: bool = True  # False for a live call: its writes return once queued, never wait for the database
    _last_seq: int = field(default=0, repr=False)
    _tail: asyncio.Future[None] | None = field(default=None, repr=False)  # this call's latest write

    def next_seq(self) -> int:
        """Number the next turn; numbering happens at call time so queued turns keep their order."""
        self._last_seq += 1
        return self._last_seq


@dataclass(frozen=True, slots=True)
class TurnRecord:
    """One stored turn."""

    seq: int
    speaker: str
    text: str
    started_at: datetime
    ended_at: datetime
    confidence: float | None
    dtmf: str | None
    interrupted: bool
    meta: dict[str, Any]


@dataclass(frozen=True, slots=True)
class TransferRecord:
    """One stored hand-off to a queue, with its timings as far as they are known."""

    created_at: datetime
    reason: str
    queue: str
    priority: int
    summary: str
    context: dict[str, Any]
    queued_at: datetime | None
    agent_called_at: datetime | None
    answered_at: datetime | None
    completed_at: datetime | None
    abandoned_at: datetime | None
    agent_interface: str | None
    agent_name: str | None
    ring_attempts: int = 0
    hold_seconds: float | None = None
    talk_seconds: float | None = None
    abandon_position: int | None = None
    end_party: str | None = None


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One stored call with its turns (by seq) and transfers (by creation time)."""

    call_uuid: str
    agi_uniqueid: str
    linkedid: str | None
    channel: str
    caller_number: str | None
    caller_name: str | None
    language: str
    started_at: datetime
    ended_at: datetime | None
    end_reason: str | None
    outcome: str | None
    queue: str | None
    survey_score: int | None
    meta: dict[str, Any]
    turns: tuple[TurnRecord, ...]
    transfers: tuple[TransferRecord, ...]


def _turn_record(row: Turn) -> TurnRecord:
    """Snapshot one turn row."""
    return snapshot(TurnRecord, row, meta=dict(row.meta or {}))


def _transfer_record(row: Transfer) -> TransferRecord:
    """Snapshot one transfer row."""
    return snapshot(
        TransferRecord, row, context=dict(row.context or {}), ring_attempts=row.ring_attempts or 0
    )


def call_record(row: Call, *, with_turns: bool = True) -> CallRecord:
    """Snapshot a call row whose transfers (and, `with_turns`, turns) are loaded; else turns is empty."""
    return snapshot(
        CallRecord,
        row,
        meta=dict(row.meta or {}),
        turns=tuple(_turn_record(t) for t in sorted(row.turns, key=lambda t: t.seq)) if with_turns else (),
        transfers=tuple(_transfer_record(t) for t in row.transfers),
    )
