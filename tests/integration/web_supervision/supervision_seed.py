"""Test data for the supervision tests: calls as the dialogue manager stores them, with ACD timings."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from ivr.storage.desk_models import DeskUser, Disposition
from ivr.storage.models import Call, Transfer
from ivr.storage.store import CallStore

CONTEXT = {
    "intent": "billing.refund",
    "intent_score": 0.82,
    "slots": {"order_id": "A-1234"},
    "answers_tried": ["refund_policy"],
    "reason": "sensitive-topic",
    "sentiment": {"scores": [0.1, -0.4], "trend": "falling"},
    "language": "en",
    "tier": "gold",
}


@dataclass(frozen=True)
class Timings:
    """Seconds after the call start of each ACD stamp (None: not reached)."""

    transfer: float = 60
    queued: float | None = 61
    called: float | None = 75
    answered: float | None = 91
    completed: float | None = 391
    abandoned: float | None = None


async def stored_call(
    store: CallStore,
    started_at: datetime,
    *,
    number: str = "+15550100",
    name: str | None = "Ada",
    outcome: str = "transferred",
    timings: Timings | None = Timings(),
    turns: int = 4,
    reason: str = "sensitive-topic",
    queue: str = "billing",
    end: bool = True,
) -> str:
    """Store a call with `turns` alternating turns and, if `timings`, a transfer; returns its uuid."""
    call_uuid = str(uuid.uuid4())
    handle = await store.start_call(
        call_uuid=call_uuid, agi_uniqueid=f"{started_at.timestamp():.2f}", channel="PJSIP/trunk-0001",
        caller_number=number, caller_name=name, language="en", started_at=started_at,
    )  # fmt: skip
    for i in range(turns):
        at = started_at + timedelta(seconds=5 + 10 * i)
        speaker = "bot" if i % 2 == 0 else "caller"
        text = "How can I help you?" if speaker == "bot" else "I want a refund for order A-1234"
        await store.add_turn(
            handle, speaker=speaker, text=text, started_at=at, ended_at=at + timedelta(seconds=3)
        )
    if timings is not None:
        await store.record_transfer(
            handle, reason=reason, queue=queue, priority=1, summary="Refund for order A-1234.\nCaller upset.",
            context=CONTEXT, created_at=started_at + timedelta(seconds=timings.transfer),
        )  # fmt: skip
    if end:
        ended = started_at + timedelta(seconds=timings.transfer if timings else 30)
        await store.end_call(handle, ended_at=ended, end_reason="x", outcome=outcome, queue=queue)
    await store.wait_flushed()
    if timings is not None:
        await set_timings(store, call_uuid, started_at, timings)
    return call_uuid


async def set_timings(store: CallStore, call_uuid: str, started_at: datetime, timings: Timings) -> None:
    """Write the ACD stamps of the call's transfer (what the queue event tracker records)."""

    def stamp(seconds: float | None) -> datetime | None:
        return None if seconds is None else started_at + timedelta(seconds=seconds)

    async with store.session_factory.begin() as session:
        call_id = (await session.execute(Call.__table__.select().where(Call.call_uuid == call_uuid))).one().id
        await session.execute(
            update(Transfer)
            .where(Transfer.call_id == call_id)
            .values(
                queued_at=stamp(timings.queued), agent_called_at=stamp(timings.called),
                answered_at=stamp(timings.answered), completed_at=stamp(timings.completed),
                abandoned_at=stamp(timings.abandoned), agent_interface="PJSIP/agent-7",
                agent_name="Agent Seven",
            )
        )  # fmt: skip


async def add_user(store: CallStore, username: str, role: str, agent_id: str | None = None) -> int:
    """A desk user row (password hash irrelevant here); returns its id."""
    async with store.session_factory.begin() as session:
        user = DeskUser(
            username=username, password_hash="x", role=role, agent_id=agent_id,
            display_name=username.title(), disabled=False, created_at=datetime.now(UTC),
        )  # fmt: skip
        session.add(user)
        await session.flush()
        return user.id


async def add_disposition(
    store: CallStore, call_uuid: str, user_id: int, resolved: bool, at: datetime
) -> None:
    """What the agent saves after the call."""
    async with store.session_factory.begin() as session:
        call_id = (await session.execute(Call.__table__.select().where(Call.call_uuid == call_uuid))).one().id
        session.add(Disposition(call_id=call_id, user_id=user_id, category="billing", notes="refunded",
                                resolved=resolved, created_at=at))  # fmt: skip
