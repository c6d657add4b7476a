"""Warm hand-off storage on SQLite and PostgreSQL: offers on the transfer, resumed calls, the figures."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ivr.storage import CallStore
from ivr.storage.figures import day_figures
from ivr.storage.records import CallHandle
from ivr.storage.warm_ops import RecordWarmOffer, latest_briefing, resume_handle

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
BRIEFING = {"text": "Support, English. Caller pressed 0.", "language": "en"}


async def transferred_call(store: CallStore) -> CallHandle:
    call = await store.start_call(
        call_uuid=str(uuid.uuid4()), agi_uniqueid="1700000000.7", channel="PJSIP/trunk-1",
        caller_number="5551234", caller_name="Test", language="en", started_at=T0,
    )  # fmt: skip
    await store.add_turn(call, speaker="bot", text="Hello", started_at=T0, ended_at=T0 + timedelta(seconds=1))
    await store.record_transfer(
        call, reason="keypad-0", queue="support-en", priority=0, summary="s", context={"briefing": BRIEFING},
        created_at=T0 + timedelta(seconds=2),
    )  # fmt: skip
    await store.end_call(
        call, ended_at=T0 + timedelta(seconds=3), end_reason="transferred", outcome="transferred"
    )
    await store.wait_flushed()
    return call


def offer(choice: str, seconds: float, offer_id: str) -> dict:
    return {"id": offer_id, "agent": "alice", "interface": "PJSIP/1001", "choice": choice, "seconds": seconds}


async def test_offers_are_appended_once_each_and_read_by_the_figures(store: CallStore) -> None:
    call = await transferred_call(store)
    assert await latest_briefing(store.session_factory, call.call_uuid) == BRIEFING
    for choice, seconds, offer_id in (("pass", 4.0, "a"), ("pass", 4.0, "a"), ("accept", 2.5, "b")):
        await store.submit(
            RecordWarmOffer(CallHandle(call.call_uuid), {"offer": offer(choice, seconds, offer_id)})
        )
    await store.wait_flushed()
    record = await store.get_call(call.call_uuid)
    warm = record.transfers[-1].context["warm"]
    assert [o["choice"] for o in warm["offers"]] == ["pass", "accept"], "a replayed offer is not added twice"
    assert (warm["choice"], warm["accept_seconds"]) == ("accept", 2.5)
    assert record.transfers[-1].context["briefing"] == BRIEFING, "the rest of the context stays"
    figures = await day_figures(store.session_factory, T0.date(), ZoneInfo("UTC"))
    assert (figures.warm_offers, figures.warm_accepted, figures.acceptance_rate) == (2, 1, 0.5)
    assert figures.accept_avg_s == 2.5


async def test_a_resumed_call_continues_the_same_row(store: CallStore) -> None:
    call = await transferred_call(store)
    again = await resume_handle(store.session_factory, call.call_uuid)
    assert again is not None and again.id == call.id
    await store.add_turn(again, speaker="bot", text="I'm back", started_at=T0 + timedelta(seconds=60),
                         ended_at=T0 + timedelta(seconds=61))  # fmt: skip
    await store.end_call(
        again, ended_at=T0 + timedelta(seconds=90), end_reason="bot-hangup", outcome="contained"
    )
    await store.wait_flushed()
    record = await store.get_call(call.call_uuid)
    assert [(t.seq, t.text) for t in record.turns] == [(1, "Hello"), (2, "I'm back")]
    assert record.outcome == "contained" and record.started_at == T0
    assert await resume_handle(store.session_factory, str(uuid.uuid4())) is None
    with pytest.raises(ValueError):
        RecordWarmOffer(CallHandle(call.call_uuid), {"offer": {"id": "x", "choice": "maybe"}})
