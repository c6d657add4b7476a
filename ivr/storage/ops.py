"""The writes a call makes, as values that can wait in the outbox and be applied later, in order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ivr.storage.models import SPEAKERS, Call, Transfer, Turn
from ivr.storage.records import CallHandle


class MissingCall(Exception):
    """A write refers to a call whose row does not exist (its start was dropped)."""


def require_aware(**stamps: datetime | None) -> None:
    """Refuse naive timestamps at the API, not later in the retry task where the caller is gone."""
    for name, value in stamps.items():
        if value is not None and (value.tzinfo is None or value.utcoffset() is None):
            raise ValueError(f"{name}={value!r} is naive: pass a timezone-aware UTC datetime")


def require_speaker(speaker: str) -> None:
    """Refuse a speaker the schema's check constraint would reject."""
    if speaker not in SPEAKERS:
        raise ValueError(f"speaker {speaker!r} is not one of {', '.join(SPEAKERS)}")


async def _call_id(session: AsyncSession, handle: CallHandle) -> int:
    """The row id of a call, from the handle or (handle from elsewhere) by its uuid."""
    if handle.id is not None:
        return handle.id
    found = await session.scalar(select(Call.id).where(Call.call_uuid == handle.call_uuid))
    if found is None:
        raise MissingCall(handle.call_uuid)
    return found


@dataclass(frozen=True, slots=True)
class Write:
    """One write of one call. `retried` is true when an earlier attempt may have committed."""

    kind: ClassVar[str] = "write"
    handle: CallHandle
    values: dict[str, Any]

    async def apply(self, session: AsyncSession, retried: bool) -> int | None:
        """Run the write inside the caller's transaction."""
        raise NotImplementedError

    def committed(self, result: int | None) -> None:
        """Called once the transaction holding apply() has committed."""


@dataclass(frozen=True, slots=True)
class StartCall(Write):
    """Insert the call row; idempotent by call_uuid on retry."""

    kind: ClassVar[str] = "start_call"

    async def apply(self, session: AsyncSession, retried: bool) -> int | None:
        """Insert the row (or find the one an ambiguous earlier commit left) and return its id."""
        if retried:
            existing = await session.scalar(select(Call.id).where(Call.call_uuid == self.handle.call_uuid))
            if existing is not None:
                return existing
        row = Call(call_uuid=self.handle.call_uuid, meta={}, **self.values)
        session.add(row)
        await session.flush()
        return row.id

    def committed(self, result: int | None) -> None:
        """Remember the row id so later writes of this call skip the lookup."""
        self.handle.id = result


@dataclass(frozen=True, slots=True)
class AddTurn(Write):
    """Insert one turn; idempotent by (call_id, seq) on retry."""

    kind: ClassVar[str] = "add_turn"

    async def apply(self, session: AsyncSession, retried: bool) -> int | None:
        """Insert the turn unless a retried attempt finds it already there."""
        call_id = await _call_id(session, self.handle)
        if retried:
            query = select(Turn.id).where(Turn.call_id == call_id, Turn.seq == self.values["seq"])
            if await session.scalar(query) is not None:
                return None
        session.add(Turn(call_id=call_id, **self.values))
        return None


@dataclass(frozen=True, slots=True)
class RecordTransfer(Write):
    """Insert one transfer; idempotent by (call, created_at, queue, reason) on retry."""

    kind: ClassVar[str] = "record_transfer"

    async def apply(self, session: AsyncSession, retried: bool) -> int | None:
        """Insert the transfer unless a retried attempt finds it already there."""
        call_id = await _call_id(session, self.handle)
        if retried:
            query = select(Transfer.id).where(
                Transfer.call_id == call_id,
                Transfer.created_at == self.values["created_at"],
                Transfer.queue == self.values["queue"],
                Transfer.reason == self.values["reason"],
            )
            if await session.scalar(query) is not None:
                return None
        session.add(Transfer(call_id=call_id, **self.values))
        return None


@dataclass(frozen=True, slots=True)
class UpdateCall(Write):
    """Set columns of the call row (end of call, linkedid); naturally idempotent."""

    kind: ClassVar[str] = "update_call"

    async def apply(self, session: AsyncSession, retried: bool) -> int | None:
        """Update the call row."""
        call_id = await _call_id(session, self.handle)
        await session.execute(update(Call).where(Call.id == call_id).values(**self.values))
        return None
