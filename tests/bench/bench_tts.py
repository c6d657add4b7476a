"""Benchmark of the TTS path (not collected by pytest): run `python tests/bench/bench_tts.py`."""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tts.resample import resample
from tts.service import Synthesizer, VoiceSpec

VOICES = {"en": VoiceSpec("en-us", 160), "ko": VoiceSpec("ko", 150), "zh": VoiceSpec("cmn", 150)}
SENTENCES = [
    ("en", "Hello, thank you for calling the hotline. How can I help you today?"),
    ("en", "I am transferring you to an agent now. The estimated wait is about two minutes."),
    ("en", "Please say your account number, or press it on your keypad."),
    ("ko", "안녕하세요, 상담원을 연결해 드리겠습니다. 잠시만 기다려 주세요."),
    ("zh", "您好，欢迎致电客服热线。请问有什么可以帮您？"),
]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.2f} ms"


async def cold(synth: Synthesizer, rate: int) -> list[float]:
    """Synthesise every sentence through the worker; print time, audio length and real-time factor."""
    rtfs = []
    for lang, text in SENTENCES:
        start = time.perf_counter()
        pcm = await synth.synthesize(f"{text} ({rate})", lang, rate)
        took = time.perf_counter() - start
        audio = len(pcm) / 2 / rate
        rtfs.append(took / audio)
        print(f"  cold {lang} {rate:>5} Hz: {ms(took)}  audio {audio:5.2f} s  RTF {took / audio:.4f}")
    return rtfs


async def hits(synth: Synthesizer, rate: int, rounds: int = 200) -> None:
    """Time memory-cache hits through synthesize() and cached()."""
    lang, text = SENTENCES[0]
    await synth.synthesize(text, lang, rate)
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        await synth.synthesize(text, lang, rate)
        times.append(time.perf_counter() - start)
    print(f"  memory hit (synthesize): median {ms(statistics.median(times))}  max {ms(max(times))}")


def disk_hits(cache_dir: Path, rate: int, rounds: int = 50) -> None:
    """Time disk hits: each round is a fresh Synthesizer with an empty memory LRU."""
    lang, text = SENTENCES[0]
    times = []
    for _ in range(rounds):
        fresh = Synthesizer(VOICES, cache_dir)
        start = time.perf_counter()
        assert fresh.cached(text, lang, rate) is not None
        times.append(time.perf_counter() - start)
    print(f"  disk hit (cached):       median {ms(statistics.median(times))}  max {ms(max(times))}")


def resample_speed() -> None:
    """Resampler cost per second of audio."""
    pcm = bytes(2 * 22050 * 10)
    for src, dst in ((22050, 8000), (22050, 16000), (8000, 16000)):
        data = pcm[: 2 * src * 10]
        resample(data[:2000], src, dst)
        start = time.perf_counter()
        resample(data, src, dst)
        took = (time.perf_counter() - start) / 10
        print(f"  resample {src}->{dst}: {ms(took)} per second of audio")


async def main() -> None:
    """Run every measurement against a throw-away cache folder."""
    with tempfile.TemporaryDirectory() as tmp:
        synth = Synthesizer(VOICES, Path(tmp))
        start = time.perf_counter()
        await synth.start()
        took = time.perf_counter() - start
        print(f"worker start (spawn + engine init + self-test + voice check): {ms(took)}")
        try:
            rtfs = await cold(synth, 8000) + await cold(synth, 16000)
            print(f"  mean RTF (cold, incl. trim/resample/cache write): {statistics.mean(rtfs):.4f}")
            await hits(synth, 8000)
            disk_hits(Path(tmp), 8000)
            resample_speed()
        finally:
            await synth.close()


if __name__ == "__main__":
    asyncio.run(main())
