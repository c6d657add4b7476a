"""A database that is away never breaks a call: writes wait in order and land when it is back."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import make_url

from ivr.storage import CallStore, StorageUnavailable
from tests.integration.storage.tcp_gate import TcpGate
from tests.support.postgres import free_port

T0 = datetime(2026, 2, 1, 10, 0, tzinfo=UTC)
SLOW = {"retry_base": 3600.0, "retry_cap": 3600.0}  # only retry_now() retries: the test decides when
PASSWORD = "s3cret-pw"


def at(seconds: float) -> datetime:
    """A fixed timestamp `seconds` after T0."""
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
async def gate(fresh_postgres_url: str) -> AsyncIterator[TcpGate]:
    """A closed gate in front of a fresh PostgreSQL database."""
    target = make_url(fresh_postgres_url)
    tcp = TcpGate(free_port(), target.host or "127.0.0.1", target.port or 5432)
    yield tcp
    await tcp.close()


def gated_url(gate: TcpGate, fresh_postgres_url: str) -> str:
    """The database URL through the gate, with a password the logs must never show."""
    url = make_url(fresh_postgres_url).set(host="127.0.0.1", port=gate.port, password=PASSWORD)
    return url.render_as_string(hide_password=False)


async def whole_call(store: CallStore, call_uuid: str, turns: int) -> None:
    """Start a call, say `turns` things, transfer it and end it."""
    call = await store.start_call(call_uuid=call_uuid, agi_uniqueid="1.1", channel="PJSIP/x-1",
                                  caller_number="+1555", caller_name=None, language="en",
                                  started_at=T0)  # fmt: skip
    for i in range(turns):
        await store.add_turn(
            call, speaker="caller", text=f"turn {i + 1}", started_at=at(i), ended_at=at(i + 1)
        )
    await store.record_transfer(call, reason="agent", queue="support", priority=1, summary="s",
                                context={"k": "v"}, created_at=at(turns))  # fmt: skip
    await store.end_call(call, ended_at=at(turns + 1), end_reason="transferred", outcome="transferred")


def storage_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Error lines the store logged."""
    return [r.getMessage() for r in caplog.records if r.name == "ivr.storage" and r.levelno >= logging.ERROR]


async def test_service_started_while_postgres_is_down_saves_everything_once_it_is_up(
    gate: TcpGate, fresh_postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "ivr.storage")
    store = await CallStore.open(gated_url(gate, fresh_postgres_url), retry_base=0.01, retry_cap=0.05)
    try:
        await whole_call(store, "call-a", turns=3)
        await whole_call(store, "call-b", turns=2)
        assert not store.healthy and store.pending_writes == 11
        with pytest.raises(StorageUnavailable):
            await store.get_call("call-a")

        await gate.open()  # the server comes back on the same address: the retry task finds it
        await asyncio.wait_for(store.wait_flushed(), 30)

        record = await store.get_call("call-a")
        assert record is not None and [t.text for t in record.turns] == ["turn 1", "turn 2", "turn 3"]
        assert [t.seq for t in record.turns] == [1, 2, 3]
        assert record.outcome == "transferred" and [t.queue for t in record.transfers] == ["support"]
        assert [t.text for t in (await store.get_call("call-b")).turns] == ["turn 1", "turn 2"]
        assert store.healthy and store.pending_writes == 0 and store.dropped_writes == 0
    finally:
        await store.close()
    errors = storage_errors(caplog)
    assert len(errors) == 1, errors  # once per outage, however many retries failed
    assert PASSWORD not in caplog.text and "***" in errors[0] and str(gate.port) in errors[0]


async def test_outage_in_the_middle_of_a_call_keeps_its_writes_in_order(
    gate: TcpGate, fresh_postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "ivr.storage")
    await gate.open()
    store = await CallStore.open(gated_url(gate, fresh_postgres_url), **SLOW)
    try:
        call = await store.start_call(call_uuid="mid", agi_uniqueid="1.2", channel="PJSIP/x-2",
                                      caller_number="+1666", caller_name="A", language="en",
                                      started_at=T0)  # fmt: skip
        await store.add_turn(call, speaker="bot", text="before", started_at=at(1), ended_at=at(2))
        assert store.healthy

        await gate.close()  # server gone: pooled connections are cut, new ones refused
        for text in ("during 1", "during 2"):
            await store.add_turn(call, speaker="caller", text=text, started_at=at(3), ended_at=at(4))
        await store.end_call(call, ended_at=at(5), end_reason="caller-hangup", outcome="abandoned")
        assert store.pending_writes == 3 and not store.healthy
        assert not await store.retry_now()  # still down: nothing lost, nothing raised
        assert store.pending_writes == 3

        await gate.open()
        assert await store.retry_now()

        record = await store.get_call("mid")
        assert record is not None
        assert [(t.seq, t.text) for t in record.turns] == [(1, "before"), (2, "during 1"), (3, "during 2")]
        assert record.end_reason == "caller-hangup" and store.healthy
    finally:
        await store.close()
    assert len(storage_errors(caplog)) == 1


async def test_locked_sqlite_database_delays_writes_instead_of_failing_them(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'ivr.db'}"
    store = await CallStore.open(url, sqlite_busy_timeout=0.05, **SLOW)
    try:
        call = await store.start_call(call_uuid="locked", agi_uniqueid="1.3", channel="PJSIP/x-3",
                                      caller_number=None, caller_name=None, language="en",
                                      started_at=T0)  # fmt: skip
        blocker = sqlite3.connect(tmp_path / "ivr.db", isolation_level=None)
        blocker.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
        await store.add_turn(call, speaker="caller", text="one", started_at=at(1), ended_at=at(2))
        await store.add_turn(call, speaker="bot", text="two", started_at=at(2), ended_at=at(3))
        assert store.pending_writes == 2 and not store.healthy
        assert not await store.retry_now()

        blocker.execute("COMMIT")
        blocker.close()
        assert await store.retry_now()

        record = await store.get_call("locked")
        assert record is not None and [(t.seq, t.text) for t in record.turns] == [(1, "one"), (2, "two")]
    finally:
        await store.close()


async def test_full_outbox_drops_new_writes_and_close_reports_the_unsaved(
    gate: TcpGate, fresh_postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "ivr.storage")
    store = await CallStore.open(gated_url(gate, fresh_postgres_url), max_pending=4, **SLOW)
    await whole_call(store, "overflow", turns=3)  # 6 writes into room for 4

    assert store.pending_writes == 4 and store.dropped_writes == 2
    await store.close()

    assert store.pending_writes == 4
    assert any("4 writes could not be saved" in line for line in storage_errors(caplog))
    assert PASSWORD not in caplog.text


async def test_close_makes_a_last_attempt_that_saves_the_outbox(
    gate: TcpGate, fresh_postgres_url: str
) -> None:
    url = gated_url(gate, fresh_postgres_url)
    store = await CallStore.open(url, **SLOW)
    await whole_call(store, "last-chance", turns=2)
    assert store.pending_writes == 5

    await gate.open()
    await store.close()

    assert store.pending_writes == 0
    reader = await CallStore.open(url, migrate=False)
    try:
        record = await reader.get_call("last-chance")
    finally:
        await reader.close()
    assert record is not None and [t.text for t in record.turns] == ["turn 1", "turn 2"]
    assert record.ended_at == at(3)
