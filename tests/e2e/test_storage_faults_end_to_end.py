"""A hung or locked database never reaches the caller: every request is answered at its normal pace and
every turn is stored once the database is back (issue 14, point 2)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sqlite3
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from ivr.bot import EchoBot
from ivr.fakepbx.audiosocket import Digit, answered, until_the_bot_ends
from tests.support.calls import FixedBots, pbx_for
from tests.support.postgres import PostgresCluster, create_database, find_pg_bin, free_port

HANG_S = 30.0
# What the call may spend waiting on storage at one write: a queue push takes microseconds, while the
# store before this fix waited for the database (busy timeout 5 s, or forever on a frozen server).
MAX_STORAGE_WAIT_S = 0.5
KEYS = ("1", "2", "3")


class TimedStore:
    """Wraps the service's CallStore and times every write the call's path awaits."""

    def __init__(self, store):
        self._store = store
        self.waits: list[tuple[str, float]] = []

    def __getattr__(self, name):
        return getattr(self._store, name)

    def _timed(name):
        async def timed(self, *args, **kwargs):
            loop = asyncio.get_running_loop()
            began = loop.time()
            try:
                return await getattr(self._store, name)(*args, **kwargs)
            finally:
                self.waits.append((name, loop.time() - began))

        return timed

    start_call = _timed("start_call")
    add_turn = _timed("add_turn")
    record_transfer = _timed("record_transfer")
    end_call = _timed("end_call")


class StartedBot(EchoBot):
    """The echo bot, telling the test when the greeting starts (the call is in progress)."""

    started: asyncio.Event

    def start(self, call):
        self.started.set()
        return super().start(call)


# Three requests (keys the echo bot answers), then a request for a person; DTMF keeps the CPU for the
# call path itself (no ASR) on a loaded machine. Each key waits for the bot's answer to the one before, so
# a slow machine makes the calls longer instead of mixing the turns up; both end well within the fault.
FIRST_CALL = [
    answered(),
    *(x for k in KEYS for x in (Digit(k), answered())),
    Digit("0"),
    until_the_bot_ends(),
]
SECOND_CALL = [answered(), Digit("0"), until_the_bot_ends()]


async def run_calls_through_fault(service, *, freeze, thaw, fault_s: float):
    """Freeze when the first call's greeting starts, place a second call during the fault, thaw after
    `fault_s` (not earlier, however quick the calls); returns both call results and the thaw's wall time."""
    started = asyncio.Event()

    def make_bot():
        bot = StartedBot(greeting="Hello, this is the hotline.", fallback_queue="support-en")
        bot.started = started
        return bot

    service.bots = FixedBots.of(make_bot)
    timed = service.store = TimedStore(service.store)
    pbx = pbx_for(service)
    first = asyncio.ensure_future(pbx.call(FIRST_CALL, max_seconds=90))
    await asyncio.wait_for(started.wait(), 30)
    freeze()
    thawed_at: list[datetime] = []
    thawed = asyncio.Event()

    def thaw_now():
        if not thawed_at:
            thawed_at.append(datetime.now(UTC))
            thaw()
            thawed.set()

    timer = asyncio.get_running_loop().call_later(fault_s, thaw_now)
    try:
        results = [await first, await pbx.call(SECOND_CALL, max_seconds=90)]
        # The callers wait for the bot, not a fixed time, so they may be done early: the fault still
        # lasts its full time, and the writes of both calls wait for it.
        await asyncio.wait_for(thawed.wait(), fault_s + 60)
    finally:
        timer.cancel()
        thaw_now()  # at the latest when the calls are over
    await asyncio.wait_for(service.store.wait_flushed(), 60)
    service.store = timed._store
    assert timed.waits and max(wait for _, wait in timed.waits) < MAX_STORAGE_WAIT_S, timed.waits
    return results, thawed_at[0]


async def assert_answered_and_stored(service, results, thawed_at: datetime) -> None:
    """Every request answered during the fault, every turn and transfer stored once it is over."""
    first, second = [await service.store.get_call(r.call_uuid) for r in results]
    for result, record in zip(results, (first, second), strict=True):
        assert result.variables["IVR_ACTION"] == "transfer" and result.variables["IVR_REASON"] == "keypad-0"
        assert record is not None and record.outcome == "transferred" and record.ended_at is not None
        assert [t.seq for t in record.turns] == list(range(1, len(record.turns) + 1))
        assert [t.reason for t in record.transfers] == ["keypad-0"]
    caller = [t.dtmf for t in first.turns if t.speaker == "caller"]
    assert caller == [*KEYS, "0"]
    answers = [t for t in first.turns if t.speaker == "bot"]
    assert [t.text for t in answers[1:4]] == [f"You pressed {key}." for key in KEYS]
    # The answers (and the second caller's greeting) were played while the database was away.
    assert all(t.started_at < thawed_at for t in answers[:4]), (answers, thawed_at)
    assert second.turns[0].speaker == "bot" and second.turns[0].started_at < thawed_at


@pytest.fixture(scope="module")
def own_cluster() -> Iterator[PostgresCluster]:
    """A PostgreSQL cluster of this module's own: the test freezes it, which must not touch others."""
    bin_dir = find_pg_bin()
    if bin_dir is None or os.environ.get("IVR_TEST_DATABASE_URL"):
        pytest.skip("needs local PostgreSQL server binaries to freeze a server of its own")
    cluster = PostgresCluster(bin_dir)
    try:
        cluster.init()
        cluster.start(free_port())
        yield cluster
    finally:
        cluster.remove()


def server_pids(cluster: PostgresCluster) -> list[int]:
    """The postmaster and every backend it has forked."""
    postmaster = int((cluster.data / "postmaster.pid").read_text().split()[0])
    children = subprocess.run(["pgrep", "-P", str(postmaster)], capture_output=True, text=True).stdout
    return [postmaster, *(int(p) for p in children.split())]


@pytest.mark.postgres
async def test_postgres_frozen_for_30s_during_calls_costs_the_callers_nothing(
    own_cluster, running_service, caplog
):
    caplog.set_level(logging.INFO, "ivr.storage")
    url = create_database(own_cluster.url())
    stopped: list[int] = []

    def freeze():
        stopped.extend(server_pids(own_cluster))
        for pid in stopped:
            os.kill(pid, signal.SIGSTOP)

    def thaw():
        while stopped:
            os.kill(stopped.pop(), signal.SIGCONT)

    async with running_service(database={"url": url}) as service:
        try:
            results, thawed_at = await run_calls_through_fault(
                service, freeze=freeze, thaw=thaw, fault_s=HANG_S
            )
        finally:
            thaw()
        await assert_answered_and_stored(service, results, thawed_at)

    storage = [r for r in caplog.records if r.name == "ivr.storage"]
    outage = next(r for r in storage if "unavailable" in r.getMessage())
    back = next(r for r in storage if "is back" in r.getMessage())
    # Logged when the outage started, not when the server came back.
    assert outage.created < thawed_at.timestamp() - HANG_S / 2 < back.created


async def test_sqlite_locked_for_30s_during_calls_costs_the_callers_nothing(
    running_service, tmp_path, caplog
):
    caplog.set_level(logging.INFO, "ivr.storage")
    path = tmp_path / "locked.db"
    blocker: list[sqlite3.Connection] = []

    def freeze():
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
        blocker.append(conn)

    def thaw():
        while blocker:
            conn = blocker.pop()
            conn.execute("COMMIT")
            conn.close()

    async with running_service(database={"url": f"sqlite:///{path}"}) as service:
        results, thawed_at = await run_calls_through_fault(service, freeze=freeze, thaw=thaw, fault_s=HANG_S)
        await assert_answered_and_stored(service, results, thawed_at)

    outage = next(r for r in caplog.records if r.name == "ivr.storage" and "unavailable" in r.getMessage())
    assert outage.created < thawed_at.timestamp() - HANG_S / 2
