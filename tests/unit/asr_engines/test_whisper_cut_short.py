"""A transcript far shorter than its speech (a hint prompt's early stop) is decoded again without hints."""

from __future__ import annotations

import asyncio

import pytest

from asr.engine import Transcript
from asr.whisper_engine import WhisperStream, cut_short
from tests.support.corpus import espeak_pcm

LONG_TURN = "Rather than go through all that, could you put me straight through to a person?"


@pytest.fixture(scope="module")
def long_pcm() -> bytes:
    return espeak_pcm(LONG_TURN, "en-us", 8000, 175)


def test_one_word_for_several_seconds_of_speech_is_cut_short(long_pcm):
    assert cut_short("No,", long_pcm, 8000)


def test_the_whole_turn_is_not_cut_short(long_pcm):
    assert not cut_short(
        "Runner and go for all math. Can you put me straight through collaboration?", long_pcm, 8000
    )


def test_a_short_answer_is_not_cut_short():
    assert not cut_short("Yes.", espeak_pcm("yes", "en-us", 8000, 175), 8000)


def test_silence_is_not_cut_short():
    assert not cut_short("", b"\0\0" * 8000 * 4, 8000)


class RecordingEngine:
    """Answers each decode with the next text and records the hints it was asked with."""

    def __init__(self, *texts: str):
        self.texts, self.hints = list(texts), []

    async def decode(self, pcm: bytes, rate: int, hints) -> Transcript:
        self.hints.append(hints)
        return Transcript(self.texts.pop(0), 0.8, (), "whisper", len(pcm) / 2 / rate, 0.1)


def finish(engine: RecordingEngine, pcm: bytes, hints=("yes", "no")) -> Transcript:
    async def run() -> Transcript:
        stream = WhisperStream(engine, 8000, None, hints)  # type: ignore[arg-type]
        await stream.feed(pcm)
        return await stream.finish()

    return asyncio.run(run())


def test_a_cut_short_turn_is_decoded_again_without_hints(long_pcm):
    engine = RecordingEngine("No,", "could you put me straight through to a person")
    assert finish(engine, long_pcm).text == "could you put me straight through to a person"
    assert engine.hints == [("yes", "no"), None]


def test_a_second_reading_no_longer_keeps_the_first(long_pcm):
    engine = RecordingEngine("No,", "Thank you.")
    assert finish(engine, long_pcm).text == "No,"


def test_a_whole_transcript_is_decoded_once(long_pcm):
    engine = RecordingEngine("could you put me straight through to a person")
    finish(engine, long_pcm)
    assert engine.hints == [("yes", "no")]
