"""Caller side of the call benchmark: scripted fake-PBX callers and what they measured.

Runs in the child process that `bench_calls.py --caller-worker SPEC` starts, so the callers' timestamps
come from their own event loop. The spec names the caller utterances (raw 8 kHz slin files, written by the
service side: Allison prompts for English, espeak-ng phrases for Korean), the greeting and the reply.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import resource
import time
from pathlib import Path

from asr.vad import level_dbfs
from ivr.audiosocket.codec import Audio, AudioSocketDecoder, AudioSocketProtocolError, UuidMessage, encode
from ivr.fakepbx.audiosocket import AudioSocketCaller, HangUp, Pause, Silence, Speech
from tests.bench.wire_clock import StampedSocket

FRAME = 0.02
FRAME_BYTES = 320  # 8 kHz slin
SPEECH_DBFS = -45.0  # caller-side ground truth for "speech" in the clean recordings and synthesis
TURNS_AFTER_BARGE = 4
MATCH_FRAMES = 8  # frames compared to find a known prompt in the received audio


def split_frames(pcm: bytes) -> list[bytes]:
    """20 ms frames, the last padded, exactly as the player and the fake caller cut them."""
    return [pcm[i : i + FRAME_BYTES].ljust(FRAME_BYTES, b"\0") for i in range(0, len(pcm), FRAME_BYTES)]


def read_bytes(path: str | Path) -> bytes:
    """A whole (small) file."""
    return Path(path).read_bytes()


def voiced_span(pcm: bytes) -> tuple[int, int]:
    """Indexes of the first and last frame above SPEECH_DBFS."""
    voiced = [i for i, f in enumerate(split_frames(pcm)) if level_dbfs(f) > SPEECH_DBFS]
    return voiced[0], voiced[-1]


class StampedWriter:
    """What AudioSocketCaller needs of a stream writer, over a StampedSocket."""

    def __init__(self, sock: StampedSocket) -> None:
        self.sock, self._pending = sock, b""

    def write(self, data: bytes) -> None:
        self._pending += data

    async def drain(self) -> None:
        data, self._pending = self._pending, b""
        await self.sock.send(data)

    def close(self) -> None:
        self.sock.close()

    async def wait_closed(self) -> None:
        return None


class RecordingCaller(AudioSocketCaller):
    """The fake Asterisk caller, noting when each of its frames went out and when the bot's landed.

    Arrivals in `received` are the kernel's receive stamps (tests/bench/wire_clock.py); `read_at` keeps
    when this process's event loop got round to each audio frame, to show what the measuring side adds.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.sent_at: list[float] = []
        self.read_at: list[float] = []

    async def connect(self) -> None:
        sock = await StampedSocket.connect(self.host, self.port)
        self._writer = StampedWriter(sock)  # type: ignore[assignment]
        self._last_activity = time.monotonic()
        await self._send(encode(UuidMessage(self.uuid)))
        self._reader_task = asyncio.get_running_loop().create_task(self._read_loop())

    async def _read_loop(self) -> None:
        sock = self._writer.sock  # type: ignore[union-attr]
        decoder = AudioSocketDecoder(max_payload=0xFFFF)
        try:
            while not self.finished.is_set():
                got = await sock.receive()
                if got is None:
                    self._end(0, "server-closed")
                    return
                stamp, read_at, data = got
                self._last_activity = read_at
                for msg in decoder.feed(data):
                    self.received.append((stamp, msg))
                    if isinstance(msg, Audio):
                        self.read_at.append(read_at)
                    self._on_message(msg)
        except AudioSocketProtocolError as exc:
            self._end(-1, f"server-protocol-error: {exc}")

    async def _send_frame(self, frame, pacer, speed, deadline) -> None:
        await super()._send_frame(frame, pacer, speed, deadline)
        self.sent_at.append(time.monotonic())


def call_script(
    k: int, utterances: list[bytes], gap: float, barge_at: int, barge_frames: int
) -> tuple[list, list[tuple[int, int]]]:
    """Caller script of call k and the (first, last) voiced frame index of each of its utterances.

    The caller's frame clock is offset from the bot's by a different fraction of a frame in each call,
    as a phone's RTP clock would be; its first utterance completes min_barge_in at frame `barge_at`.
    """
    items: list = [Pause((k * 0.618034) % 1 * FRAME)]
    frame, spans = 0, []
    for turn in range(TURNS_AFTER_BARGE + 1):
        pcm = utterances[(k + turn) % len(utterances)]
        first, last = voiced_span(pcm)
        if turn == 0:
            frame = max(0, barge_at - first - barge_frames + 1)
            items.append(Silence(frame * FRAME))
        spans.append((frame + first, frame + last))
        items += [Speech(pcm), Silence(gap)]
        frame += len(split_frames(pcm)) + round(gap / FRAME)
    return [*items, HangUp()], spans


def barge_in_frame(greeting: bytes) -> int:
    """A frame in the middle of the first run of 20 loud greeting frames after 1 s: no pause near it."""
    loud = [level_dbfs(f) > -50.0 for f in split_frames(greeting)]
    for i in range(50, len(loud) - 20):
        if all(loud[i : i + 20]):
            return i + 10
    raise RuntimeError("the greeting has no 0.4 s stretch without a pause")


def find_prompt(pcms: list[bytes], prompt: list[bytes], start: int) -> int | None:
    """Index of the first received frame, from `start`, where `prompt` begins."""
    head = prompt[:MATCH_FRAMES]
    for i in range(start, len(pcms) - len(head) + 1):
        if pcms[i : i + len(head)] == head:
            return i
    return None


def analyse(caller: RecordingCaller, spans, greeting: list[bytes], reply: list[bytes], min_barge: float):
    """Caller-side figures of one call: wire latencies, barge-in reaction, frame jitter."""
    frames = [(t, m.pcm) for t, m in caller.received if isinstance(m, Audio)]
    times, pcms, sent = [t for t, _ in frames], [p for _, p in frames], caller.sent_at
    out: dict = {
        "jitter": [abs(b - a - FRAME) for a, b in itertools.pairwise(times)],
        "read_jitter": [abs(b - a - FRAME) for a, b in itertools.pairwise(caller.read_at)],
        "turns": [],
    }
    for _first, last in spans:
        if last >= len(sent):
            break
        at = find_prompt(pcms, reply, bisect.bisect_right(times, sent[last]))
        out["turns"].append({"speech_end": sent[last], "reply_at": times[at] if at is not None else None})
    trigger = spans[0][0] + round(min_barge / FRAME) - 1
    start = find_prompt(pcms, greeting, 0)
    if start is None or trigger >= len(sent):
        out["barge_in"] = None
        return out
    m = 0  # the caller hears the greeting until the first frame that is not the greeting's next one
    while start + m < len(pcms) and m < len(greeting) and pcms[start + m] == greeting[m]:
        m += 1
    full = m >= len(greeting)
    out["barge_in"] = None if full or start + m >= len(times) else times[start + m] - sent[trigger]
    out["barge_in_missed"] = full
    return out


async def caller_worker(spec: dict) -> dict:
    """Place every call of one concurrency level; return the caller-side results."""
    import ivr.fakepbx.pbx as pbx_module

    pbx_module.AudioSocketCaller = RecordingCaller  # the PBX builds its callers from this name
    greeting, reply = (split_frames(read_bytes(spec[key])) for key in ("greeting_pcm", "reply_pcm"))
    utterances = [read_bytes(path) for path in spec["utterances"]]
    pbx = pbx_module.FakePbx("127.0.0.1", spec["agi_port"])
    lines, per_line = spec["lines"], spec["calls_per_line"]
    barge_frames = round(spec["min_barge_in"] / FRAME)
    results: list[dict] = []

    async def line(i: int) -> None:
        await asyncio.sleep(spec["stagger"] * i / lines)
        for c in range(per_line):
            script, spans = call_script(
                i * per_line + c, utterances, spec["gap"], spec["barge_at"], barge_frames
            )
            length = sum(
                len(x.pcm) / 16000 if isinstance(x, Speech) else getattr(x, "seconds", 0) for x in script
            )
            result = await pbx.call(script, max_seconds=length + 60, language=spec["language"])
            row = {
                "uuid": result.call_uuid,
                "as_result": result.audiosocket_result,
                "next_step": result.next_step,
            }
            if result.caller is not None:
                row.update(analyse(result.caller, spans, greeting, reply, spec["min_barge_in"]))
            results.append(row)

    cpu0 = cpu_seconds()
    print("START", flush=True)
    await asyncio.gather(*(line(i) for i in range(lines)))
    return {"calls": results, "cpu": cpu_seconds() - cpu0}


def cpu_seconds() -> float:
    """User + system CPU time of this process (all its threads)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
