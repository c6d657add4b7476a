"""Writes and reads of the queues package: transfer phase timings and callback requests.

The writes are ivr.storage.ops.Write values, so `CallStore.submit(op)` keeps them in order per call and
parks them in the outbox through a database outage. All of them are idempotent on retry.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ivr.storage.models import Call
from ivr.storage.ops import Write, require_aware
from ivr.storage.queue_models import (
    PENDING_STATES,
    PHASE_COLUMNS,
    WRITE_ONCE,
    CallbackRequest,
    transfer_phases,
)

log = logging.getLogger("ivr.storage.queues")

CALLBACK_FIELDS = frozenset(c.name for c in CallbackRequest.__table__.columns) - {"id"}


@dataclass(frozen=True, slots=True)
class TransferPhases:
    """The queue phases of one stored transfer (read side of UpdateTransferPhases)."""

    created_at: datetime
    queue: str
    queued_at: datetime | None
    agent_called_at: datetime | None
    answered_at: datetime | None
    completed_at: datetime | None
    abandoned_at: datetime | None
    agent_interface: str | None
    agent_name: str | None
    ring_attempts: int
    hold_seconds: float | None
    talk_seconds: float | None
    abandon_position: int | None
    end_party: str | None
    queue_uniqueid: str | None


@dataclass(frozen=True, slots=True)
class UpdateTransferPhases(Write):
    """Set phase columns of the call's latest transfer; timestamps are write-once (COALESCE)."""

    kind: ClassVar[str] = "update_transfer_phases"

    def __post_init__(self) -> None:
        unknown = set(self.values) - PHASE_COLUMNS
        if unknown:
            raise ValueError(f"not transfer phase columns: {sorted(unknown)}")
        require_aware(**{k: v for k, v in self.values.items() if isinstance(v, datetime)})

    async def apply(self, session: AsyncSession, retried: bool) -> int | None:
        """Update the newest transfer of the call; a call without one is logged and skipped."""
        t = transfer_phases
        call_id = await session.scalar(select(Call.id).where(Call.call_uuid == self.handle.call_uuid))
        transfer_id = None
        if call_id is not None:
            newest = select(t.c.id).where(t.c.call_id == call_id)
            newest = newest.order_by(t.c.created_at.desc(), t.c.id.desc()).limit(1)
            transfer_id = await session.scalar(newest)
        if transfer_id is None:
            log.warning("queue phases for call %s: no transfer row to update", self.handle.call_uuid)
            return None
        values = {
            name: func.coalesce(t.c[name], value) if name in WRITE_ONCE else value
            for name, value in self.values.items()
        }
        await session.execute(update(t).where(t.c.id == transfer_id).values(**values))
        return None


def _check_callback_fields(values: dict[str, Any]) -> None:
    """Refuse a callback write with unknown columns or without the callback_id that names its row."""
    unknown = set(values) - CALLBACK_FIELDS
    if unknown or "callback_id" not in values:
        raise ValueError(f"bad callback fields: {sorted(unknown) or 'callback_id missing'}")


@dataclass(frozen=True, slots=True)
class InsertCallback(Write):
    """Insert a callback request row; idempotent by callback_id on retry (no call row needed)."""

    kind: ClassVar[str] = "insert_callback"

    def __post_init__(self) -> None:
        _check_callback_fields(self.values)

    async def apply(self, session: AsyncSession, retried: bool) -> int | None:
        """Insert unless an ambiguous earlier attempt already did."""
        if retried:
            wanted = CallbackRequest.callback_id == self.values["callback_id"]
            if await session.scalar(select(CallbackRequest.id).where(wanted)) is not None:
                return None
        session.add(CallbackRequest(**self.values))
        return None


@dataclass(frozen=True, slots=True)
class UpdateCallback(Write):
    """Set columns of a callback request by its callback_id (state changes); naturally idempotent."""

    kind: ClassVar[str] = "update_callback"

    def __post_init__(self) -> None:
        _check_callback_fields(self.values)

    async def apply(self, session: AsyncSession, retried: bool) -> int | None:
        """Update the row named by values['callback_id']."""
        values = dict(self.values)
        callback_id = values.pop("callback_id")
        query = update(CallbackRequest).where(CallbackRequest.callback_id == callback_id)
        await session.execute(query.values(**values))
        return None


async def transfer_phases_of(sessions: async_sessionmaker, call_uuid: str) -> list[TransferPhases]:
    """The phases of every transfer of a call, oldest first (raises when the database is down)."""
    t = transfer_phases
    names = [f for f in TransferPhases.__slots__]
    query = (
        select(*(t.c[n] for n in names))
        .join(Call, Call.id == t.c.call_id)
        .where(Call.call_uuid == call_uuid)
        .order_by(t.c.created_at, t.c.id)
    )
    async with sessions() as session:
        rows = (await session.execute(query)).all()
    return [TransferPhases(**dict(zip(names, row, strict=True))) for row in rows]


async def pending_callbacks(sessions: async_sessionmaker) -> list[dict[str, Any]]:
    """Callback requests still waiting or originating, oldest first, as column dicts."""
    query = (
        select(CallbackRequest)
        .where(CallbackRequest.state.in_(PENDING_STATES))
        .order_by(CallbackRequest.requested_at, CallbackRequest.id)
    )
    async with sessions() as session:
        rows = (await session.scalars(query)).all()
    return [{name: getattr(row, name) for name in CALLBACK_FIELDS} for row in rows]


async def callback_row(sessions: async_sessionmaker, callback_id: str) -> dict[str, Any] | None:
    """One callback request as a column dict, or None."""
    async with sessions() as session:
        row = await session.scalar(select(CallbackRequest).where(CallbackRequest.callback_id == callback_id))
    return None if row is None else {name: getattr(row, name) for name in CALLBACK_FIELDS}
