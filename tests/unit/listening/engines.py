"""Small fakes of the ASR engine protocol (asr.engine): streaming (as Vosk) and batch (as Whisper).

A stream buffers what it is fed; finish() records the decode, waits for the engine's gate (so a test can
hold a decode in flight) and returns the audio it heard as its text.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from asr.endpointer import EndpointingParams
from asr.engine import Partial, Transcript
from ivr.listening import Instant, Listener

PARAMS = EndpointingParams(min_speech=0.1, end_silence=0.6, max_utterance=20, no_input=6, pre_roll=0.1)
AT = Instant(100.0, datetime(2026, 12, 6, 12, 0, tzinfo=UTC))


class FakeStream:
    """Buffers audio; finish() records a decode, waits for the engine's gate and names what it heard."""

    def __init__(self, engine: CountingEngine, grammar, hints=None):
        self.engine, self.grammar, self.hints, self.audio = engine, grammar, hints, b""
        self.closed, self.cancelled = False, False
        self.closing = asyncio.Event()

    async def feed(self, pcm: bytes):
        assert not self.closed
        if self.engine.fail and self.engine.streaming:
            raise RuntimeError("recogniser died")
        self.audio += pcm
        return Partial(f"{len(self.audio)} bytes") if self.engine.streaming else None

    async def finish(self) -> Transcript:
        self.engine.decodes.append(self.audio)
        self.engine.decoding.set()
        try:
            await self.engine.gate.wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        if self.engine.fail:
            raise RuntimeError("decoder died")
        audio, self.audio = self.audio, b""
        return Transcript(audio.decode(), 0.9, (), "fake", len(audio) / 16000, 0.0)

    def close(self):
        self.closed = True
        self.closing.set()


class CountingEngine:
    """The engine protocol: `streaming` says which kind; every stream and decode is kept for the test."""

    name = "fake"

    def __init__(self, streaming: bool = False):
        self.streaming = streaming
        self.streams: list[FakeStream] = []
        self.decodes: list[bytes] = []
        self.fail = False  # True: finish() raises (and a streaming feed)
        self.gate = asyncio.Event()  # cleared: decodes stay in flight until the test sets it
        self.gate.set()
        self.decoding = asyncio.Event()  # set when a decode reached finish()

    def new_stream(self, rate, *, grammar=None, hints=None):
        stream = FakeStream(self, grammar, hints)
        self.streams.append(stream)
        return stream

    def close(self):
        pass


class Expecting:
    """What the bot expects now (grammar and hints), changed by the test as a bot would change it."""

    def __init__(self):
        self.grammar: list[str] | None = None
        self.hints: list[str] | None = None

    def __call__(self):
        return self.grammar, self.hints


def listener(engine: CountingEngine, expecting: Expecting | None = None, **options) -> Listener:
    """A Listener at 8 kHz on `engine`, with PARAMS unless `endpointing` is given."""
    options.setdefault("endpointing", PARAMS)
    return Listener(engine, rate=8000, expectation=expecting or Expecting(), **options)  # type: ignore[arg-type]
