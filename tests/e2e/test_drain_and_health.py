"""Graceful drain and the health endpoints of one worker, with real calls through the fake PBX."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest

from ivr.bot import EchoBot
from ivr.fakepbx.ami import FakeAmiServer
from ivr.fakepbx.audiosocket import HangUp, SilenceUntil, until_the_bot_ends
from ivr.prompts import TRANSFER_NOTICE
from tests.support.calls import pbx_for

QUEUES = Path(__file__).resolve().parents[2] / "config" / "queues.yaml"


class PatientBots:
    """Makes bots that never give up on a silent caller (only a drain ends their calls), and counts them."""

    def __init__(self) -> None:
        self.made = 0
        self.changed = asyncio.Condition()
        self._notes: set[asyncio.Task] = set()

    def __call__(self) -> EchoBot:
        self.made += 1
        # The session builds the conversation right after the bot, without yielding: once a waiter
        # wakes up on this, the call is in its conversation.
        note = asyncio.get_running_loop().create_task(self._notify())
        self._notes.add(note)
        note.add_done_callback(self._notes.discard)
        return EchoBot(greeting="Thank you for calling. How can I help you?", fallback_queue="support-en",
                       max_no_input=1000)  # fmt: skip

    async def _notify(self) -> None:
        async with self.changed:
            self.changed.notify_all()

    async def wait_made(self, count: int) -> None:
        """Wait until `count` calls have reached their conversation."""
        async with self.changed:
            await asyncio.wait_for(self.changed.wait_for(lambda: self.made >= count), 30)


async def get(port: int, path: str) -> tuple[int, dict]:
    """GET a desktop path without any cookie; (status, JSON body)."""
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}{path}") as response:
        return response.status, await response.json()


async def test_healthz_and_readyz_answer_without_login_and_readyz_fails_while_draining(running_service):
    async with running_service(web={"enabled": True}) as service:
        port = service.web.port
        status, body = await get(port, "/healthz")
        assert (status, body) == (200, {"status": "ok"})
        status, body = await get(port, "/readyz")
        assert status == 200 and body["ready"] is True, body
        assert set(body["checks"]) == {"draining", "fastagi", "database", "ami", "asr", "tts"}
        assert "sqlite" not in str(body) and "/" not in body["checks"]["database"]["detail"]

        await service.drain(5)
        status, body = await get(port, "/readyz")
        assert status == 503 and body["ready"] is False
        assert body["checks"]["draining"] == {"ok": False, "detail": "draining: no new calls"}
        assert body["checks"]["fastagi"]["ok"] is False
        assert (await get(port, "/healthz"))[0] == 200, "a draining worker is still alive"


async def test_readyz_reports_ami_until_the_manager_login_succeeds(running_service, monkeypatch):
    ami = FakeAmiServer({"ivr": "s3cret"})
    await ami.start()
    port = ami.port
    await ami.close()  # nothing listens on this port now: AMI cannot log in
    monkeypatch.setenv("IVR_AMI_SECRET", "s3cret")
    async with running_service(web={"enabled": True}, ami={"enabled": True, "port": port}) as service:
        status, body = await get(service.web.port, "/readyz")
        assert status == 503 and body["checks"]["ami"] == {
            "ok": False,
            "detail": "not logged in to the Asterisk manager",
        }
        assert "s3cret" not in str(body)
        await ami.start(port=port)
        try:
            await service.ami.wait_connected(30)
            status, body = await get(service.web.port, "/readyz")
            assert status == 200 and body["checks"]["ami"]["ok"] is True
        finally:
            await ami.close()


async def test_drain_lets_a_call_finish_and_refuses_new_calls(running_service):
    bots = PatientBots()
    async with running_service(bot_factory=bots) as service:
        pbx = pbx_for(service)
        refused = asyncio.Event()  # the caller hangs up only once the drain refused a late call
        script = [SilenceUntil(lambda _caller: refused.is_set()), HangUp()]
        call = asyncio.ensure_future(pbx.call(script, speed=1.0, max_seconds=90))
        await bots.wait_made(1)
        drained = asyncio.ensure_future(service.drain(60))
        late = await pbx.call([HangUp()])  # the listener is closed: Asterisk's connect fails
        refused.set()
        assert late.agi_status == "FAILURE" and late.next_step == "queue support-en"
        result = await call
        await asyncio.wait_for(drained, 30)
        assert result.agi_status == "HANGUP", "the call went on to its natural end"
        record = await service.store.get_call(result.call_uuid)
        assert record.end_reason == "caller-hangup"


async def test_a_call_still_running_at_the_drain_deadline_hears_the_notice_and_goes_to_the_queue(
    running_service,
):
    bots = PatientBots()
    async with running_service(bot_factory=bots) as service:
        pbx = pbx_for(service)
        call = asyncio.ensure_future(pbx.call([until_the_bot_ends()], speed=1.0, max_seconds=90))
        await bots.wait_made(1)
        await asyncio.wait_for(service.drain(0.5), 60)
        assert not service.sessions
        result = await asyncio.wait_for(call, 30)
        await service.store.wait_flushed()
        record = await service.store.get_call(result.call_uuid)

    assert result.agi_status == "SUCCESS" and result.audiosocket_result == 0
    assert result.variables["IVR_ACTION"] == "transfer"
    assert result.variables["IVR_REASON"] == "worker-draining"
    assert result.next_step == "queue support-en"
    bot_turns = [t for t in record.turns if t.speaker == "bot"]
    assert bot_turns[-1].text == TRANSFER_NOTICE and not bot_turns[-1].interrupted
    assert record.transfers[-1].reason == "worker-draining" and record.outcome == "transferred"


async def test_at_the_drain_deadline_a_caller_goes_to_the_queue_of_their_language(running_service):
    bots = PatientBots()
    async with running_service(bot_factory=bots, paths={"queues": str(QUEUES)}) as service:
        pbx = pbx_for(service)
        call = asyncio.ensure_future(
            pbx.call([until_the_bot_ends()], language="zh", speed=1.0, max_seconds=90)
        )
        await bots.wait_made(1)
        await asyncio.wait_for(service.drain(0.5), 60)
        result = await asyncio.wait_for(call, 30)

    assert result.variables["IVR_REASON"] == "worker-draining"
    assert result.variables["IVR_QUEUE"] == "support-zh", "routed for the caller's language, not the fallback"
    assert result.next_step == "queue support-zh"


@pytest.fixture(autouse=True)
def _no_ami_secret(monkeypatch):
    """The tests decide about AMI themselves."""
    monkeypatch.delenv("IVR_AMI_SECRET", raising=False)
