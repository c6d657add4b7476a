"""Whisper without the word-timing pass (words=False): same accuracy bound, no word list."""

import pytest

from asr.engine import load_engine
from asr.wer import word_error_rate
from asr.whisper_engine import WhisperEngine
from tests.support.corpus import SOUNDS_DIR, fixed_sample, load_wav

MAX_WER = 0.15


@pytest.fixture(scope="module")
def engine() -> WhisperEngine:
    loaded = load_engine("whisper", None)
    assert isinstance(loaded, WhisperEngine)
    return loaded


async def decode(engine: WhisperEngine, pcm: bytes, rate: int, *, words: bool):
    stream = engine.new_stream(rate, words=words)
    try:
        await stream.feed(pcm)
        return await stream.finish()
    finally:
        stream.close()


async def test_without_word_times_the_text_stays_within_the_wer_limit(engine: WhisperEngine) -> None:
    refs, hyps = [], []
    for prompt in fixed_sample(15):
        pcm, rate = load_wav(prompt.wav_path)
        transcript = await decode(engine, pcm, rate, words=False)
        assert transcript.words == ()
        refs.append(prompt.transcript)
        hyps.append(transcript.text)
    assert word_error_rate(refs, hyps) < MAX_WER


async def test_word_times_are_there_when_asked_and_confidence_either_way(engine: WhisperEngine) -> None:
    pcm, rate = load_wav(SOUNDS_DIR / "agent-pass.wav")
    timed = await decode(engine, pcm, rate, words=True)
    plain = await decode(engine, pcm, rate, words=False)
    assert len(timed.words) >= 8 and plain.words == ()
    assert word_error_rate(timed.text, plain.text) <= 0.1
    assert 0.3 < plain.confidence <= 1.0 and 0.5 < timed.confidence <= 1.0
