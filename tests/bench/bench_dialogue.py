"""Dialogue benchmark: how often the shipped telecom flow understands callers, per evaluation split.

Run: `python tests/bench/bench_dialogue.py [--split dev|heldout|all] [--text-only] [--hints on|off|both]
[--ids REGEX] [--rate 16000] [--sounds-like auto|off|FILE]`.

* Text level: every case (English and Chinese) is given to the flow as written.
* End to end (English only; there is no Chinese ASR model here): every turn is spoken by espeak-ng with
  two voices and rates (VOICES), resampled to 8 kHz (`--rate 16000`: HD voice), recognised by the real
  Whisper engine (tiny.en, with the step's grammar and recogniser hints, as a call would) and given to
  the flow with its confidence.

Per split it prints what understanding one new utterance costs (words, meaning, knowledge base),
intent accuracy, outcome accuracy (intent, slots, hand-off and its reason), false
transfers (hand-offs where none was expected), turns to resolution, and transfer precision and recall
per trigger; `transferred_at_all` says how many expected hand-offs of a trigger happened with any reason.
`--misses` lists every case that went wrong with what the recogniser heard. The held-out split is for
measuring only: nothing in the flow, the lexicons or the thresholds may be written from it.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from asr.engine import Alternative, AsrEngine
from asr.loader import load_engine
from ivr.dialogue.engine import FlowBot
from ivr.dialogue.registry import FlowRegistry
from tests.support.corpus import espeak_pcm
from tests.support.dialogue_eval import EVAL_DIR, Run, Scores, as_text, load_cases, run_case

DIALPLAN = Path(__file__).resolve().parents[2] / "dialplan"
VOICES = (("en-us", 175), ("en-gb+f3", 140))  # (espeak-ng voice, words per minute)
RATE = 8000


def speech_hearer(engine: AsrEngine, voice: str, wpm: int, hints: bool, rate: int = RATE):
    """A `hear` that speaks the turn and recognises it as a call at this step would."""

    async def hear(bot: FlowBot, text: str) -> tuple[str, float, tuple[Alternative, ...]]:
        pcm = await asyncio.to_thread(espeak_pcm, text, voice, rate, wpm)
        stream = engine.new_stream(rate, grammar=bot.grammar(), hints=bot.hints() if hints else None)
        try:
            await stream.feed(pcm)
            transcript = await stream.finish()
        finally:
            stream.close()
        return transcript.text, transcript.confidence, transcript.alternatives

    return hear


def hint_words(hints: bool) -> str:
    """How a block says whether the recogniser had hints."""
    return "hints on" if hints else "hints off"


def understanding_cost(flow, cases) -> None:
    """Print what understanding one new utterance costs (intents by words and meaning, knowledge, mood)."""
    seen: set[str] = set()
    costs: dict[str, list[float]] = {}
    for case in cases:
        for turn in case.turns:
            if (case.language, turn) in seen:
                continue
            seen.add((case.language, turn))
            started = time.perf_counter()
            flow.matcher(case.language).ranked(turn)
            flow.knowledge().best(turn, case.language)
            costs.setdefault(case.language, []).append((time.perf_counter() - started) * 1000)
    semantic = "on" if flow.semantic_index("en") is not None else "off (words only)"
    for language, ms in costs.items():
        ms.sort()
        print(
            f"   understanding cost {language}: median {ms[len(ms) // 2]:.1f} ms,"
            f" p90 {ms[int(len(ms) * 0.9)]:.1f} ms"
            f" per new utterance over {len(ms)} (matching by meaning {semantic})"
        )


def report(title: str, runs: list[Run], misses: bool) -> None:
    """Print one block of figures."""
    scores = Scores(runs)
    print(f"\n== {title}")
    for key, value in scores.line().items():
        print(f"   {key:22} {value}")
    print(f"   {'trigger':18} {'expected':>8} {'predicted':>9} {'precision':>9} {'recall':>8} {'at all':>8}")
    for reason, row in scores.per_trigger().items():
        print(
            f"   {reason:18} {row['expected']:>8} {row['predicted']:>9} {row['precision']:>9}"
            f" {row['recall']:>8} {row['transferred_at_all']:>8}"
        )
    if misses:
        for run in scores.misses():
            want = run.case.expect
            print(
                f"   MISS {run.case.id} at {run.case.at}: {list(run.case.turns)} heard {run.heard} -> "
                f"intent={run.intent} slots={run.slots} transfer={run.transfer}/{run.reason}; "
                f"want intent={want.intent} slots={want.slots} transfer={want.transfer}/{want.reason}"
            )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=["dev", "heldout", "all"], default="all")
    parser.add_argument("--text-only", action="store_true", help="skip the end-to-end (speech) runs")
    parser.add_argument("--hints", choices=["on", "off", "both"], default="on")
    parser.add_argument("--limit", type=int, default=0, help="at most this many cases per split")
    parser.add_argument("--misses", action="store_true", help="list every case that went wrong")
    parser.add_argument("--ids", default="", help="only the cases whose id matches this regular expression")
    parser.add_argument("--beam", type=int, default=None, help="Whisper beam size (default: asr's)")
    parser.add_argument("--alternatives", type=int, default=None, help="n-best alternatives (default: asr's)")
    parser.add_argument("--greedy-text", action="store_true", help="the transcript is a greedy pass's")
    parser.add_argument(
        "--sounds-like", default="auto", help="the recogniser's near misses: auto (bundled), off, or a file"
    )
    parser.add_argument(
        "--rate", type=int, default=RATE, help="caller audio rate: 8000 (telephone), 16000 (HD voice, slin16)"
    )
    args = parser.parse_args()
    flow = FlowRegistry.load(DIALPLAN).current().flow_for("hotline")
    for language in flow.spec.languages:  # load the model and embed the flow's phrases before timing anything
        flow.matcher(language)
    names = ["dev", "heldout"] if args.split == "all" else [args.split]
    splits = {n: load_cases(EVAL_DIR / f"{n}.yaml") for n in names if (EVAL_DIR / f"{n}.yaml").exists()}
    for name in names:
        if name not in splits:
            print(f"(no {name}.yaml in {EVAL_DIR}: skipped)")
    engine = None
    if not args.text_only:
        engine = load_engine(
            "whisper",
            None,
            beam_size=args.beam,
            alternatives=args.alternatives,
            beam_text=not args.greedy_text,
            sounds_like=args.sounds_like,
        )
    for name, cases in splits.items():
        cases = [c for c in cases if re.search(args.ids, c.id)]
        cases = cases[: args.limit] if args.limit else cases
        english = [c for c in cases if c.language == "en"]
        chinese = len(cases) - len(english)
        print(f"\n######## split {name}: {len(cases)} cases ({len(english)} English, {chinese} Chinese)")
        understanding_cost(flow, cases)
        text_runs = [await run_case(flow, c, as_text) for c in cases]
        report(f"{name} text level, all languages", text_runs, args.misses)
        report(f"{name} text level, English", [r for r in text_runs if r.case.language == "en"], False)
        report(f"{name} text level, Chinese", [r for r in text_runs if r.case.language == "zh"], False)
        if engine is None:
            continue
        for hints in {"on": [True], "off": [False], "both": [False, True]}[args.hints]:
            both: list[Run] = []
            for voice, wpm in VOICES:
                started = time.perf_counter()
                hear = speech_hearer(engine, voice, wpm, hints, args.rate)
                runs = [await run_case(flow, c, hear) for c in english]
                both += runs
                label = f"{name} end to end, English, espeak-ng {voice} {wpm} wpm, {hint_words(hints)}"
                label += "" if args.rate == RATE else f", {args.rate} Hz"
                report(f"{label} ({time.perf_counter() - started:.0f} s)", runs, args.misses)
            rate = "" if args.rate == RATE else f", {args.rate} Hz"
            report(f"{name} end to end, English, both voices, {hint_words(hints)}{rate}", both, False)


if __name__ == "__main__":
    asyncio.run(main())
