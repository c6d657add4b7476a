"""JSON-lines codec between the service and its TTS worker."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tts.errors import WorkerProtocolError
from tts.protocol import (
    Done,
    Failed,
    Hello,
    LineDecoder,
    ListVoices,
    Sleep,
    Synthesize,
    VoiceInfo,
    Voices,
    encode,
)

MESSAGES = [
    Hello(pid=42, ok=True),
    Hello(pid=43, ok=False, error="cannot start pyttsx3; install the Debian package espeak-ng"),
    Synthesize(id=1, text='안녕하세요 "quoted"\nline two', voice="ko", rate_wpm=150, path="/tmp/x/1.wav"),
    ListVoices(id=2),
    Sleep(id=3, seconds=0.5),
    Done(id=1, path="/tmp/x/1.wav"),
    Voices(
        id=2, voices=(VoiceInfo("gmw/en-us", "English (America)", ("en-us",)), VoiceInfo("ko", "Korean", ()))
    ),
    Failed(id=4, error="unknown espeak-ng voice 'zz'"),
]


def test_every_message_round_trips() -> None:
    wire = b"".join(encode(m) for m in MESSAGES)
    assert wire.count(b"\n") == len(MESSAGES)  # embedded newlines are escaped
    assert LineDecoder().feed(wire) == MESSAGES


def test_one_byte_at_a_time() -> None:
    wire = b"".join(encode(m) for m in MESSAGES)
    decoder = LineDecoder()
    out = []
    for i in range(len(wire)):
        out.extend(decoder.feed(wire[i : i + 1]))
    assert out == MESSAGES


def test_blank_lines_are_ignored() -> None:
    assert LineDecoder().feed(b"\n  \n" + encode(ListVoices(7))) == [ListVoices(7)]


@pytest.mark.parametrize(
    "line",
    [
        b"not json\n",
        b"[1, 2]\n",
        b'{"type": "nope", "id": 1}\n',
        b'{"id": 1}\n',
        b'{"type": "done", "id": "1", "path": "x"}\n',
        b'{"type": "done", "id": true, "path": "x"}\n',
        b'{"type": "done", "id": 1}\n',
        b'{"type": "done", "id": 1, "path": "x", "extra": 2}\n',
        b'{"type": "voices", "id": 1, "voices": [{"id": "x"}]}\n',
        b'{"type": "voices", "id": 1, "voices": "abc"}\n',
        b'{"type": "voices", "id": 1, "voices": [{"id": "x", "name": "y", "languages": "en"}]}\n',
        b'{"type": "voices", "id": 1, "voices": [{"id": "x", "name": 3, "languages": []}]}\n',
        b'{"type": "hello", "pid": 1, "ok": "yes"}\n',
        b"\xff\xfe\n",
    ],
)
def test_malformed_lines_are_remote_protocol_errors(line: bytes) -> None:
    with pytest.raises(WorkerProtocolError):
        LineDecoder().feed(line)


def test_unterminated_line_is_capped() -> None:
    decoder = LineDecoder(max_line=100)
    decoder.feed(b"x" * 100)
    with pytest.raises(WorkerProtocolError, match="longer than 100"):
        decoder.feed(b"x")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_garbage_only_ever_raises_the_peer_error(data: bytes) -> None:
    decoder = LineDecoder(max_line=200)
    try:
        for msg in decoder.feed(data):
            assert type(msg) in {Hello, Synthesize, ListVoices, Sleep, Done, Voices, Failed}
    except WorkerProtocolError:
        pass


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=200), voice=st.text(max_size=20), rate=st.integers(80, 450))
def test_any_request_text_round_trips(text: str, voice: str, rate: int) -> None:
    msg = Synthesize(id=9, text=text, voice=voice, rate_wpm=rate, path="/p.wav")
    assert LineDecoder().feed(encode(msg)) == [msg]
