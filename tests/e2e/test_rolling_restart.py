"""A rolling restart under load: two `ivr serve` workers on one PostgreSQL, each SIGTERMed and restarted in
turn while calls run. No caller is dropped (every call ends with the bot's own IVR_ACTION, or goes to
another worker) and no stored turn is lost (each keypad turn is stored with the bot's answer to it)."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from ivr.fakepbx.audiosocket import BotAnswered, Digit, ScriptItem, Silence, SilenceUntil
from ivr.fakepbx.pbx import CallResult, FakePbx
from ivr.prompts import TRANSFER_NOTICE
from tests.e2e.cluster_support import make_workers, stored_calls, worker_env

pytestmark = pytest.mark.postgres

# Fixed silences on purpose: the call must simply last past the drain, keys or not answered yet.
LONG = [item for _ in range(20) for item in (Digit("5"), Silence(2.5))]  # busy talking past the drain
DRAIN_SECONDS = 2.0


def short_script(decided: asyncio.Event) -> list[ScriptItem]:
    """Keypad 0 once the greeting is over; `decided` is set when the transfer notice starts: such a call
    is finished by its own transfer whenever the drain comes, however slow a busy machine is."""
    return [SilenceUntil(BotAnswered(quiet=1.0)), Digit("0"), SilenceUntil(BotAnswered(quiet=0.0), decided)]


async def test_rolling_restart_drops_no_caller_and_loses_no_turn(tmp_path: Path, fresh_postgres_url: str):
    env = worker_env(fresh_postgres_url)
    workers = make_workers(
        tmp_path,
        2,
        env,
        paths={"flows": str(tmp_path / "no-flows"), "queues": str(tmp_path / "no-queues.yaml")},
        web={"enabled": False},
    )
    for w in workers:
        w.write_config(
            paths={"flows": str(tmp_path / "no-flows"), "queues": str(tmp_path / "no-queues.yaml")},
            cluster={"name": w.name, "lease_seconds": 0.5, "drain_timeout": DRAIN_SECONDS},
        )
    pbx = FakePbx("127.0.0.1", 0, workers=[w.address for w in workers], fallback_queue="support-en")
    placed: list[tuple[str, asyncio.Task[CallResult]]] = []

    async def place(kind: str) -> tuple[asyncio.Event, asyncio.Event]:
        in_progress, decided = asyncio.Event(), asyncio.Event()
        script = LONG if kind == "long" else short_script(decided)
        task = asyncio.ensure_future(pbx.call(script, max_seconds=180, in_progress=in_progress))
        placed.append((kind, task))
        return in_progress, decided

    try:
        for w in workers:
            w.start()
        for w in workers:
            await w.wait_log("ivr listening")
        for round_no, victim in enumerate(workers, 1):
            kinds = ("long", "short", "long", "short")  # two on each worker
            started = [await place(kind) for kind in kinds]
            await asyncio.wait_for(asyncio.gather(*(e.wait() for e, _ in started)), 60)
            # The short calls have pressed 0 and hear the notice; the long ones keep talking past the drain.
            shorts = [decided for kind, (_, decided) in zip(kinds, started, strict=True) if kind == "short"]
            await asyncio.wait_for(asyncio.gather(*(e.wait() for e in shorts)), 60)
            victim.signal(signal.SIGTERM)
            await victim.wait_log("draining:", count=round_no if victim is workers[0] else 1)
            during = [await place("short") for _ in range(2)]  # arrive while the victim drains
            await asyncio.wait_for(asyncio.gather(*(e.wait() for e, _ in during)), 60)
            assert await victim.exit_code() == 0, "".join(victim.lines[-20:])
            assert victim.log_has("handing over"), "a long call outlived the drain timeout"
            victim.start()
            await victim.wait_log("ivr listening")
        results = [(kind, await asyncio.wait_for(task, 240)) for kind, task in placed]
    finally:
        for w in workers:
            w.stop()
        for _, task in placed:
            task.cancel()

    calls = await stored_calls(fresh_postgres_url)
    handed_over = 0
    for kind, result in results:
        assert result.worker is not None, f"nobody took a call: {result.notes}"
        assert result.agi_status == "SUCCESS", (kind, result.agi_status, result.notes)
        reason = result.variables.get("IVR_REASON")
        assert result.variables.get("IVR_ACTION") == "transfer", f"dropped: {result.variables}"
        assert result.next_step == "queue support-en"
        record = calls[result.call_uuid]
        assert record.ended_at is not None and record.outcome == "transferred"
        assert record.transfers and record.transfers[-1].reason == reason
        bot = [t.text for t in record.turns if t.speaker == "bot"]
        assert bot[0].startswith("Thank you for calling") and bot[-1] == TRANSFER_NOTICE
        if kind == "short":
            assert reason == "keypad-0"
            continue
        assert reason == "worker-draining"
        handed_over += 1
        # Every key the caller pressed before the hand-over is stored, answered by the bot or not.
        presses = [t for t in record.turns if t.dtmf == "5"]
        times = result.caller.item_times
        sent = sum(isinstance(item, Digit) for item, _ in zip(LONG, times, strict=False))
        assert 1 <= len(presses) <= sent and len(presses) >= bot.count("You pressed 5."), record.turns
    assert handed_over == 4, "each drained worker handed over its two long calls"
    assert len(calls) == len(results), "a call row too many or too few"
    assert {r.worker for kind, r in results if kind == "short"} == {0, 1}
