"""The outbox journal: writes parked during a database outage survive a crash of the worker (kill -9) and
are saved, in order and once, when the worker starts again with the database back."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import textwrap
from pathlib import Path

import pytest

from ivr.errors import StartupError
from ivr.storage import CallStore
from ivr.storage.db import upgrade_database
from ivr.storage.journal import WriteJournal
from ivr.storage.ops import StartCall
from ivr.storage.records import CallHandle
from tests.integration.storage.test_call_store_outbox import SLOW, T0, gate, gated_url  # noqa: F401

REPO = Path(__file__).resolve().parents[3]

CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from tests.integration.storage.test_call_store_outbox import whole_call
    from ivr.storage import CallStore

    async def main(url, journal):
        store = await CallStore.open(url, journal=Path(journal), retry_base=3600.0, retry_cap=3600.0)
        await whole_call(store, "crashed-call", turns=3)
        await store.journal_synced()
        print("parked", store.pending_writes, flush=True)
        await asyncio.Event().wait()  # until kill -9

    asyncio.run(main(sys.argv[1], sys.argv[2]))
    """
)


@pytest.mark.postgres
async def test_writes_parked_during_an_outage_survive_kill_9_and_are_saved_after_restart(
    gate,  # noqa: F811
    fresh_postgres_url: str,
    tmp_path: Path,
) -> None:
    await asyncio.to_thread(upgrade_database, fresh_postgres_url)
    journal = tmp_path / "outbox.journal"
    url = gated_url(gate, fresh_postgres_url)  # the gate is closed: the database is unreachable
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CHILD, url, str(journal), cwd=REPO, stdout=asyncio.subprocess.PIPE
    )
    try:
        line = await asyncio.wait_for(child.stdout.readline(), 120)
        assert line.decode().split() == ["parked", "6"], line
    finally:
        child.send_signal(signal.SIGKILL)
        await child.wait()
    assert sum(1 for text in journal.read_text().splitlines() if '"kind"' in text) == 6

    await gate.open()  # the database is back; the worker starts again with its journal
    store = await CallStore.open(url, journal=journal, **SLOW)
    try:
        assert store.pending_writes == 6
        assert await store.retry_now()
        record = await store.get_call("crashed-call")
    finally:
        await store.close()
    assert [(t.seq, t.text) for t in record.turns] == [(1, "turn 1"), (2, "turn 2"), (3, "turn 3")]
    assert record.transfers[0].context == {"k": "v"} and record.end_reason == "transferred"
    assert journal.read_text() == "", "everything written: nothing left to replay"

    again = await CallStore.open(url, journal=journal, **SLOW)  # a later start replays nothing
    try:
        assert again.pending_writes == 0 and again.healthy
    finally:
        await again.close()


def test_a_torn_last_line_is_skipped_and_done_writes_are_not_replayed(tmp_path: Path) -> None:
    path = tmp_path / "outbox.journal"
    journal = WriteJournal(path)
    values = {"agi_uniqueid": "1.1", "channel": "x", "caller_number": None, "caller_name": None,
              "language": "en", "started_at": T0}  # fmt: skip
    first = journal.append(StartCall(CallHandle("a"), values))
    journal.append(StartCall(CallHandle("b"), values))
    journal.done(first)
    journal.close()
    with open(path, "a") as file:
        file.write('{"n": 3, "kind": "start_c')  # the power went out in the middle of this line
    journal = WriteJournal(path)
    try:
        (entry,) = journal.pending()
        assert entry.op.handle.call_uuid == "b" and entry.op.values["started_at"] == T0
        journal.flush()
        assert [json.loads(line)["call"] for line in path.read_text().splitlines()] == ["b"]
        with pytest.raises(StartupError, match=r"give each worker its own paths\.journal"):
            WriteJournal(path)
    finally:
        journal.close()
