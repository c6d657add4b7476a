"""AudioSocket codec: real Asterisk captures byte for byte, every protocol error, garbage input."""

import re
import struct
import uuid
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr.audiosocket.codec import (
    KIND_TO_RATE,
    Audio,
    AudioSocketDecoder,
    AudioSocketProtocolError,
    Dtmf,
    ErrorMessage,
    Hangup,
    Kind,
    UuidMessage,
    encode,
)
from ivr.errors import LocalProtocolError, RemoteProtocolError

# abandon/audiosocket-first-4k.bin is empty in the capture set, so only these three carry bytes.
CAPTURED_CALLS = ["transfer-answered", "dtmf", "caller-hangup"]


def _capture(captures_dir: Path, call: str) -> bytes:
    return (captures_dir / call / "audiosocket-first-4k.bin").read_bytes()


def _agi_uuid(captures_dir: Path, call: str) -> uuid.UUID:
    text = (captures_dir / call / "fastagi.txt").read_text()
    match = re.search(r"EXEC AudioSocket ([0-9a-f-]{36}),", text)
    assert match, "fastagi.txt has no EXEC AudioSocket line"
    return uuid.UUID(match.group(1))


def _complete_prefix_len(data: bytes) -> int:
    """Length of the whole messages at the start of a capture (it is cut at 4096 bytes)."""
    pos = 0
    while pos + 3 <= len(data):
        _, length = struct.unpack_from("!BH", data, pos)
        if pos + 3 + length > len(data):
            break
        pos += 3 + length
    return pos


@pytest.mark.parametrize("call", CAPTURED_CALLS)
def test_capture_decodes_whole_to_uuid_then_8k_frames(captures_dir: Path, call: str) -> None:
    data = _capture(captures_dir, call)
    decoder = AudioSocketDecoder()
    messages = decoder.feed(data)
    assert messages[0] == UuidMessage(_agi_uuid(captures_dir, call))
    frames = messages[1:]
    assert len(frames) == (len(data) - 19) // 323
    assert all(isinstance(m, Audio) and len(m.pcm) == 320 and m.rate == 8000 for m in frames)
    assert decoder.buffered == len(data) - _complete_prefix_len(data)


@pytest.mark.parametrize("call", CAPTURED_CALLS)
def test_capture_one_byte_at_a_time_equals_whole(captures_dir: Path, call: str) -> None:
    data = _capture(captures_dir, call)
    decoder = AudioSocketDecoder()
    messages = [m for i in range(len(data)) for m in decoder.feed(data[i : i + 1])]
    assert messages == AudioSocketDecoder().feed(data)


@pytest.mark.parametrize("call", CAPTURED_CALLS)
def test_encode_of_decoded_capture_is_byte_exact(captures_dir: Path, call: str) -> None:
    data = _capture(captures_dir, call)
    messages = AudioSocketDecoder().feed(data)
    assert b"".join(encode(m) for m in messages) == data[: _complete_prefix_len(data)]


def test_captured_dtmf_bytes_decode_to_digits() -> None:
    # Exactly what dtmf/audiosocket-frames.txt shows: kind 0x03, len 1, payloads 30, 2a, 23.
    wire = bytes.fromhex("030001300300012a03000123")
    assert AudioSocketDecoder().feed(wire) == [Dtmf("0"), Dtmf("*"), Dtmf("#")]


def test_hangup_length_is_ignored_and_header_alone_is_the_message() -> None:
    decoder = AudioSocketDecoder()
    assert decoder.feed(bytes.fromhex("000000")) == [Hangup()]
    assert decoder.feed(bytes.fromhex("0000ff")) == [Hangup()]
    assert encode(Hangup()) == b"\x00\x00\x00"


@pytest.mark.parametrize(("kind", "rate"), sorted(KIND_TO_RATE.items()))
def test_every_slin_kind_maps_to_its_rate_both_ways(kind: Kind, rate: int) -> None:
    wire = encode(Audio(b"\x01\x02" * 4, rate))
    assert wire[0] == kind
    assert AudioSocketDecoder().feed(wire) == [Audio(b"\x01\x02" * 4, rate)]


def test_error_message_round_trips() -> None:
    wire = encode(ErrorMessage(b"\x02"))
    assert wire == b"\xff\x00\x01\x02"
    assert AudioSocketDecoder().feed(wire) == [ErrorMessage(b"\x02")]


@pytest.mark.parametrize(
    ("wire", "fragment"),
    [
        (b"\x42\x00\x01x", "unknown kind"),
        (b"\x10\x00\x00", "zero-length"),
        (b"\x03\x00\x00", "zero-length"),
        (b"\x10\x01\x41", "odd audio length"),
        (b"\x10\x20\x02", "exceeds"),
        (b"\x01\x00\x0f" + bytes(15), "16 bytes"),
        (b"\x03\x00\x02ab", "1 byte"),
        (b"\x03\x00\x01x", "invalid DTMF"),
    ],
)
def test_protocol_errors_are_remote_and_sticky(wire: bytes, fragment: str) -> None:
    decoder = AudioSocketDecoder()
    with pytest.raises(AudioSocketProtocolError, match=fragment):
        decoder.feed(wire)
    assert decoder.failed and decoder.buffered == 0
    with pytest.raises(AudioSocketProtocolError):
        decoder.feed(encode(Hangup()))
    assert issubclass(AudioSocketProtocolError, RemoteProtocolError)


def test_oversized_length_is_rejected_from_the_header_alone() -> None:
    # The cap must hold before the payload arrives, or a peer could make us buffer 64 KiB per socket.
    decoder = AudioSocketDecoder(max_payload=640)
    with pytest.raises(AudioSocketProtocolError):
        decoder.feed(b"\x10\x02\x82")


def test_messages_after_valid_ones_in_the_same_chunk_are_returned_in_order() -> None:
    uid = uuid.uuid4()
    wire = encode(UuidMessage(uid)) + encode(Audio(bytes(320), 8000)) + encode(Dtmf("5"))
    assert AudioSocketDecoder().feed(wire) == [UuidMessage(uid), Audio(bytes(320), 8000), Dtmf("5")]


@pytest.mark.parametrize(
    "msg",
    [Audio(b"", 8000), Audio(b"\x00", 8000), Audio(b"\x00\x00", 11025), Dtmf("x"), Dtmf("12"), "nope"],
)
def test_encode_refuses_what_the_protocol_cannot_carry(msg: object) -> None:
    with pytest.raises(LocalProtocolError):
        encode(msg)  # type: ignore[arg-type]


_messages = st.one_of(
    st.builds(Hangup),
    st.builds(UuidMessage, st.uuids()),
    st.builds(Dtmf, st.sampled_from("0123456789*#ABCD")),
    st.builds(
        Audio,
        st.binary(min_size=1, max_size=400).map(lambda b: b[: len(b) - len(b) % 2] or b"\0\0"),
        st.sampled_from(sorted(KIND_TO_RATE.values())),
    ),
    st.builds(ErrorMessage, st.binary(min_size=1, max_size=8)),
)


@given(st.lists(_messages, max_size=20), st.data())
def test_any_valid_stream_decodes_identically_under_any_chunking(messages: list, data: st.DataObject) -> None:
    wire = b"".join(encode(m) for m in messages)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(wire)), max_size=10)))
    decoder = AudioSocketDecoder()
    decoded = []
    for start, end in zip([0, *cuts], [*cuts, len(wire)], strict=True):
        decoded += decoder.feed(wire[start:end])
    assert decoded == messages
    assert decoder.buffered == 0


@settings(max_examples=300)
@given(st.lists(st.binary(max_size=600), max_size=8), st.integers(1, 8192))
def test_garbage_only_ever_raises_audiosocket_protocol_error(chunks: list[bytes], cap: int) -> None:
    decoder = AudioSocketDecoder(max_payload=cap)
    for chunk in chunks:
        try:
            decoder.feed(chunk)
        except AudioSocketProtocolError:
            assert decoder.failed
            return
        # Whatever is held back is at most one header and one capped payload.
        assert decoder.buffered <= 3 + cap
