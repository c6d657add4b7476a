"""AudioSocketServer over real sockets: pairing by UUID, garbage isolation, DTMF, drop-oldest, closes."""

import asyncio
import logging
import re
import uuid
from pathlib import Path

import pytest

from ivr.audiosocket.codec import Audio, Dtmf, UuidMessage, encode
from ivr.fakepbx.audiosocket import AudioSocketCaller, Digit, HangUp, Silence, Speech
from tests.integration.audiosocket.conftest import WAIT


def _numbered_frames(count: int) -> bytes:
    """`count` 20 ms frames whose samples all equal the frame's index."""
    return b"".join(i.to_bytes(2, "little", signed=True) * 160 for i in range(count))


def _index(msg: Audio) -> int:
    return int.from_bytes(msg.pcm[:2], "little", signed=True)


async def _drain(conn) -> list:
    out = []
    while (msg := await asyncio.wait_for(conn.receive(), WAIT)) is not None:
        out.append(msg)
    return out


async def test_real_capture_bytes_are_paired_and_early_audio_kept(harness, captures_dir: Path) -> None:
    data = (captures_dir / "dtmf" / "audiosocket-first-4k.bin").read_bytes()
    call_uuid = uuid.UUID(bytes=data[3:19])
    harness.expected.add(call_uuid)
    _reader, writer = await asyncio.open_connection("127.0.0.1", harness.port)
    writer.write(data)
    conn = await harness.next_connection()
    assert conn.uuid == call_uuid and conn.peer[0] == "127.0.0.1"
    frames = [await asyncio.wait_for(conn.receive(), WAIT) for _ in range(12)]
    assert all(isinstance(f, Audio) and len(f.pcm) == 320 and f.rate == 8000 for f in frames)
    assert conn.inbound_rate == 8000
    writer.close()
    assert await asyncio.wait_for(conn.receive(), WAIT) is None
    assert conn.close_reason == "peer-closed"


async def test_unknown_uuid_is_refused_and_logged(harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="ivr.audiosocket")
    stranger = uuid.uuid4()
    caller = AudioSocketCaller("127.0.0.1", harness.port, stranger)
    await caller.connect()
    result = await asyncio.wait_for(caller.stream([Silence(1.0)], speed=0), WAIT)
    assert result == 0 and caller.end_reason == "server-closed"
    assert any("unknown AudioSocket UUID" in r.message and str(stranger) in r.message for r in caplog.records)
    assert harness.accepted.empty()


async def test_garbage_sender_is_dropped_while_another_call_keeps_streaming(harness, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="ivr.audiosocket")
    good = AudioSocketCaller("127.0.0.1", harness.port, harness.expect())
    await good.connect()
    good_task = asyncio.create_task(good.stream([], speed=4.0, max_seconds=WAIT))
    good_conn = await harness.next_connection()
    assert isinstance(await asyncio.wait_for(good_conn.receive(), WAIT), Audio)

    # One garbage stream after a valid UUID, one that never sends a UUID at all.
    bad_reader, bad_writer = await asyncio.open_connection("127.0.0.1", harness.port)
    bad_writer.write(encode(UuidMessage(harness.expect())))
    bad_conn = await harness.next_connection()
    bad_writer.write(b"\x42\x00\x01x")
    await asyncio.wait_for(bad_conn.closed.wait(), WAIT)
    assert bad_conn.close_reason is not None and bad_conn.close_reason.startswith("protocol-error")
    assert await asyncio.wait_for(bad_reader.read(), WAIT) == b""
    http_reader, http_writer = await asyncio.open_connection("127.0.0.1", harness.port)
    http_writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert await asyncio.wait_for(http_reader.read(), WAIT) == b""

    for _ in range(10):
        assert isinstance(await asyncio.wait_for(good_conn.receive(), WAIT), Audio)
    assert not good_conn.closed.is_set()
    await good_conn.hangup()
    assert await asyncio.wait_for(good_task, WAIT) == 0
    assert any("protocol error before UUID" in r.message for r in caplog.records)
    for writer in (bad_writer, http_writer):
        writer.close()


async def test_dtmf_arrives_as_dtmf_in_timeline_order(harness) -> None:
    caller = AudioSocketCaller("127.0.0.1", harness.port, harness.expect())
    script = [Silence(0.06), Digit("0"), Silence(0.04), Digit("*"), Digit("#"), HangUp()]
    caller_task = asyncio.create_task(caller.stream(script, speed=0))
    conn = await harness.next_connection()
    received = await _drain(conn)
    assert [m.digit if isinstance(m, Dtmf) else "a" for m in received] == list("aaa0aa*#")
    assert await asyncio.wait_for(caller_task, WAIT) == -1
    assert conn.close_reason == "peer-closed"


async def test_full_inbound_queue_drops_oldest_audio_but_never_dtmf(harness) -> None:
    caller = AudioSocketCaller("127.0.0.1", harness.port, harness.expect())
    frames = _numbered_frames(60)
    script = [Speech(frames[:320]), Digit("5"), Speech(frames[320:]), HangUp()]
    caller_task = asyncio.create_task(caller.stream(script, speed=0))
    conn = await harness.next_connection()
    # Nobody reads until the caller is gone: 61 messages into a 50-slot queue.
    await asyncio.wait_for(conn.closed.wait(), WAIT)
    assert conn.dropped_frames == 11
    received = await _drain(conn)
    assert received[0] == Dtmf("5")
    assert [_index(m) for m in received[1:]] == list(range(11, 60))
    assert conn.close_reason == "peer-closed"
    assert await asyncio.wait_for(caller_task, WAIT) == -1


async def test_caller_hangup_ends_receive_with_peer_closed(harness) -> None:
    caller = AudioSocketCaller("127.0.0.1", harness.port, harness.expect())
    caller_task = asyncio.create_task(caller.stream([Speech(_numbered_frames(3)), HangUp()], speed=0))
    conn = await harness.next_connection()
    received = await _drain(conn)
    assert [_index(m) for m in received] == [0, 1, 2]
    assert await asyncio.wait_for(conn.receive(), WAIT) is None
    assert conn.close_reason == "peer-closed"
    assert await asyncio.wait_for(caller_task, WAIT) == -1 and caller.end_reason == "caller-hangup"


async def test_silent_connection_is_closed_after_uuid_timeout(make_harness, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="ivr.audiosocket")
    harness = await make_harness(uuid_timeout=0.2)
    reader, writer = await asyncio.open_connection("127.0.0.1", harness.port)
    assert await asyncio.wait_for(reader.read(), WAIT) == b""
    assert any(re.search(r"no UUID within 0\.2 s", r.message) for r in caplog.records)
    assert harness.accepted.empty()
    writer.close()


async def test_server_close_ends_open_streams_and_keeps_no_tasks(make_harness) -> None:
    harness = await make_harness()
    caller = AudioSocketCaller("127.0.0.1", harness.port, harness.expect())
    caller_task = asyncio.create_task(caller.stream([], speed=4.0, max_seconds=WAIT))
    conn = await harness.next_connection()
    assert harness.server.connections == {conn}
    await harness.server.close()
    assert conn.close_reason == "local-hangup"
    assert await asyncio.wait_for(caller_task, WAIT) == 0
    assert harness.server.connections == frozenset()
