"""kill -9 in the middle of a call: the next start of the worker closes the call it left open, at its
last turn with outcome `interrupted`, and the day's figures add up again (issue 14, point 7)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from ivr.fakepbx.audiosocket import Digit, answered, until_the_bot_ends
from ivr.fakepbx.pbx import FakePbx
from ivr.service import IvrService
from ivr.storage.figures import day_figures
from ivr.storage.store import CallStore
from tests.support.calls import service_config
from tests.support.serve_process import ServeProcess, write_config

UTC_ZONE = ZoneInfo("UTC")


async def wait_for_turns(url: str, count: int, timeout: float = 60.0) -> str:  # noqa: ASYNC109
    """The uuid of the one stored call once it has `count` turns (another process writes them)."""
    reader = await CallStore.open(url, migrate=False)
    try:
        async with asyncio.timeout(timeout):
            while True:
                calls = await reader.recent_calls("5551234", limit=1)
                if calls and len(calls[0].turns) >= count:
                    return calls[0].call_uuid
                await asyncio.sleep(0.1)  # another process: there is no event to wait on from here
    finally:
        await reader.close()


async def test_calls_left_open_by_a_killed_worker_are_closed_at_its_next_start(tmp_path, prompt_cache):
    config = service_config(tmp_path, prompt_cache)
    url = config.database_url()
    worker = ServeProcess(write_config(config, tmp_path / "ivr.yaml"), tmp_path / "serve.log")
    await worker.start()
    try:
        pbx = FakePbx("127.0.0.1", worker.agi_port, fallback_queue=config.bot.fallback_queue)
        call = asyncio.ensure_future(pbx.call([answered(), Digit("1"), until_the_bot_ends()], max_seconds=90))
        call_uuid = await wait_for_turns(url, 3)  # greeting, key 1, "You pressed 1."
        worker.kill()
        result = await asyncio.wait_for(call, 30)
    finally:
        worker.kill()
        await worker.stop()
    # The dialplan's side of a dead worker: the AGI connection broke, the caller goes to a person.
    assert result.next_step == f"queue {config.bot.fallback_queue}"

    store = await CallStore.open(url)
    try:
        before = await store.get_call(call_uuid)
        figures_before = await day_figures(store.session_factory, datetime.now(UTC).date(), UTC_ZONE)
    finally:
        await store.close()
    assert before.ended_at is None and before.outcome is None  # what kill -9 leaves behind
    assert figures_before.finished == figures_before.calls - 1

    restarted = IvrService(config)
    await restarted.start()
    try:
        await restarted.store.wait_flushed()
        after = await restarted.store.get_call(call_uuid)
        figures = await day_figures(restarted.store.session_factory, datetime.now(UTC).date(), UTC_ZONE)
    finally:
        await restarted.stop()
    assert after.outcome == "interrupted" and after.end_reason == "worker-restart"
    assert after.ended_at == max(t.ended_at for t in after.turns)
    assert figures.calls == figures.finished == 1 and figures.interrupted == 1
