"""Conversation hearing on a counting fake engine: speculative decodes used or dropped, recognisers reused."""

from __future__ import annotations

import asyncio

import pytest

from asr.endpointer import EndpointingParams, PossibleEndOfTurn, SpeechResumed, SpeechStarted, UtteranceEnded
from asr.engine import Transcript
from ivr.bot import CallInfo, Say
from ivr.conversation import Conversation, HeardUtterance, SpeechDeps

PARAMS = EndpointingParams(min_speech=0.1, end_silence=0.6, max_utterance=20, no_input=6, pre_roll=0.1)


class FakeStream:
    """Buffers audio; finish() records a decode, waits for the engine's gate and names what it heard."""

    def __init__(self, engine: CountingEngine, grammar):
        self.engine, self.grammar, self.audio, self.closed = engine, grammar, b"", False

    async def feed(self, pcm: bytes):
        assert not self.closed
        self.audio += pcm

    async def finish(self) -> Transcript:
        self.engine.decodes.append(self.audio)
        self.engine.decoding.set()
        await self.engine.gate.wait()
        audio, self.audio = self.audio, b""
        return Transcript(audio.decode(), 0.9, (), "fake", len(audio) / 16000, 0.0)

    def close(self):
        self.closed = True


class CountingEngine:
    name = "fake"

    def __init__(self, streaming: bool = False):
        self.streaming = streaming
        self.streams: list[FakeStream] = []
        self.decodes: list[bytes] = []
        self.gate = asyncio.Event()  # cleared: decodes stay in flight until the test sets it
        self.gate.set()
        self.decoding = asyncio.Event()  # set when a decode reached finish()

    def new_stream(self, rate, *, grammar=None, hints=None):
        stream = FakeStream(self, grammar)
        self.streams.append(stream)
        return stream

    def close(self):
        pass


class FakeConn:
    inbound_rate = 8000


class FakeStore:
    def __init__(self):
        self.turns: list[dict] = []

    async def add_turn(self, handle, **turn):
        self.turns.append(turn)


class GrammarBot:
    """Heard text comes back in a Say; the grammar can be changed by the test."""

    def __init__(self):
        self.grammar_now: list[str] | None = None
        self.heard: list[str] = []

    def grammar(self):
        return self.grammar_now

    def hints(self):
        return None

    def on_transcript(self, text, confidence):
        self.heard.append(text)
        return [Say(text)]


def conversation(engine: CountingEngine) -> tuple[Conversation, GrammarBot, FakeStore]:
    bot, store = GrammarBot(), FakeStore()
    speech = SpeechDeps(asr=engine, tts=None, endpointing=PARAMS)  # type: ignore[arg-type]
    conv = Conversation(
        FakeConn(),  # type: ignore[arg-type]
        speech=speech,
        bot=bot,  # type: ignore[arg-type]
        call=CallInfo("c1", None, None, "en"),
        store=store,  # type: ignore[arg-type]
        call_handle=object(),
        fallback_queue="support",
    )
    return conv, bot, store


async def heard(conv: Conversation, *events) -> HeardUtterance:
    for event in events:
        await conv._on_endpoint_event(event)
    item = conv._heard.get_nowait()
    assert isinstance(item, HeardUtterance)
    return item


async def test_the_speculative_result_is_used_when_the_turn_ends_with_the_same_speech():
    engine = CountingEngine()
    engine.gate.clear()  # the decode is still in flight when the turn ends
    conv, _, store = conversation(engine)
    await conv._on_endpoint_event(SpeechStarted(at=1.0))
    await conv._on_endpoint_event(PossibleEndOfTurn(audio=b"hello", start=1.0, end=2.0))
    await asyncio.wait_for(engine.decoding.wait(), 5)
    assert engine.decodes == [b"hello"]
    utterance = await heard(conv, UtteranceEnded(audio=b"hello...", start=1.0, end=2.0, reason="silence"))
    assert utterance.speculation is not None
    understanding = asyncio.ensure_future(conv._understand(utterance))
    engine.gate.set()
    actions = await asyncio.wait_for(understanding, 5)
    assert actions == [Say("hello")]
    assert engine.decodes == [b"hello"]  # decoded once, speculatively
    assert (conv.speculator.started, conv.speculator.used, conv.speculator.discarded) == (1, 1, 0)
    assert store.turns[0]["text"] == "hello" and store.turns[0]["speaker"] == "caller"
    assert all(s.closed for s in engine.streams)


async def test_resumed_speech_cancels_the_speculation_and_the_full_utterance_is_decoded():
    engine = CountingEngine()
    engine.gate.clear()
    conv, bot, _ = conversation(engine)
    await conv._on_endpoint_event(SpeechStarted(at=1.0))
    await conv._on_endpoint_event(PossibleEndOfTurn(audio=b"book a", start=1.0, end=2.0))
    await asyncio.wait_for(engine.decoding.wait(), 5)
    [first] = conv.speculator._tasks
    await conv._on_endpoint_event(SpeechResumed(at=2.3))
    with pytest.raises(asyncio.CancelledError):
        await first
    assert first.cancelled() and engine.streams[0].closed
    engine.gate.set()
    ended = UtteranceEnded(audio=b"book a table", start=1.0, end=3.0, reason="silence")
    utterance = await heard(conv, ended)
    assert utterance.speculation is None
    assert await conv._understand(utterance) == [Say("book a table")]
    assert bot.heard == ["book a table"]
    assert (conv.speculator.used, conv.speculator.discarded) == (0, 1)


async def test_a_mismatched_end_or_a_changed_grammar_discards_the_speculation():
    engine = CountingEngine()
    conv, bot, _ = conversation(engine)
    await conv._on_endpoint_event(PossibleEndOfTurn(audio=b"yes", start=1.0, end=2.0))
    # A turn cut at a different end (speech came back but the resume was not seen) is not the guessed one.
    utterance = await heard(conv, UtteranceEnded(audio=b"yes no", start=1.0, end=2.5, reason="max-length"))
    assert utterance.speculation is None
    assert await conv._understand(utterance) == [Say("yes no")]
    await conv._on_endpoint_event(PossibleEndOfTurn(audio=b"no", start=5.0, end=6.0))
    utterance = await heard(conv, UtteranceEnded(audio=b"no", start=5.0, end=6.0, reason="silence"))
    bot.grammar_now = ["yes", "no"]  # the bot moved on to a closed question before hearing it
    assert await conv._understand(utterance) == [Say("no")]
    assert engine.streams[-1].grammar == ["yes", "no"]
    assert (conv.speculator.started, conv.speculator.used, conv.speculator.discarded) == (2, 0, 2)


async def test_streaming_engines_do_not_speculate_and_reuse_one_recogniser_per_grammar():
    engine = CountingEngine(streaming=True)
    conv, bot, _ = conversation(engine)
    for text in (b"one", b"two"):
        await conv._on_endpoint_event(SpeechStarted(at=0.0))
        await conv._on_endpoint_event(PossibleEndOfTurn(audio=text, start=0.0, end=1.0))
        utterance = await heard(conv, UtteranceEnded(audio=text, start=0.0, end=1.0, reason="silence"))
        assert utterance.stream is engine.streams[0] and utterance.speculation is None
        await conv._understand(utterance)
    assert bot.heard == ["one", "two"] and len(engine.streams) == 1 and not engine.streams[0].closed
    bot.grammar_now = ["yes"]
    await conv._on_endpoint_event(SpeechStarted(at=9.0))
    assert len(engine.streams) == 2 and engine.streams[1].grammar == ["yes"]
    assert conv.speculator.started == 0


@pytest.mark.parametrize("fed", [0, 160 * 16])
async def test_streaming_feeds_whole_batches_and_the_rest_at_the_end_of_the_turn(fed):
    engine = CountingEngine(streaming=True)
    conv, _, _ = conversation(engine)
    assert conv._stream_batch == 2 * 8000 * 16 // 100  # 160 ms of 8 kHz slin
    await conv._on_endpoint_event(SpeechStarted(at=0.0))
    audio = b"x" * (conv._stream_batch + 7)
    utterance = HeardUtterance(audio, 1.0, 0.0, None, None, stream=engine.streams[0], fed=fed)  # type: ignore[arg-type]
    engine.streams[0].audio = audio[:fed]
    transcript = await conv._recognise(utterance, None)
    assert transcript.text == audio.decode()


def hear(conv: Conversation, voiced: bool, count: int) -> None:
    """What _hear does per 20 ms frame, without the VAD: endpoint it, then check for barge-in."""
    for _ in range(count):
        for event in conv.endpointer.feed(b"\0" * 320, voiced, 0.02):
            if isinstance(event, SpeechStarted):
                conv._speech_started_at, conv._barged = event.at, False
        conv._check_barge_in()


@pytest.mark.parametrize(("prompt_after", "reaction"), [(0, 0.0), (50, 0.02)])
async def test_barge_in_reaction_counts_from_the_later_of_speech_and_prompt_start(prompt_after, reaction):
    conv, _, _ = conversation(CountingEngine())
    if prompt_after == 0:
        conv.player.play(b"\1\0" * 8000)
    hear(conv, True, max(prompt_after, 1))
    if prompt_after:
        assert conv.stats.barge_in_reactions == []  # nothing to interrupt yet
        conv.player.play(b"\1\0" * 8000)  # a reply starts 1 s into the caller's speech
    hear(conv, True, 20)
    [measured] = conv.stats.barge_in_reactions
    # Before: a late prompt counted the whole second of speech before it (0.8 s beyond min_barge_in).
    assert measured == pytest.approx(reaction, abs=1e-6)
    assert not conv.player.is_playing


async def test_the_heard_utterance_keeps_only_the_start_of_the_trailing_silence():
    conv, _, _ = conversation(CountingEngine())
    conv.endpointer.feed(b"\0" * 320, False, 2.0)  # stream time 2.0: the turn ended 0.6 s ago
    utterance = await heard(conv, UtteranceEnded(audio=b"v" * 16000, start=0.4, end=1.4, reason="silence"))
    # 0.6 s of trailing silence at 8 kHz is 9600 bytes; 0.3 s of it (4800 bytes) is kept.
    assert len(utterance.audio) == 16000 - 4800
