"""The fake Asterisk itself: speed scaling, the max_seconds limit, and Asterisk's reaction to bad kinds."""

import asyncio
import uuid

from ivr.audiosocket.codec import Audio, Dtmf, encode
from ivr.fakepbx.audiosocket import AudioSocketCaller, HangUp, Silence
from tests.integration.audiosocket.conftest import WAIT


async def _drain(conn) -> list:
    out = []
    while (msg := await asyncio.wait_for(conn.receive(), WAIT)) is not None:
        out.append(msg)
    return out


async def test_speed_four_plays_a_second_of_frames_in_a_quarter_second(harness) -> None:
    caller = AudioSocketCaller("127.0.0.1", harness.port, harness.expect())
    caller_task = asyncio.create_task(caller.stream([Silence(1.0), HangUp()], speed=4.0))
    conn = await harness.next_connection()
    received = await _drain(conn)
    assert await asyncio.wait_for(caller_task, WAIT) == -1
    assert len(received) == 50 and all(isinstance(m, Audio) and m.pcm == bytes(320) for m in received)
    # On the caller's own clock: never faster than 4x (it may catch up 3 frames of 5 ms); and unless a busy
    # machine made it fall so far behind that it restarted its schedule, well faster than real time.
    played = caller.item_times[1] - caller.item_times[0]
    assert played >= (50 - 3) * 0.005
    if caller.reanchors == 0:
        assert played < 0.5


async def test_max_seconds_ends_the_call_as_a_caller_hangup(harness) -> None:
    caller = AudioSocketCaller("127.0.0.1", harness.port, harness.expect())
    caller_task = asyncio.create_task(caller.stream([], max_seconds=0.3))
    conn = await harness.next_connection()
    received = await _drain(conn)
    assert await asyncio.wait_for(caller_task, WAIT) == -1 and caller.end_reason == "max-seconds"
    # The keep-alive tail ran in real time: never faster (0.3 s is 15 frames; catching up only sends
    # late frames), and unless a busy machine made it restart its schedule, not much slower.
    assert len(received) <= 16
    if caller.reanchors == 0:
        assert len(received) >= 12
    assert conn.close_reason == "peer-closed"


async def test_server_sending_dtmf_is_an_error_like_on_asterisk() -> None:
    uuid_seen: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    async def rogue(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        uuid_seen.set_result(await reader.readexactly(19))
        writer.write(encode(Dtmf("1")))
        await writer.drain()
        await reader.read()
        writer.close()

    server = await asyncio.start_server(rogue, "127.0.0.1", 0)
    try:
        port = server.sockets[0].getsockname()[1]
        caller = AudioSocketCaller("127.0.0.1", port, uuid.uuid4())
        result = await asyncio.wait_for(caller.stream([], max_seconds=WAIT), WAIT)
        header = await asyncio.wait_for(uuid_seen, WAIT)
        assert header == b"\x01\x00\x10" + caller.uuid.bytes
        assert result == -1 and caller.end_reason == "server-sent-Dtmf"
    finally:
        server.close()
        await server.wait_closed()
