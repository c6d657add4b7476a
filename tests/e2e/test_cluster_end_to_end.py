"""Three `ivr serve` workers on one real PostgreSQL, the fake PBX running the generated rotation, and the
fake Asterisk manager: calls spread over all three; `kill -9` of the worker holding the cluster duties in
the middle of calls sends its caller to the fallback queue and new calls to the others; the callback it
held is taken over and dialled exactly once; an agent whose browser is on one worker gets the screen-pop
of a call another worker handled; the supervisor view of one worker shows the calls of all; `ivr reload`
reaches all three."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from ivr.cli import main as ivr_main
from ivr.fakepbx.ami_queue_calls import QueueCall
from ivr.fakepbx.audiosocket import HangUp, Silence, SilenceUntil
from ivr.fakepbx.pbx import FakePbx
from ivr.storage.db import upgrade_database
from tests.e2e.cluster_support import (
    PASSWORD,
    REPO,
    Browser,
    Worker,
    make_workers,
    readyz,
    worker_env,
)
from tests.e2e.handoff_support import AMI_SECRET, QUEUE, callers_waiting, fake_ami, set_busy
from tests.support.calls import callback_booking

pytestmark = pytest.mark.postgres

ALICE = "PJSIP/1001"
CALLER = "5551234"
TAKES_DUTIES = "holds the cluster duties"


async def add_user(config: Path, monkeypatch: pytest.MonkeyPatch, name: str, *role: str) -> None:
    """`ivr users add` against the cluster's database."""
    monkeypatch.setenv("IVR_NEW_PASSWORD", PASSWORD)
    assert await asyncio.to_thread(ivr_main, ["users", "-c", str(config), "add", name, *role]) == 0


async def first_to_log(workers: list[Worker], marker: str) -> Worker:
    """The worker that logs `marker` first (from now on)."""
    waits = {asyncio.ensure_future(w.wait_log(marker)): w for w in workers}
    done, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    return waits[done.pop()]


async def test_three_workers_share_calls_duties_screen_pops_and_reload(
    tmp_path: Path, fresh_postgres_url: str, monkeypatch: pytest.MonkeyPatch
):
    ami = fake_ami()
    set_busy(ami)  # Alice is on a call, one caller waits: a long wait, so the bot offers a callback
    ami.queue_stats[QUEUE] = {"talktime": 240}
    (ahead,) = await callers_waiting(ami, [0])
    await ami.start()
    env = worker_env(fresh_postgres_url, IVR_AMI_SECRET=AMI_SECRET)
    workers = make_workers(
        tmp_path, 3, env, ami={"enabled": True, "host": "127.0.0.1", "port": ami.port}, web={"enabled": True}
    )
    monkeypatch.setenv("IVR_DATABASE_URL", fresh_postgres_url)
    await asyncio.to_thread(upgrade_database, fresh_postgres_url)
    await add_user(workers[0].config, monkeypatch, "alice", "--role", "agent", "--agent-id", "alice")
    await add_user(workers[0].config, monkeypatch, "sue", "--role", "supervisor")
    pbx = FakePbx("127.0.0.1", 0, workers=[w.address for w in workers], fallback_queue="support-en")
    browsers: list[Browser] = []
    try:
        for w in workers:
            w.start()
        leader = await first_to_log(workers, TAKES_DUTIES)
        for w in workers:
            await w.wait_log("agent desktop on")
            await w.wait_log("AMI logged in")
        await ami.wait_until(lambda: len(ami.actions_named("QueueStatus")) >= 3, timeout=30)
        for w in workers:
            status, body = await readyz(w.desktop_port)
            assert status == 200, (w.name, body)
        a, b = [w for w in workers if w is not leader]  # calls on A, browsers on B, K(illed) = leader
        index = {w.name: i for i, w in enumerate(workers)}

        # `ivr reload` on any host reaches every worker through NOTIFY.
        done = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "ivr", "reload", "-c", str(workers[0].config)],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0 and "reload sent to every worker (3 running)" in done.stdout, done.stderr
        for w in workers:
            await w.wait_log("reload: queues reloaded")

        alice, sue = Browser(b.desktop_port), Browser(b.desktop_port)
        browsers += [alice, sue]
        await alice.login("alice")
        assert (await alice.open_socket())["agent_id"] == "alice"
        await sue.login("sue")
        await sue.open_socket()

        # A callback request, taken by the duty holder K (the rotation happened to pick it); not due yet.
        script = callback_booking()
        to_leader = FakePbx(*leader.address, fallback_queue="support-en")
        booked = await to_leader.call(script, caller_number=CALLER, max_seconds=60)
        assert booked.variables.get("IVR_REASON") == "callback", booked.variables
        assert ami.actions_named("Originate") == []

        # One long call on each worker; the supervisor view on B shows all three. The callers stay on the
        # line until the leader was killed, however long the steps before take on a busy machine.
        started = [asyncio.Event() for _ in workers]
        release = asyncio.Event()
        long_script = [SilenceUntil(lambda _caller: release.is_set()), HangUp()]
        long_calls = [
            asyncio.ensure_future(pbx.call(long_script, max_seconds=300, in_progress=e)) for e in started
        ]
        await asyncio.wait_for(asyncio.gather(*(e.wait() for e in started)), 60)
        async with asyncio.timeout(30):
            while True:
                live = (await sue.receive("supervisor"))["live"]
                if sorted(c["worker"] for c in live["in_bot"]) == ["w1", "w2", "w3"]:
                    break

        leader.proc.send_signal(signal.SIGKILL)
        successor = await first_to_log([a, b], TAKES_DUTIES)
        release.set()
        results = await asyncio.gather(*long_calls)
        assert sorted(r.worker for r in results) == [0, 1, 2], "the calls spread over all three workers"
        killed = next(r for r in results if r.worker == index[leader.name])
        assert killed.agi_status == "SUCCESS" and "IVR_ACTION" not in killed.variables
        assert killed.next_step == "queue support-en", "the dialplan sends the caller to a person"
        for r in results:
            if r is not killed:
                assert r.agi_status == "HANGUP" and r.next_step == "hangup"

        # Only which worker answers matters here: each caller hangs up after a fixed half second.
        after = [await pbx.call([Silence(0.5), HangUp()], max_seconds=30) for _ in workers]
        assert {r.worker for r in after} == {index[a.name], index[b.name]}
        assert any(f"AGI connect to worker {index[leader.name]} failed" in n for r in after for n in r.notes)

        # A's call rings Alice: her browser on B pops it, with what A stored.
        on_a = next(r for r in results if r.worker == index[a.name])
        await ami.agent_called(QueueCall(uniqueid=on_a.uniqueid, queue=QUEUE, number=CALLER), ALICE)
        pop = await alice.receive("screenpop")
        assert pop["known"] is True and pop["call_uuid"] == on_a.call_uuid
        assert pop["transcript"][0]["text"].startswith("Thank you for calling")

        # The caller ahead is served and Alice frees up: the new duty holder dials the callback, once.
        await ami.agent_connect(ahead, ALICE)
        await ami.agent_complete(ahead, ALICE, talk=30)
        await successor.wait_log("connected after 1 attempts", timeout=60)
        (originate,) = ami.actions_named("Originate")
        assert originate.get("Exten") == CALLER
        assert [w for w in (a, b) if w.log_has(TAKES_DUTIES)] == [successor], "one duty holder at a time"
    finally:
        for browser in browsers:
            await browser.close()
        for w in workers:
            w.stop()
        await ami.close()
