"""Helpers of the hand-off end-to-end tests: a fake AMI with queue state and the real service on it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable

import pytest
from sqlalchemy import select

from ivr.fakepbx.ami import FakeAmiServer
from ivr.fakepbx.ami_queue_calls import QueueCall
from ivr.service import IvrService
from ivr.storage.queue_models import CallbackRequest
from ivr.storage.queue_ops import CALLBACK_FIELDS

AMI_SECRET = "e2e-s3cret"
QUEUE = "support-en"  # where keypad 0 and VIP callers go: skill support, English
ALICE = "PJSIP/1001"  # Alice Chen's interface in config/queues.yaml


def fake_ami() -> FakeAmiServer:
    """A fake Asterisk whose support-en queue has Alice logged in and ready, nobody waiting."""
    return FakeAmiServer({"ivr": AMI_SECRET}, queues={QUEUE: {ALICE: {"MemberName": "Alice Chen"}}})


def set_busy(ami: FakeAmiServer, busy: bool = True) -> None:
    """Alice is on another call (in use) or free, as QueueStatus will report her."""
    ami.queues[QUEUE][ALICE].update(InCall=str(int(busy)), Status="2" if busy else "1")


async def callers_waiting(ami: FakeAmiServer, priorities: list[int]) -> list[QueueCall]:
    """Put callers (other people, not ours) in support-en, in this order; returns them."""
    calls = [
        QueueCall(uniqueid=f"1700000000.{900 + i}", queue=QUEUE, number=f"555090{i}", priority=priority)
        for i, priority in enumerate(priorities)
    ]
    for call in calls:
        await ami.queue_join(call)
    return calls


@contextlib.asynccontextmanager
async def handoff_service(
    running_service: Callable,
    monkeypatch: pytest.MonkeyPatch,
    ami: FakeAmiServer,
    queues: str = "config/queues.yaml",
) -> AsyncIterator[IvrService]:
    """The real service with the shipped flows and queues, connected to `ami` and resynced from it."""
    monkeypatch.setenv("IVR_AMI_SECRET", AMI_SECRET)
    await ami.start()
    try:
        async with running_service(
            paths={"flows": "dialplan", "queues": queues},
            ami={"enabled": True, "host": "127.0.0.1", "port": ami.port, "auth": "md5"},
        ) as service:
            monitor = service.acd.monitor
            assert monitor is not None, "AMI is configured: the queue monitor must run"
            await monitor.wait_for(lambda: monitor.resyncs >= 1, timeout=60)
            yield service
    finally:
        await ami.close()


async def callback_rows(service: IvrService) -> list[dict]:
    """Every stored callback request, oldest first, as column dicts."""
    async with service.store.session_factory() as session:
        rows = (await session.scalars(select(CallbackRequest).order_by(CallbackRequest.id))).all()
    return [{name: getattr(row, name) for name in CALLBACK_FIELDS} for row in rows]
