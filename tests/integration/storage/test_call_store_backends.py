"""CallStore against real databases: SQLite (file, WAL) and a real PostgreSQL server."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from ivr.storage import CallRecord, CallStore, TransferRecord, TurnRecord
from ivr.storage.db import sync_engine

T0 = datetime(2026, 1, 5, 9, 0, 0, 123456, tzinfo=UTC)
SEOUL = timezone(timedelta(hours=9))
CONTEXT = {"intent": "billing", "slots": {"n": [1]}}


def at(seconds: float) -> datetime:
    """A fixed timestamp `seconds` after T0."""
    return T0 + timedelta(seconds=seconds)


async def start(store: CallStore, number: str = "+8210123", started_at: datetime = T0, **kw: str):
    """Start a call with plausible AGI values."""
    return await store.start_call(
        call_uuid=kw.get("call_uuid", str(uuid.uuid4())),
        agi_uniqueid="1700000000.42",
        channel="PJSIP/caller-00000001",
        caller_number=number,
        caller_name="Kim",
        language="ko",
        started_at=started_at,
    )


def read_sql(url: str, sql: str, **params: object) -> list[tuple]:
    """Query through a separate, blocking engine: what another process would see."""
    engine = sync_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql), params)]
    finally:
        engine.dispose()


async def test_whole_call_round_trips_with_ordered_turns_and_transfer(store: CallStore) -> None:
    call = await start(store, started_at=T0.astimezone(SEOUL))
    await store.add_turn(call, speaker="bot", text="안녕하세요", started_at=at(1), ended_at=at(3),
                         interrupted=True, meta={"played_ms": 1200})  # fmt: skip
    await store.add_turn(call, speaker="caller", text="요금 문의요", started_at=at(3.5), ended_at=at(4.5),
                         confidence=0.875, meta={"asr": "vosk", "latency_ms": 180})  # fmt: skip
    await store.add_turn(call, speaker="caller", text="", started_at=at(5), ended_at=at(5.2), dtmf="0")
    await store.record_transfer(call, reason="asked-for-agent", queue="billing", priority=5,
                                summary="billing question", context=CONTEXT,
                                created_at=at(6))  # fmt: skip
    await store.set_linkedid(call, "1700000000.40")
    await store.end_call(
        call, ended_at=at(7), end_reason="transferred", outcome="transferred", queue="billing"
    )

    record = await store.get_call(call.call_uuid)

    assert record == CallRecord(
        call_uuid=call.call_uuid, agi_uniqueid="1700000000.42", linkedid="1700000000.40",
        channel="PJSIP/caller-00000001", caller_number="+8210123", caller_name="Kim", language="ko",
        started_at=T0, ended_at=at(7), end_reason="transferred", outcome="transferred", queue="billing",
        survey_score=None, meta={},
        turns=(
            TurnRecord(1, "bot", "안녕하세요", at(1), at(3), None, None, True, {"played_ms": 1200}),
            TurnRecord(2, "caller", "요금 문의요", at(3.5), at(4.5), 0.875, None, False,
                       {"asr": "vosk", "latency_ms": 180}),
            TurnRecord(3, "caller", "", at(5), at(5.2), None, "0", False, {}),
        ),
        transfers=(
            TransferRecord(at(6), "asked-for-agent", "billing", 5, "billing question", CONTEXT,
                           None, None, None, None, None, None, None),
        ),
    )  # fmt: skip
    assert record.started_at.tzinfo is UTC and record.turns[0].ended_at.tzinfo is UTC
    assert store.healthy and store.pending_writes == 0 and store.dropped_writes == 0


async def test_each_turn_is_committed_before_the_call_ends(store: CallStore, database_url: str) -> None:
    call = await start(store)
    await store.add_turn(call, speaker="bot", text="hello", started_at=at(1), ended_at=at(2))
    sql = (
        "SELECT t.seq, t.text FROM turns t JOIN calls c ON c.id = t.call_id"
        " WHERE c.call_uuid = :u ORDER BY t.seq"
    )

    assert await asyncio.to_thread(read_sql, database_url, sql, u=call.call_uuid) == [(1, "hello")]

    await store.add_turn(call, speaker="caller", text="hi", started_at=at(2), ended_at=at(3))
    rows = await asyncio.to_thread(read_sql, database_url, sql, u=call.call_uuid)
    ended = await asyncio.to_thread(read_sql, database_url, "SELECT ended_at FROM calls WHERE call_uuid = :u",
                                    u=call.call_uuid)  # fmt: skip
    assert rows == [(1, "hello"), (2, "hi")]
    assert ended == [(None,)]


async def test_recent_calls_are_newest_first_and_limited(store: CallStore) -> None:
    handles = [await start(store, number="+100", started_at=at(60 * i)) for i in range(4)]
    await start(store, number="+200", started_at=at(999))
    await store.add_turn(handles[3], speaker="caller", text="latest", started_at=at(181), ended_at=at(182))

    recent = await store.recent_calls("+100", limit=2)

    assert [r.call_uuid for r in recent] == [handles[3].call_uuid, handles[2].call_uuid]
    assert [t.text for t in recent[0].turns] == ["latest"]
    assert len(await store.recent_calls("+100")) == 4
    assert await store.recent_calls("+999") == []
    assert await store.get_call("no-such-call") is None


async def test_many_concurrent_calls_from_two_stores_keep_every_turn_in_order(
    store: CallStore, database_url: str
) -> None:
    other = await CallStore.open(database_url)  # a second worker process on the same database

    async def one_call(writer: CallStore, n: int) -> str:
        call = await start(writer, number=f"+{n}")
        for i in range(5):
            await writer.add_turn(call, speaker="caller" if i % 2 else "bot", text=f"{n}-{i}",
                                  started_at=at(i), ended_at=at(i + 0.5))  # fmt: skip
        await writer.end_call(call, ended_at=at(9), end_reason="caller-hangup", outcome="abandoned")
        return call.call_uuid

    try:
        uuids = await asyncio.gather(*(one_call(store if n % 2 else other, n) for n in range(24)))
    finally:
        await other.close()
    await store.wait_flushed()  # under load a write may pass its 1 s deadline and land on the retry

    for n, call_uuid in enumerate(uuids):
        record = await store.get_call(call_uuid)
        assert record is not None and record.outcome == "abandoned"
        assert [(t.seq, t.text) for t in record.turns] == [(i + 1, f"{n}-{i}") for i in range(5)]
    assert store.healthy and other.dropped_writes == 0 and store.dropped_writes == 0


async def test_write_survives_the_caller_being_cancelled_mid_write(store: CallStore) -> None:
    call = await start(store)

    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0):  # cancels us at our first suspension: inside add_turn
            await store.add_turn(call, speaker="caller", text="bye", started_at=at(1), ended_at=at(2))
    await store.end_call(call, ended_at=at(3), end_reason="caller-hangup", outcome="abandoned")
    await asyncio.wait_for(store.wait_flushed(), 30)

    record = await store.get_call(call.call_uuid)
    assert record is not None and [t.text for t in record.turns] == ["bye"]
    assert record.end_reason == "caller-hangup"


async def test_refused_writes_are_dropped_without_raising(store: CallStore) -> None:
    first = await start(store, call_uuid="dup-uuid")
    duplicate = await start(store, call_uuid="dup-uuid")  # a bug upstream: the database refuses it
    await store.add_turn(duplicate, speaker="bot", text="lost", started_at=at(1), ended_at=at(2))
    await store.add_turn(first, speaker="bot", text="kept", started_at=at(1), ended_at=at(2))

    record = await store.get_call("dup-uuid")
    assert duplicate.lost and not first.lost
    assert record is not None and [t.text for t in record.turns] == ["kept"]
    assert store.dropped_writes == 2 and store.pending_writes == 0


async def test_naive_timestamps_and_unknown_speakers_are_refused_at_the_call_site(store: CallStore) -> None:
    with pytest.raises(ValueError, match="naive"):
        await start(store, started_at=datetime(2026, 1, 1, 12, 0))
    call = await start(store)
    with pytest.raises(ValueError, match="speaker"):
        await store.add_turn(call, speaker="agent", text="x", started_at=at(1), ended_at=at(2))
    assert store.pending_writes == 0 and store.dropped_writes == 0


async def test_open_creates_the_sqlite_folder_and_turns_on_wal(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'deep' / 'er' / 'ivr.db'}"
    store = await CallStore.open(url)
    try:
        call = await start(store)
        await store.add_turn(call, speaker="bot", text="hi", started_at=at(1), ended_at=at(2))
    finally:
        await store.close()

    assert (tmp_path / "deep" / "er" / "ivr.db").is_file()
    assert read_sql(url, "PRAGMA journal_mode") == [("wal",)]
    assert read_sql(url, "SELECT count(*) FROM turns") == [(1,)]
