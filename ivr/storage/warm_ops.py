"""Storage of the warm hand-off and of the return to the bot: offers on the transfer, resumed calls.

Each offer of a caller to an agent (briefing text, the agent, their choice, seconds to decide) is
appended to `context["warm"]["offers"]` of the call's newest transfer, so the screen-pop, the call
record and the supervisor figures read it from where the rest of the hand-off lives. RecordWarmOffer is
an ivr.storage.ops.Write (kept in order per call, parked in the outbox during an outage) and idempotent
on retry by the offer's id. `resume_handle` gives a caller sent back to the bot the handle of the SAME
call row, numbered after its last turn, so the return is part of that call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ivr.storage.models import Call, Transfer, Turn
from ivr.storage.ops import Write
from ivr.storage.records import CallHandle

CHOICES = ("accept", "back", "pass", "timeout", "hangup")


@dataclass(frozen=True, slots=True)
class RecordWarmOffer(Write):
    """Append one offer ({id, agent, interface, choice, seconds, at, briefing}) to the newest transfer."""

    kind: ClassVar[str] = "record_warm_offer"

    def __post_init__(self) -> None:
        offer = self.values.get("offer") or {}
        if offer.get("choice") not in CHOICES or not offer.get("id"):
            raise ValueError(f"a warm offer needs an id and a choice in {CHOICES}")

    async def apply(self, session: AsyncSession, retried: bool) -> int | None:
        """Add the offer unless an earlier attempt already did; a call without a transfer is skipped."""
        newest = (
            select(Transfer)
            .join(Call, Call.id == Transfer.call_id)
            .where(Call.call_uuid == self.handle.call_uuid)
            .order_by(Transfer.created_at.desc(), Transfer.id.desc())
            .limit(1)
        )
        transfer = await session.scalar(newest)
        if transfer is None:
            return None
        offer = dict(self.values["offer"])
        context = dict(transfer.context or {})
        warm = dict(context.get("warm") or {})
        offers = list(warm.get("offers") or [])
        if any(o.get("id") == offer["id"] for o in offers):
            return None
        warm["offers"] = [*offers, offer]
        warm["choice"], warm["accept_seconds"] = offer["choice"], offer.get("seconds")
        transfer.context = {**context, "warm": warm}  # a new dict: JSON columns track assignment only
        return None


async def latest_briefing(session_factory: async_sessionmaker, call_uuid: str) -> dict[str, Any] | None:
    """The briefing ({text, language}) of the call's newest transfer, None when there is none."""
    query = (
        select(Transfer.context)
        .join(Call, Call.id == Transfer.call_id)
        .where(Call.call_uuid == call_uuid)
        .order_by(Transfer.created_at.desc(), Transfer.id.desc())
        .limit(1)
    )
    async with session_factory() as session:
        context = await session.scalar(query)
    briefing = (context or {}).get("briefing")
    return briefing if isinstance(briefing, dict) and briefing.get("text") else None


async def resume_handle(session_factory: async_sessionmaker, call_uuid: str) -> CallHandle | None:
    """A handle on an existing call whose next turn follows its last one; None when it is not stored."""
    async with session_factory() as session:
        call_id = await session.scalar(select(Call.id).where(Call.call_uuid == call_uuid))
        if call_id is None:
            return None
        last = await session.scalar(select(func.max(Turn.seq)).where(Turn.call_id == call_id))
    handle = CallHandle(call_uuid=call_uuid, id=call_id)
    handle._last_seq = int(last or 0)
    return handle
