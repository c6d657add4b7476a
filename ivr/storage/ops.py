"""The writes a call makes, as values that can wait in the outbox and be applied later, in order."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ivr.storage.fit import ascii_only, fit
from ivr.storage.models import SPEAKERS, Call, Transfer, Turn
from ivr.storage.records import CallHandle
from ivr.vocabulary import CallOutcome, EndReason


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

    def degraded(self) -> Write | None:
        """This write without its free-text extras, for a second try after a refusal; None if none."""
        return None

    def _with(self, **changes: Any) -> Write:
        """A copy of this write with some values replaced."""
        return replace(self, values={**self.values, **changes})


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
        row = Call(call_uuid=self.handle.call_uuid, meta={}, **fit(Call, self.values))
        session.add(row)
        await session.flush()
        return row.id

    def committed(self, result: int | None) -> None:
        """Remember the row id so later writes of this call skip the lookup."""
        self.handle.id = result

    def degraded(self) -> Write | None:
        """The call row without the caller's name and with ASCII-only identifiers."""
        v = self.values
        return self._with(
            caller_name=None,
            caller_number=ascii_only(v.get("caller_number")) or None,
            channel=ascii_only(v.get("channel")) or "",
            agi_uniqueid=ascii_only(v.get("agi_uniqueid")) or "",
        )


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
        session.add(Turn(call_id=call_id, **fit(Turn, self.values)))
        return None

    def degraded(self) -> Write | None:
        """The turn with its order, times and an ASCII text, without its metadata."""
        return self._with(text=ascii_only(self.values.get("text")) or "", meta={}, dtmf=None)


@dataclass(frozen=True, slots=True)
class RecordTransfer(Write):
    """Insert one transfer; idempotent by (call, created_at, queue, reason) on retry."""

    kind: ClassVar[str] = "record_transfer"

    async def apply(self, session: AsyncSession, retried: bool) -> int | None:
        """Insert the transfer unless a retried attempt finds it already there."""
        call_id = await _call_id(session, self.handle)
        values = fit(Transfer, self.values)
        if retried:
            query = select(Transfer.id).where(
                Transfer.call_id == call_id,
                Transfer.created_at == values["created_at"],
                Transfer.queue == values["queue"],
                Transfer.reason == values["reason"],
            )
            if await session.scalar(query) is not None:
                return None
        session.add(Transfer(call_id=call_id, **values))
        return None

    def degraded(self) -> Write | None:
        """The hand-off (queue, reason, priority, time) without its summary and context."""
        return self._with(summary="", context={}, reason=ascii_only(self.values.get("reason")) or "")


@dataclass(frozen=True, slots=True)
class UpdateCall(Write):
    """Set columns of the call row (end of call, linkedid); naturally idempotent."""

    kind: ClassVar[str] = "update_call"

    async def apply(self, session: AsyncSession, retried: bool) -> int | None:
        """Update the call row."""
        call_id = await _call_id(session, self.handle)
        await session.execute(update(Call).where(Call.id == call_id).values(**fit(Call, self.values)))
        return None

    def degraded(self) -> Write | None:
        """The end of the call without what the bot learned."""
        values = {k: v for k, v in self.values.items() if k != "meta"}
        if "end_reason" in values:
            values["end_reason"] = ascii_only(values["end_reason"])
        return replace(self, values=values)


@dataclass(frozen=True, slots=True)
class CloseOrphans(Write):
    """Close the calls a dead run of this worker left open: ended at their last turn, `interrupted`.

    values: worker (this worker's id) and before (this run's start). Rows without a worker come from
    before migration 0004, when one worker served everything; once several workers share a database,
    each must keep a stable id (ivr.cluster.wiring.worker_name) or its dead calls stay open.
    """

    kind: ClassVar[str] = "close_orphans"

    async def apply(self, session: AsyncSession, retried: bool) -> int | None:
        """Update the open calls of this worker and return how many there were."""
        last_turn = select(func.max(Turn.ended_at)).where(Turn.call_id == Call.id).scalar_subquery()
        result = await session.execute(
            update(Call)
            .where(
                Call.ended_at.is_(None),
                or_(Call.worker == self.values["worker"], Call.worker.is_(None)),
                Call.started_at < self.values["before"],
            )
            .values(
                ended_at=func.coalesce(last_turn, Call.started_at),
                end_reason=EndReason.WORKER_RESTART,
                outcome=CallOutcome.INTERRUPTED,
            )
            .execution_options(synchronize_session=False)
        )
        return result.rowcount

    def committed(self, result: int | None) -> None:
        """Say how many calls were closed."""
        if result:
            logging.getLogger("ivr.storage").warning(
                "storage: %d calls left open by a previous run of worker %s closed as interrupted",
                result,
                self.values["worker"],
            )
