"""Property tests: whatever bytes arrive, the decoder yields messages or raises AgiProtocolError."""

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivr.agi import AgiDecoder, AgiProtocolError, encode_command, split_command
from ivr.fakepbx.agi import replay_capture

CAPTURED = b"".join(
    data
    for direction, data in replay_capture(
        Path(__file__).parents[2] / "fixtures" / "asterisk-captures" / "caller-hangup" / "fastagi.txt"
    )
    if direction == "in"
)


def _feed_all(chunks: list[bytes]) -> None:
    decoder = AgiDecoder()
    try:
        for chunk in chunks:
            for msg in decoder.feed(chunk):
                assert msg is not None
    except AgiProtocolError:
        pass


@given(st.lists(st.binary(max_size=300), max_size=20))
def test_random_bytes_only_yield_messages_or_protocol_errors(chunks: list[bytes]) -> None:
    _feed_all(chunks)


@st.composite
def _mutated_capture(draw: st.DrawFn) -> bytes:
    data = bytearray(CAPTURED)
    for _ in range(draw(st.integers(1, 8))):
        pos = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["flip", "insert", "delete"]))
        if action == "flip":
            data[pos] = draw(st.integers(0, 255))
        elif action == "insert":
            data[pos:pos] = draw(st.sampled_from([b"\n", b"520-x\n", b"HANGUP\n", b"(", b")", b"-", b"\xff"]))
        else:
            del data[pos]
    return bytes(data)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(_mutated_capture(), st.integers(1, 64))
def test_mutated_captures_only_yield_messages_or_protocol_errors(data: bytes, chunk: int) -> None:
    _feed_all([data[i : i + chunk] for i in range(0, len(data), chunk)])


@given(
    st.lists(
        st.text(
            alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x00"), max_size=20
        ),
        min_size=1,
    )
)
def test_encode_then_asterisk_split_round_trips(words: list[str]) -> None:
    line = encode_command(*words)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert split_command(line[:-1].decode()) == words
