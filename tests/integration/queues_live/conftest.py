"""Fixtures: a FakeAmiServer, a real AmiClient, a SQLite CallStore and a QueueMonitor wired together."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ivr.ami.client import AmiClient
from ivr.fakepbx.ami import FakeAmiServer
from ivr.storage.store import CallStore
from queues.ami_bridge import QueueMonitor
from queues.callbacks import CallbackPolicy, CallbackScheduler
from queues.live import LiveQueues
from queues.transfer_timings import TransferTimings

CAPTURES = Path(__file__).parents[2] / "fixtures" / "asterisk-captures"
T0 = datetime(2026, 11, 21, 14, 0, tzinfo=UTC)


@dataclass
class Rig:
    """Everything a queue test talks to."""

    server: FakeAmiServer
    client: AmiClient
    store: CallStore
    live: LiveQueues
    monitor: QueueMonitor
    scheduler: CallbackScheduler


@pytest.fixture
async def ami_server() -> AsyncIterator[FakeAmiServer]:
    server = FakeAmiServer({"ivr": "s3cret"})
    await server.start()
    yield server
    await server.close()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[CallStore]:
    store = await CallStore.open(f"sqlite:///{tmp_path / 'queues.db'}", retry_base=0.01)
    yield store
    await store.close()


async def start_rig(
    server: FakeAmiServer, store: CallStore, policy: CallbackPolicy
) -> tuple[Rig, asyncio.Task]:
    """Start a client and monitor against `server`; returns once the first QueueStatus resync is done."""
    client = AmiClient("127.0.0.1", server.port, "ivr", "s3cret", action_timeout=10.0, backoff_initial=0.02,
                       backoff_max=0.2)  # fmt: skip
    live = LiveQueues()
    scheduler = CallbackScheduler(client, store, live, policy)
    monitor = QueueMonitor(client, store, live, TransferTimings(), scheduler)
    monitor.start()
    task = asyncio.create_task(client.run())
    await monitor.wait_for(lambda: monitor.resyncs >= 1)
    return Rig(server, client, store, live, monitor, scheduler), task


@pytest.fixture
async def rig(ami_server: FakeAmiServer, store: CallStore) -> AsyncIterator[Rig]:
    policy = CallbackPolicy(max_attempts=2, retry_backoff=30, caller_id='"Hotline" <5550100>')
    rig, task = await start_rig(ami_server, store, policy)
    yield rig
    rig.monitor.stop()
    await rig.client.close()
    await asyncio.wait_for(task, 5)


async def call_with_transfer(store: CallStore, agi_uniqueid: str, queue: str) -> str:
    """A stored call whose conversation already recorded its hand-off to `queue`; returns its call_uuid."""
    call_uuid = str(uuid.uuid4())
    handle = await store.start_call(
        call_uuid=call_uuid, agi_uniqueid=agi_uniqueid, channel="Local/100@hotline-00000000;2",
        caller_number="5551234", caller_name="Test Caller", language="en", started_at=T0,
    )  # fmt: skip
    await store.record_transfer(
        handle, reason="caller-request", queue=queue, priority=0, summary="wants a person", context={},
        created_at=T0,
    )  # fmt: skip
    await store.wait_flushed()
    return call_uuid
