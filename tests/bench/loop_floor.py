"""What one call's audio costs at the least on this machine: a bare asyncio stream, 50 frames/s each way.

`bench_calls.py` prints it next to the CPU per call without ASR, so that figure can be read on any
machine: the service cannot cost less per lone call than this loop does (it is event-loop wake-ups and
socket calls, no audio work). The peer runs in a child process, so this process's CPU time holds the
loop side only.
"""

from __future__ import annotations

import asyncio
import socket
import sys
import time

from tests.bench.callers import cpu_seconds

FRAME = bytes(323)  # one AudioSocket audio message: 3-byte header + 20 ms of 8 kHz slin
PEER = """
import socket, sys, threading, time
sock = socket.socket(fileno=int(sys.argv[1]))
def drain():
    try:
        while sock.recv(65536):
            pass
    except OSError:
        pass
threading.Thread(target=drain, daemon=True).start()
start, n, seconds = time.monotonic(), 0, float(sys.argv[2])
try:
    while time.monotonic() - start < seconds:
        n += 1
        time.sleep(max(0.0, start + n * 0.02 - time.monotonic()))
        sock.send(bytes(323))
except OSError:
    pass
"""


async def stream_floor(seconds: float = 5.0) -> float:
    """CPU share of one core that reading and pacing out 50 frames/s on an asyncio stream costs here."""
    ours, theirs = socket.socketpair()
    peer = await asyncio.create_subprocess_exec(
        sys.executable, "-c", PEER, str(theirs.fileno()), str(seconds + 1), pass_fds=(theirs.fileno(),)
    )
    theirs.close()
    reader, writer = await asyncio.open_connection(sock=ours)

    async def receive() -> None:
        while await reader.read(4096):
            pass

    async with asyncio.TaskGroup() as tasks:
        receiving = tasks.create_task(receive())
        cpu0, start, n = cpu_seconds(), time.monotonic(), 0
        while time.monotonic() - start < seconds:
            n += 1
            await asyncio.sleep(max(0.0, start + n * 0.02 - time.monotonic()))  # real-time pacing
            writer.write(FRAME)
            await writer.drain()
        share = (cpu_seconds() - cpu0) / (time.monotonic() - start)
        receiving.cancel()
    writer.close()
    await peer.wait()
    return share
