"""FastAgiServer against bad peers (half headers, garbage, stalls); close() leaks no task."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from ivr.agi import AgiChannel, FastAgiServer
from ivr.fakepbx.agi import FakeAgiClient

SAFETY = 5.0
HALF_HEADER = b"agi_network: yes\nagi_network_script: hotline\nagi_chan"


@asynccontextmanager
async def running_server(**kw: Any) -> AsyncIterator[tuple[FastAgiServer, list[str]]]:
    """A server whose handler records the uniqueid of every call it serves and says goodbye."""
    served: list[str] = []

    async def handler(channel: AgiChannel) -> None:
        served.append(channel.env.uniqueid)
        await channel.verbose("served")

    server = FastAgiServer(handler, scripts={"hotline"}, **kw)
    await server.start("127.0.0.1", 0)
    try:
        yield server, served
    finally:
        await server.close()


async def _full_call(server: FastAgiServer, uniqueid: str) -> FakeAgiClient:
    client = FakeAgiClient({"uniqueid": uniqueid})
    await asyncio.wait_for(client.run("127.0.0.1", server.port), SAFETY)
    return client


async def test_disconnect_before_the_blank_line_is_closed_and_others_are_served() -> None:
    async with running_server() as (server, served):
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(HALF_HEADER)
        await writer.drain()
        good = await _full_call(server, "1.1")  # served while the half header is pending
        writer.write_eof()
        assert await asyncio.wait_for(reader.read(), SAFETY) == b""  # server closed it, sent nothing
        after = await _full_call(server, "1.2")  # and the loop still serves
        writer.close()
    assert served == ["1.1", "1.2"]
    assert good.commands == after.commands == ['VERBOSE "served" 1']


async def test_garbage_is_closed_without_a_reply() -> None:
    async with running_server() as (server, served):
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"GET / HTTP/1.1\r\nHost: ivr\r\n\r\n")
        assert await asyncio.wait_for(reader.read(), SAFETY) == b""
        writer.close()
        await _full_call(server, "2.1")
    assert served == ["2.1"]


async def test_oversized_header_line_is_closed() -> None:
    async with running_server() as (server, served):
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"agi_network: " + b"y" * 20000)
        assert await asyncio.wait_for(reader.read(), SAFETY) == b""
        writer.close()
    assert served == []


async def test_header_timeout_closes_a_stalled_peer_while_others_are_served() -> None:
    async with running_server(header_timeout=0.5) as (server, served):
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(HALF_HEADER)
        await writer.drain()
        await _full_call(server, "3.1")
        assert not reader.at_eof()  # the stalled peer is still open while the other call ran
        assert await asyncio.wait_for(reader.read(), SAFETY) == b""
        writer.close()
    assert served == ["3.1"]


async def test_close_cancels_handlers_and_header_reads_and_leaves_no_tasks() -> None:
    entered = asyncio.Event()
    cancelled: list[bool] = []

    async def handler(channel: AgiChannel) -> None:
        entered.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    server = FastAgiServer(handler, scripts=["hotline"])
    await server.start("127.0.0.1", 0)
    stalled_reader, stalled_writer = await asyncio.open_connection("127.0.0.1", server.port)
    client = FakeAgiClient()
    call = asyncio.create_task(client.run("127.0.0.1", server.port))
    await asyncio.wait_for(entered.wait(), SAFETY)
    assert server.connections == 2
    await server.close()
    await asyncio.wait_for(call, SAFETY)  # the fake Asterisk saw its socket closed
    assert await asyncio.wait_for(stalled_reader.read(), SAFETY) == b""
    stalled_writer.close()
    await stalled_writer.wait_closed()
    assert cancelled == [True]
    assert server.connections == 0
    assert asyncio.all_tasks() == {asyncio.current_task()}
