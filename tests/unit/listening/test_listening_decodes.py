"""Listening with its decodes run (DecodeRunner) on a counting fake engine: speculative decodes used or
dropped, recognisers reused. Endpointer events are scripted here; test_listener_frames feeds frames."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from asr.endpointer import PossibleEndOfTurn, SpeechResumed, SpeechStarted, UtteranceEnded
from ivr.listening import DecodeRunner, Listener, Prompt, Utterance, UtteranceReady
from tests.unit.listening.engines import AT, CountingEngine, Expecting, listener


@contextlib.asynccontextmanager
async def running(engine: CountingEngine, expecting: Expecting | None = None):
    """A listener and its runner, decodes running in a TaskGroup for the length of the block."""
    ear = listener(engine, expecting)
    runner = DecodeRunner(ear, lambda text: None)
    async with asyncio.TaskGroup() as tg:
        runner.bind(tg)
        try:
            yield ear, runner
        finally:
            runner.close()


def endpoint(ear: Listener, runner: DecodeRunner, *events) -> list:
    """Scripted endpointer events through the listener, its decodes started."""
    return runner.route(ear.endpointed(events, at=AT))


def heard(ear: Listener, runner: DecodeRunner, *events) -> Utterance:
    [ready] = [e for e in endpoint(ear, runner, *events) if isinstance(e, UtteranceReady)]
    return ready.utterance


async def test_the_speculative_result_is_used_when_the_turn_ends_with_the_same_speech():
    engine = CountingEngine()
    engine.gate.clear()  # the decode is still in flight when the turn ends
    async with running(engine) as (ear, runner):
        endpoint(ear, runner, SpeechStarted(at=1.0))
        endpoint(ear, runner, PossibleEndOfTurn(audio=b"hello", start=1.0, end=2.0))
        await asyncio.wait_for(engine.decoding.wait(), 5)
        assert engine.decodes == [b"hello"]
        utterance = heard(
            ear, runner, UtteranceEnded(audio=b"hello...", start=1.0, end=2.0, reason="silence")
        )
        assert utterance.speculation is not None
        understanding = asyncio.ensure_future(runner.transcribe(utterance, None, None))
        engine.gate.set()
        transcript = await asyncio.wait_for(understanding, 5)
        assert transcript.text == "hello"
        assert engine.decodes == [b"hello"]  # decoded once, speculatively
        stats = ear.speculation
        assert (stats.started, stats.used, stats.discarded) == (1, 1, 0)
    assert all(s.closed for s in engine.streams)


async def test_resumed_speech_cancels_the_speculation_and_the_full_utterance_is_decoded():
    engine = CountingEngine()
    engine.gate.clear()
    async with running(engine) as (ear, runner):
        endpoint(ear, runner, SpeechStarted(at=1.0))
        endpoint(ear, runner, PossibleEndOfTurn(audio=b"book a", start=1.0, end=2.0))
        await asyncio.wait_for(engine.decoding.wait(), 5)
        [first] = engine.streams
        endpoint(ear, runner, SpeechResumed(at=2.3))
        await asyncio.wait_for(first.closing.wait(), 5)
        assert first.cancelled and first.closed
        engine.gate.set()
        ended = UtteranceEnded(audio=b"book a table", start=1.0, end=3.0, reason="silence")
        utterance = heard(ear, runner, ended)
        assert utterance.speculation is None
        assert (await runner.transcribe(utterance, None, None)).text == "book a table"
        assert (ear.speculation.used, ear.speculation.discarded) == (0, 1)


async def test_a_mismatched_end_or_a_changed_grammar_discards_the_speculation():
    engine = CountingEngine()
    expecting = Expecting()
    async with running(engine, expecting) as (ear, runner):
        endpoint(ear, runner, PossibleEndOfTurn(audio=b"yes", start=1.0, end=2.0))
        # A turn cut at a different end (speech came back but the resume was not seen) is not the guessed one.
        utterance = heard(
            ear, runner, UtteranceEnded(audio=b"yes no", start=1.0, end=2.5, reason="max-length")
        )
        assert utterance.speculation is None
        assert (await runner.transcribe(utterance, None, None)).text == "yes no"
        endpoint(ear, runner, PossibleEndOfTurn(audio=b"no", start=5.0, end=6.0))
        utterance = heard(ear, runner, UtteranceEnded(audio=b"no", start=5.0, end=6.0, reason="silence"))
        expecting.grammar = ["yes", "no"]  # the bot moved on to a closed question before hearing it
        assert (await runner.transcribe(utterance, *expecting())).text == "no"
        assert engine.streams[-1].grammar == ["yes", "no"]
        stats = ear.speculation
        assert (stats.started, stats.used, stats.discarded) == (2, 0, 2)


async def test_a_failed_speculative_decode_is_decoded_again():
    engine = CountingEngine()
    engine.fail = True
    async with running(engine) as (ear, runner):
        endpoint(ear, runner, SpeechStarted(at=1.0))
        endpoint(ear, runner, PossibleEndOfTurn(audio=b"hi", start=1.0, end=2.0))
        utterance = heard(ear, runner, UtteranceEnded(audio=b"hi.", start=1.0, end=2.0, reason="silence"))
        with pytest.raises(RuntimeError, match="decoder died"):
            await runner.transcribe(utterance, None, None)  # decoded again, and that failed too: raised
        assert engine.decodes == [b"hi", b"hi."]
        assert (ear.speculation.used, ear.speculation.discarded) == (0, 1)


async def test_streaming_engines_do_not_speculate_and_reuse_one_recogniser_per_grammar():
    engine = CountingEngine(streaming=True)
    expecting = Expecting()
    async with running(engine, expecting) as (ear, runner):
        for text in (b"one", b"two"):
            endpoint(ear, runner, SpeechStarted(at=0.0))
            endpoint(ear, runner, PossibleEndOfTurn(audio=text, start=0.0, end=1.0))
            utterance = heard(ear, runner, UtteranceEnded(audio=text, start=0.0, end=1.0, reason="silence"))
            assert utterance.stream is engine.streams[0] and utterance.speculation is None
            assert (await runner.transcribe(utterance, *expecting())).text == text.decode()
        assert len(engine.streams) == 1 and not engine.streams[0].closed
        expecting.grammar = ["yes"]
        endpoint(ear, runner, SpeechStarted(at=9.0))
        assert len(engine.streams) == 2 and engine.streams[1].grammar == ["yes"]
        assert ear.speculation.started == 0
    assert all(s.closed for s in engine.streams)  # the call is over: every recogniser released


@pytest.mark.parametrize("fed", [0, 160 * 16])
async def test_streaming_feeds_whole_batches_and_the_rest_at_the_end_of_the_turn(fed):
    engine = CountingEngine(streaming=True)
    async with running(engine) as (ear, runner):
        assert ear.stream_batch == 2 * 8000 * 16 // 100  # 160 ms of 8 kHz slin
        endpoint(ear, runner, SpeechStarted(at=0.0))
        audio = b"x" * (ear.stream_batch + 7)
        utterance = Utterance(audio, 1.0, 0.0, AT.wall, AT.wall, stream=engine.streams[0], fed=fed)
        engine.streams[0].audio = audio[:fed]
        transcript = await runner.transcribe(utterance, None, None)
        assert transcript.text == audio.decode()


async def test_the_heard_utterance_keeps_only_the_start_of_the_trailing_silence():
    ear = listener(CountingEngine())
    for _ in range(100):  # stream time 2.0: the turn ended 0.6 s ago
        ear.feed(b"\0" * 320, False, at=AT, prompt=Prompt.SILENT)
    [ready] = ear.endpointed(
        [UtteranceEnded(audio=b"v" * 16000, start=0.4, end=1.4, reason="silence")], at=AT
    )
    # 0.6 s of trailing silence at 8 kHz is 9600 bytes; 0.3 s of it (4800 bytes) is kept.
    assert isinstance(ready, UtteranceReady)
    assert len(ready.utterance.audio) == 16000 - 4800
    # Its clock times are those the audio arrived at, less the trailing silence the endpointer waited for.
    assert ready.utterance.ended_monotonic == pytest.approx(AT.monotonic - 0.6)


async def test_partials_of_a_streaming_recogniser_reach_the_dialogue_as_they_come():
    engine = CountingEngine(streaming=True)
    ear, partials, arrived = listener(engine), [], asyncio.Event()

    def on_partial(text):
        partials.append(text)
        arrived.set()

    runner = DecodeRunner(ear, on_partial)
    async with asyncio.TaskGroup() as tg:
        runner.bind(tg)
        for _ in range(10):  # 0.2 s of speech: one batch is due
            assert runner.route(ear.feed(b"v" * 320, True, at=AT, prompt=Prompt.SILENT)) in (
                [],
                [SpeechStarted(0.0)],
            )
        await asyncio.wait_for(arrived.wait(), 5)
        runner.close()
    assert partials == [f"{8 * 320} bytes"]
    assert engine.streams[0].closed


async def test_a_failing_streaming_recogniser_fails_the_call():
    engine = CountingEngine(streaming=True)
    engine.fail = True
    ear = listener(engine)
    runner = DecodeRunner(ear, lambda text: None)
    with pytest.raises(ExceptionGroup) as failed:
        async with asyncio.TaskGroup() as tg:
            runner.bind(tg)
            for _ in range(10):
                runner.route(ear.feed(b"v" * 320, True, at=AT, prompt=Prompt.SILENT))
    # The conversation's TaskGroup fails the same way, and the session hands the caller to a person.
    assert failed.group_contains(RuntimeError, match="recogniser died")
