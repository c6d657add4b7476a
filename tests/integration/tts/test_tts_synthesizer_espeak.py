"""Synthesizer end to end with real pyttsx3 + espeak-ng worker processes."""

import asyncio
import logging
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest

from tts.errors import TtsError
from tts.service import Synthesizer, VoiceSpec, WarmReport

VOICES = {"en": VoiceSpec("en-us", 160), "ko": VoiceSpec("ko", 150), "zh": VoiceSpec("cmn", 150)}
GREETING = "Hello, thank you for calling the hotline. How can I help you today?"


def level(pcm: bytes) -> np.ndarray:
    return np.abs(np.frombuffer(pcm, "<i2").astype(np.int32))


def seconds(pcm: bytes, rate: int) -> float:
    return len(pcm) / 2 / rate


@pytest.fixture
async def synth(tmp_path: Path) -> AsyncIterator[Synthesizer]:
    s = Synthesizer(VOICES, tmp_path / "cache")
    await s.start()
    try:
        yield s
    finally:
        await s.close()


@pytest.mark.parametrize("rate", [8000, 16000])
async def test_english_is_speech_of_plausible_length(synth: Synthesizer, rate: int) -> None:
    pcm = await asyncio.wait_for(synth.synthesize(GREETING, "en", rate), 30)
    # 12 words at 160 wpm is about 4.5 s of speech; espeak's pauses at commas add some
    assert 2.5 < seconds(pcm, rate) < 8.0
    x = level(pcm)
    assert np.sqrt(np.mean(x.astype(float) ** 2)) > 500
    threshold = x.max() * 0.01
    loud = np.flatnonzero(x > threshold)
    assert loud[0] / rate <= 0.06  # the first frame of the reply carries speech
    assert (len(x) - 1 - loud[-1]) / rate <= 0.06


async def test_rates_give_the_same_duration(synth: Synthesizer) -> None:
    narrow = await synth.synthesize("One moment please.", "en", 8000)
    wide = await synth.synthesize("One moment please.", "en", 16000)
    # different cache keys, so two syntheses; espeak's output length varies by a few ms between runs
    assert synth.worker_requests == 2
    assert seconds(narrow, 8000) == pytest.approx(seconds(wide, 16000), abs=0.1)


@pytest.mark.parametrize(
    ("language", "text"), [("ko", "안녕하세요, 상담원을 연결해 드리겠습니다."), ("zh", "您好，欢迎致电。")]
)
async def test_korean_and_mandarin_voices_produce_audio(synth: Synthesizer, language: str, text: str) -> None:
    pcm = await synth.synthesize(text, language, 8000)
    assert seconds(pcm, 8000) > 0.8
    assert level(pcm).max() > 3000


async def test_cache_hit_does_not_touch_the_worker(synth: Synthesizer) -> None:
    first = await synth.synthesize(GREETING, "en", 8000)
    assert synth.worker_requests == 1
    assert await synth.synthesize(GREETING, "en", 8000) == first
    assert synth.cached(GREETING, "en", 8000) == first
    assert synth.worker_requests == 1


async def test_cache_survives_a_new_synthesizer(tmp_path: Path) -> None:
    first = Synthesizer(VOICES, tmp_path)
    try:
        pcm = await first.synthesize(GREETING, "en", 8000)
    finally:
        await first.close()
    second = Synthesizer(VOICES, tmp_path)
    try:
        assert second.cached(GREETING, "en", 8000) == pcm
        assert await second.synthesize(GREETING, "en", 8000) == pcm
        assert second.worker_requests == 0
    finally:
        await second.close()


async def test_corrupt_cache_file_is_regenerated(tmp_path: Path) -> None:
    first = Synthesizer(VOICES, tmp_path)
    try:
        await first.synthesize(GREETING, "en", 8000)
    finally:
        await first.close()
    [path] = await asyncio.to_thread(lambda: list(tmp_path.glob("*.wav")))
    path.write_bytes(path.read_bytes()[:1000])  # as if the disk filled up mid-write
    second = Synthesizer(VOICES, tmp_path)
    try:
        assert second.cached(GREETING, "en", 8000) is None
        pcm = await second.synthesize(GREETING, "en", 8000)
        assert second.worker_requests == 1
        assert seconds(pcm, 8000) > 2.5
        assert path.stat().st_size == 44 + len(pcm)
    finally:
        await second.close()


async def test_concurrent_identical_requests_share_one_synthesis(synth: Synthesizer) -> None:
    results = await asyncio.wait_for(
        asyncio.gather(*(synth.synthesize("Please hold the line.", "en", 8000) for _ in range(8))), 30
    )
    assert synth.worker_requests == 1
    assert len(set(results)) == 1 and results[0]


async def test_cancelled_caller_does_not_cancel_the_shared_synthesis(synth: Synthesizer) -> None:
    first = asyncio.ensure_future(synth.synthesize("Your call is important to us.", "en", 8000))
    second = asyncio.ensure_future(synth.synthesize("Your call is important to us.", "en", 8000))
    await asyncio.sleep(0)  # let both reach the shared task
    first.cancel()
    pcm = await asyncio.wait_for(second, 30)
    assert pcm and synth.cached("Your call is important to us.", "en", 8000) == pcm
    assert first.cancelled()


async def test_unknown_language_falls_back_to_first_voice(synth: Synthesizer, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="tts.service"):
        pcm = await synth.synthesize("Hello", "xx", 8000)
    assert pcm and "no TTS voice for language 'xx'" in caplog.text
    assert synth.cached("Hello", "en", 8000) == pcm  # same key as the first voice


async def test_empty_text_is_silence_without_a_worker(synth: Synthesizer) -> None:
    assert await synth.synthesize("  ", "en", 8000) == b""
    assert synth.worker_requests == 0


async def test_warm_synthesises_then_reports_cached(synth: Synthesizer) -> None:
    items = [("Welcome.", "en"), ("Goodbye.", "en"), ("Welcome.", "en"), ("안녕히 가세요.", "ko")]
    report = await synth.warm(items, 8000, progress=False)
    assert report == WarmReport(synthesised=3, cached=0, failed=[])
    again = await synth.warm(items, 8000, progress=True)
    assert again == WarmReport(synthesised=0, cached=3, failed=[])
    assert synth.worker_requests == 3


async def test_warm_reports_failures_and_continues(tmp_path: Path) -> None:
    synth = Synthesizer({"en": VoiceSpec("en-us")}, tmp_path, request_timeout=20)
    try:
        report = await synth.warm([("x" * 6000, "en"), ("Fine.", "en")], 8000, progress=False)
    finally:
        await synth.close()
    assert report.synthesised == 1 and report.cached == 0
    assert [(text[:3], lang) for text, lang, _ in report.failed] == [("xxx", "en")]


async def test_start_rejects_unknown_voices(tmp_path: Path) -> None:
    synth = Synthesizer({"en": VoiceSpec("en-us"), "qq": VoiceSpec("no-such-voice")}, tmp_path)
    try:
        with pytest.raises(TtsError, match="no-such-voice"):
            await synth.start()
    finally:
        await synth.close()


async def test_pool_spreads_work_over_workers(tmp_path: Path) -> None:
    synth = Synthesizer(VOICES, tmp_path, workers=2)
    try:
        await synth.start()
        texts = [f"Prompt number {n}." for n in range(4)]
        await asyncio.wait_for(asyncio.gather(*(synth.synthesize(t, "en", 8000) for t in texts)), 30)
        # The first two requests take one idle worker each; who takes the last two depends on which
        # finishes first, which a busy machine decides (an even 2 + 2 is not guaranteed).
        assert sorted(w.syntheses for w in synth.pool.workers)[0] >= 1
        assert sum(w.syntheses for w in synth.pool.workers) == 4
        assert len({w.pid for w in synth.pool.workers}) == 2
        assert synth.worker_requests == 4
    finally:
        await synth.close()


def test_every_utterance_has_its_own_rate_whatever_the_worker_said_before() -> None:
    """Rates changed back and forth in one engine: each utterance takes its own (pyttsx3 alone lags)."""
    from tts.engine import Pyttsx3Engine

    engine = Pyttsx3Engine()
    text = "One moment please, your call is important to us."
    lengths: dict[int, list[int]] = {}
    for rate in (175, 160, 120, 120, 200, 160, 175):
        path = Path(tempfile.mkdtemp()) / "rate.wav"
        engine.synthesize_to_file(text, "en-us", rate, str(path))
        lengths.setdefault(rate, []).append(path.stat().st_size)
    # the same rate gives the same length within espeak's few ms; a slower rate is clearly longer
    for sizes in lengths.values():
        assert max(sizes) - min(sizes) < 0.02 * max(sizes), lengths
    ordered = [min(lengths[rate]) for rate in (200, 175, 160, 120)]
    assert ordered == sorted(ordered) and ordered[0] < 0.9 * ordered[-1], lengths


def test_control_characters_in_a_text_cannot_change_the_voice() -> None:
    """A text carrying its own espeak embedded command is spoken at the configured rate."""
    from tts.engine import Pyttsx3Engine

    engine = Pyttsx3Engine()
    sizes = []
    for text in ("Your number is five.", "Your number is \x01450S five."):
        path = Path(tempfile.mkdtemp()) / "text.wav"
        engine.synthesize_to_file(text, "en-us", 160, str(path))
        sizes.append(path.stat().st_size)
    # obeyed, "\x01450S" would speed the words up; dropped, "450S" is read out and only adds words
    assert sizes[1] > sizes[0], sizes
