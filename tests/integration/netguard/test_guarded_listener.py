"""Guarded listeners: the allow-list, the total and per-address caps, and the descriptor budget."""

from __future__ import annotations

import asyncio
import contextlib
import socket

from ivr.netguard import FdBudget, GuardedListener, Limits, parse_allow, stream_factory


async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer one line with the same line, then keep the connection until the peer closes."""
    writer.write(await reader.readline())
    await writer.drain()
    await reader.read()
    writer.close()


async def served(port: int, source: str = "127.0.0.1") -> tuple[bool, socket.socket]:
    """Whether a connection from `source` gets its line echoed (False: closed at once)."""
    loop = asyncio.get_running_loop()
    sock = socket.socket()
    sock.setblocking(False)
    sock.bind((source, 0))
    try:
        await loop.sock_connect(sock, ("127.0.0.1", port))
        await loop.sock_sendall(sock, b"ping\n")
        data = await asyncio.wait_for(loop.sock_recv(sock, 16), 5)
    except (ConnectionResetError, BrokenPipeError):  # closed at once, with a reset
        data = b""
    return data == b"ping\n", sock


@contextlib.asynccontextmanager
async def listener(limits: Limits, budget: FdBudget | None = None):
    """A started listener that echoes lines."""
    guarded = GuardedListener("test", stream_factory(echo), limits, budget or FdBudget())
    await guarded.start("127.0.0.1", 0)
    try:
        yield guarded
    finally:
        await guarded.close()


async def test_only_allowed_addresses_are_served():
    async with listener(Limits(10, 10, parse_allow(["127.0.0.1/32"]))) as guarded:
        ok, a = await served(guarded.port, "127.0.0.1")
        refused, b = await served(guarded.port, "127.0.0.2")
    a.close(), b.close()
    assert ok and not refused and guarded.refused["not in listen.allow"] == 1


async def test_caps_close_the_extra_connections_at_once_and_free_up_when_one_closes():
    budget = FdBudget()
    async with listener(Limits(max_connections=3, max_per_peer=2), budget) as guarded:
        results = [await served(guarded.port, "127.0.0.2") for _ in range(3)]
        assert [ok for ok, _ in results] == [True, True, False]  # per address
        other = await served(guarded.port, "127.0.0.3")
        assert other[0] and guarded.active == 3
        assert not (await served(guarded.port, "127.0.0.4"))[0]  # in all
        freed = asyncio.Event()
        budget.wake_on_close(freed.set)
        results[0][1].close()
        await asyncio.wait_for(freed.wait(), 5)  # the server saw the close
        assert guarded.active == 2
        again = await served(guarded.port, "127.0.0.2")
        assert again[0]
        for _, sock in [*results, other, again]:
            sock.close()


async def test_out_of_descriptors_pauses_accepting_and_resumes_when_room_comes_back():
    budget = FdBudget(limit=10**6)
    async with listener(Limits(100, 100, reserve_fds=16), budget) as guarded:
        budget.limit = 0  # no descriptor to spare: the listener must pause, not spin
        connect = asyncio.ensure_future(served(guarded.port))
        done, _ = await asyncio.wait({connect}, timeout=0.5)
        assert not done and guarded.paused >= 1  # waits in the backlog, nothing spins
        budget.limit = 10**6
        ok, sock = await asyncio.wait_for(connect, 5)  # the backoff retries and serves it
        sock.close()
    assert ok
