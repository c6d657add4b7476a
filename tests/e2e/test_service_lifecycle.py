"""The composition root: a part failing to start unwinds what was started; stop() hands calls over."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from pathlib import Path

import pytest

from ivr.fakepbx.audiosocket import until_the_bot_ends
from ivr.service import IvrService
from ivr.storage.store import CallStore
from ivr.wiring import load_configured_engine
from tests.e2e.test_drain_and_health import PatientBots
from tests.support.calls import FixedBots, pbx_for, service_config


def open_fds() -> set[str]:
    """What this process has open now (sockets, pipes, files), by descriptor target."""
    found = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # the descriptor listdir itself used, closed since
            found.add(f"{fd}:{os.readlink(f'/proc/self/fd/{fd}')}")
    return found


async def test_a_part_failing_to_start_stops_the_parts_started_before_it(
    tmp_path: Path, prompt_cache: Path
) -> None:
    taken = socket.create_server(("127.0.0.1", 0))  # the AudioSocket port is in use: that part fails
    try:
        config = service_config(tmp_path, prompt_cache, listen={"audiosocket_port": taken.getsockname()[1]})
        await asyncio.to_thread(load_configured_engine, config)  # the model stays cached for the process
        before = open_fds()
        service = IvrService(config)
        with pytest.raises(OSError):
            await service.start()

        # Started before the failure: store, prompt workers, FastAGI listener. All stopped again.
        assert not service.agi.listening  # its socket is among the descriptors checked below
        assert all(worker.pid is None for worker in service.tts.pool.workers)
        assert asyncio.all_tasks() == {asyncio.current_task()}, "no task outlives a failed start"
        leaked = open_fds() - before
        assert not leaked, f"descriptors left open: {sorted(leaked)}"
        await service.stop()  # harmless after a failed start: nothing is left to stop
    finally:
        taken.close()

    # The SQLite claim was released too: the next start of the same worker succeeds.
    again = IvrService(service_config(tmp_path, prompt_cache))
    await again.start()
    await again.stop()
    assert asyncio.all_tasks() == {asyncio.current_task()}


async def test_stop_without_a_drain_hands_a_running_call_to_the_fallback_queue(
    tmp_path: Path, prompt_cache: Path
) -> None:
    bots = PatientBots()
    config = service_config(tmp_path, prompt_cache)
    service = IvrService(config, bot_source=FixedBots.of(bots))
    await service.start()
    try:
        call = asyncio.ensure_future(pbx_for(service).call([until_the_bot_ends()], speed=1.0, max_seconds=90))
        await bots.wait_made(1)
    finally:
        await asyncio.wait_for(service.stop(), 60)
    assert not service.sessions
    result = await asyncio.wait_for(call, 30)
    assert result.variables["IVR_ACTION"] == "transfer"
    assert result.variables["IVR_REASON"] == "worker-draining"
    assert result.next_step == "queue support-en"
    store = await CallStore.open(config.database_url(), journal=Path(config.paths.journal))
    try:
        assert (await store.get_call(result.call_uuid)).outcome == "transferred", "stored before the stop"
    finally:
        await store.close()
