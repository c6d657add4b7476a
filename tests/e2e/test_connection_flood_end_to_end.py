"""Idle connections against a service limited to 1,024 open files, until it stops accepting for lack of
descriptors: a real call still gets its greeting, and the log stays small (issue 14, point 1)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Iterator
from pathlib import Path

from ivr.fakepbx.audiosocket import Digit, answered, until_the_bot_ends
from ivr.fakepbx.pbx import FakePbx
from tests.support.calls import service_config
from tests.support.serve_process import ServeProcess, write_config

NOFILE = 1024
IDLE_PER_PORT = 1000
MAX_LOG_BYTES = 1_000_000
AT_THE_LIMIT = "near the open-file limit"
FLOOD_BATCH, FLOOD_MAX, FLOOD_DEADLINE_S = 200, 6000, 90.0


def open_idle(source: str, port: int, count: int, into: list[socket.socket]) -> None:
    """Add to `into` `count` connections from `source` that never send a byte (connects may be pending)."""
    for _ in range(count):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        into.append(sock)
        sock.setblocking(False)
        sock.bind((source, 0))
        sock.connect_ex(("127.0.0.1", port))


@contextlib.contextmanager
def idle_connections(source: str, port: int, count: int = 0) -> Iterator[list[socket.socket]]:
    """`count` idle connections from `source` (more may be added to the list), all closed on exit."""
    sockets: list[socket.socket] = []
    try:
        open_idle(source, port, count, sockets)
        yield sockets
    finally:
        for sock in sockets:
            sock.close()


async def flood_until_the_limit(
    worker: ServeProcess, source: str, port: int, log_path: Path, held: list[socket.socket]
) -> None:
    """Keep opening idle connections until the service logs that it stopped accepting for descriptors.

    A fixed number is not enough on a loaded machine: the desktop closes idle connections after its
    keep-alive while the kernel is still retrying the rest of the flood, so it may never be full at once.
    """
    deadline = time.monotonic() + FLOOD_DEADLINE_S
    while AT_THE_LIMIT not in await asyncio.to_thread(log_path.read_text, errors="replace"):
        assert worker.proc.returncode is None, "the service exited during the flood"
        assert time.monotonic() < deadline, f"the service never reported {AT_THE_LIMIT!r}"
        if len(held) < FLOOD_MAX:
            open_idle(source, port, FLOOD_BATCH, held)
        await asyncio.sleep(0.2)  # a polling interval: the loop ends on the log line, not on time


async def test_idle_connection_flood_does_not_cost_a_real_call(tmp_path, prompt_cache):
    config = service_config(
        tmp_path,
        prompt_cache,
        # One rogue address may hold only a few FastAGI sessions; the desktop's caps are opened wide
        # so that only the descriptor budget stands between the flood and the open-file limit.
        listen={"max_per_peer": 100},
        web={"enabled": True, "max_connections": 100_000, "max_per_peer": 100_000},
    )
    log_path = tmp_path / "serve.log"
    worker = ServeProcess(write_config(config, tmp_path / "ivr.yaml"), log_path, nofile=NOFILE)
    await worker.start()
    try:
        with (
            idle_connections("127.0.0.3", worker.desktop_port) as desktop_flood,
            idle_connections("127.0.0.2", worker.agi_port, IDLE_PER_PORT),
        ):
            await flood_until_the_limit(worker, "127.0.0.3", worker.desktop_port, log_path, desktop_flood)
            pbx = FakePbx("127.0.0.1", worker.agi_port, fallback_queue=config.bot.fallback_queue)
            result = await pbx.call([answered(), Digit("0"), until_the_bot_ends()], max_seconds=60)
            alive = worker.proc.returncode is None
    finally:
        await worker.stop()

    fallback = config.bot.fallback_queue
    greeted = len(result.bot_audio) > 0 and result.variables.get("IVR_REASON") == "keypad-0"
    assert greeted or result.next_step == f"queue {fallback}", result
    assert greeted, "with a per-address cap the rogue address must not keep the real call out"
    assert alive
    log = log_path.read_text(errors="replace")
    assert log_path.stat().st_size < MAX_LOG_BYTES
    assert "Traceback" not in log and "out of system resource" not in log
    # Hundreds of refused connections, a handful of lines: the rest are counted, not written.
    assert log.count("closed at once") <= 20


async def silent_agi_session(port: int, n: int) -> bytes:
    """A FastAGI client that answers SET VARIABLE but never answers EXEC; returns once the server closes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    env = f"agi_network: yes\nagi_network_script: hotline\nagi_channel: PJSIP/x-{n}\nagi_uniqueid: 1.{n}\n\n"
    writer.write(env.encode())
    seen = b""
    try:
        while data := await reader.read(4096):
            seen += data
            if data.startswith(b"SET VARIABLE"):
                writer.write(b"200 result=1\n")
    finally:
        writer.close()
    return seen


async def test_fastagi_sessions_that_never_start_their_audio_are_ended(running_service):
    ended: list[str] = []
    async with running_service() as service:
        service.session_ended.append(lambda session: ended.append(session.end_reason))
        seen = await asyncio.wait_for(
            asyncio.gather(*(silent_agi_session(service.agi.port, n) for n in range(50))), 60
        )
        await asyncio.wait_for(service.idle.wait(), 60)
    assert all(b"EXEC AudioSocket" in s for s in seen)
    assert ended == ["audio-timeout"] * 50  # ended by the bot, not held until the call's time limit
