"""Decoders in worker processes, and the decode load that admission control reads.

How this works
--------------
`WhisperPool` runs N worker processes (N = cores by default), each holding its own model with one
CTranslate2 thread, so decodes never compete with the event loop for the interpreter lock. Requests
carry the raw call audio (resampling happens in the worker too) and go through a
`ProcessPoolExecutor`; the executor's own thread sets the result and `asyncio.wrap_future` hands it to
the loop, which therefore never blocks. At most `max_pending` requests are submitted at once (the rest
wait their turn on an asyncio semaphore: the bounded queue); a request cancelled before a worker took it
(a discarded speculation) costs nothing. If a worker dies, the pool is rebuilt and the requests in
flight fail (their calls fall through to the fallback queue); later requests go to the new workers.

`DecodeLoad` keeps the figures of every decode, whichever engine: requests waiting or running, the
queue wait of each (submit -> a worker started it, timed with CLOCK_MONOTONIC, which all processes
share) and a moving average of the decode time. `backlog_seconds()` estimates how long a request
submitted now would wait; admission control refuses new calls while it is over its bound.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import dataclasses
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from asr.engine import Alternative, Recognised

log = logging.getLogger(__name__)
T = TypeVar("T")

_EWMA = 0.2  # weight of the newest decode time in the moving average
_WAITS_KEPT = 2048  # queue waits kept for percentiles (metrics and benchmarks)
WORKER_NICE = 5  # default: decoder processes yield the CPU to the service process (~1/3 of its weight)


class DecodeLoad:
    """Requests in flight, queue waits and decode times of one engine's decoders."""

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)
        self.pending = 0  # submitted, not finished (waiting + running)
        self.decode_average = 0.0  # seconds a worker spends on one request
        self.waits: collections.deque[float] = collections.deque(maxlen=_WAITS_KEPT)
        self.decodes = 0
        self.cpu_seconds = 0.0  # CPU the decodes took (worker process or decode thread)
        self.busy_seconds = 0.0  # decoder time the decodes took (wall time in a worker)

    def submitted(self) -> None:
        """A request went to the decoders."""
        self.pending += 1

    def finished(
        self, *, queue_wait: float | None = None, decode: float | None = None, cpu: float = 0.0
    ) -> None:
        """A request ended (with its figures when it ran; without them when it was cancelled or failed)."""
        self.pending = max(0, self.pending - 1)
        self.cpu_seconds += cpu
        if queue_wait is not None:
            self.waits.append(max(0.0, queue_wait))
        if decode is not None:
            self.busy_seconds += decode
            self.decodes += 1
            self.decode_average += (decode - self.decode_average) * (1.0 if self.decodes == 1 else _EWMA)

    def backlog_seconds(self) -> float:
        """Estimated wait of a request submitted now: the requests ahead of it beyond the workers."""
        queued = max(0, self.pending - self.workers)
        return queued * self.decode_average / self.workers

    def wait_percentile(self, q: float) -> float:
        """The q-th percentile (0-100) of the recent queue waits, 0 when there were none."""
        if not self.waits:
            return 0.0
        ordered = sorted(self.waits)
        return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


async def run_counted(
    load: DecodeLoad, executor: concurrent.futures.Executor, fn: Callable[..., T], *args
) -> T:
    """Run a blocking decode step in `executor`, noting its queue wait and run time in `load`."""
    submitted = time.monotonic()
    times: list[float] = []

    def timed() -> T:
        times.append(time.monotonic())
        cpu = time.thread_time()
        try:
            return fn(*args)
        finally:
            times.extend((time.monotonic(), time.thread_time() - cpu))

    load.submitted()
    try:
        return await asyncio.get_running_loop().run_in_executor(executor, timed)
    finally:
        if len(times) == 3:
            load.finished(queue_wait=times[0] - submitted, decode=times[1] - times[0], cpu=times[2])
        else:
            load.finished()


@dataclass(frozen=True, slots=True)
class WorkerResult(Recognised):
    """What a worker sends back for one request (picklable)."""

    window_frames: int
    started: float  # time.monotonic() when the worker took the request
    decode_seconds: float  # wall time in the worker
    cpu_seconds: float  # CPU time of the worker for this request
    queue_seconds: float = 0.0  # submitted -> taken by a worker (filled in on the event loop side)
    alternatives: tuple[Alternative, ...] = ()


# ----- worker process side ----------------------------------------------------------------------------

_decoder = None


def _init_worker(
    model_path: str,
    compute_type: str,
    threads: int,
    language: str,
    min_frames: int,
    nice: int,
    beam_size: int,
    alternatives: int,
    beam_text: bool,
) -> None:
    """Load this process's model (runs once in each worker)."""
    global _decoder
    import numpy as np
    from faster_whisper import WhisperModel

    from asr.whisper_decode import WindowDecoder

    # Pacing 20 ms frames must never wait behind a decode: the event loop's process gets the CPU first.
    os.nice(nice)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    model = WhisperModel(model_path, device="cpu", compute_type=compute_type, cpu_threads=threads)
    _decoder = WindowDecoder(
        model,
        language=language,
        min_frames=min_frames,
        beam_size=beam_size,
        alternatives=alternatives,
        beam_text=beam_text,
    )
    _decoder.decode(np.zeros(16000, dtype=np.float32))  # CTranslate2 sets up on its first decode


def _exit_with_parent(parent: int) -> None:
    """End this worker when the service dies without stopping it (kill -9): nobody else would."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def _decode(pcm: bytes, rate: int, hints: tuple[str, ...] | None, alternatives: bool = True) -> WorkerResult:
    """Resample and decode one utterance in the worker (`alternatives=False`: skip the n-best pass)."""
    from asr.whisper_decode import resample

    started, cpu = time.monotonic(), time.process_time()
    if _decoder is None:
        raise RuntimeError("decoder worker was not initialised")
    decoded = _decoder.decode(resample(pcm, rate), hints, alternatives=alternatives)
    return WorkerResult(
        decoded.text,
        decoded.confidence,
        decoded.words,
        decoded.window_frames,
        started,
        time.monotonic() - started,
        time.process_time() - cpu,
        alternatives=decoded.alternatives,
    )


def _ready() -> int:
    """A no-op request: answered once the worker's initialiser (the model load) is done."""
    return os.getpid()


# ----- event loop side --------------------------------------------------------------------------------


class WhisperPool:
    """N worker processes, each with its own Whisper model; `decode()` is awaited on the event loop."""

    def __init__(
        self,
        model_path: Path,
        *,
        workers: int | None = None,
        threads: int = 1,
        compute_type: str = "int8",
        language: str = "en",
        min_frames: int | None = None,
        max_pending: int | None = None,
        nice: int = WORKER_NICE,
        beam_size: int | None = None,
        alternatives: int | None = None,
        beam_text: bool = True,
    ) -> None:
        from asr.whisper_decode import ALTERNATIVES, BEAM_SIZE, MIN_WINDOW_FRAMES

        self.workers = workers or os.cpu_count() or 1
        self.max_pending = max_pending or self.workers * 16
        self._initargs = (
            str(model_path),
            compute_type,
            threads,
            language,
            min_frames or MIN_WINDOW_FRAMES,
            nice,
            BEAM_SIZE if beam_size is None else beam_size,
            ALTERNATIVES if alternatives is None else alternatives,
            beam_text,
        )
        self.load = DecodeLoad(self.workers)
        self._slots: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None  # per event loop
        self._executor: concurrent.futures.ProcessPoolExecutor | None = None
        self._closed = False
        self._start()

    def _new_executor(self) -> concurrent.futures.ProcessPoolExecutor:
        """The worker processes (started on the first submissions)."""
        return concurrent.futures.ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),  # never fork a process that runs threads
            initializer=_init_worker,
            initargs=self._initargs,
        )

    def _start(self) -> None:
        """Start the workers and wait until they have loaded their model (a load error surfaces here)."""
        self._executor = self._new_executor()
        for future in [self._executor.submit(_ready) for _ in range(self.workers)]:
            future.result()

    def _slot(self) -> asyncio.Semaphore:
        """The semaphore bounding requests out, for the running loop (tests run one loop per test)."""
        loop = asyncio.get_running_loop()
        if self._slots is None or self._slots[0] is not loop:
            self._slots = (loop, asyncio.Semaphore(self.max_pending))
        return self._slots[1]

    async def decode(self, pcm: bytes, rate: int, hints: Sequence[str] | None = None) -> WorkerResult:
        """Decode one utterance in a worker; waits for a slot while `max_pending` requests are out."""
        if self._closed or self._executor is None:
            raise RuntimeError("the Whisper decoder pool is closed")
        slots = self._slot()
        submitted = time.monotonic()
        # The n-best pass costs 10-35 % of a decode: worth it while a decoder is free, not while callers'
        # turns queue for one (under load the best transcript alone keeps everybody's latency).
        spare = self.load.pending < self.workers
        self.load.submitted()
        result: WorkerResult | None = None
        try:
            async with slots:
                executor = self._executor
                try:
                    future = executor.submit(_decode, pcm, rate, tuple(hints) if hints else None, spare)
                    result = await asyncio.wrap_future(future)
                except BrokenProcessPool:
                    self._rebuild(executor)
                    raise
            result = dataclasses.replace(result, queue_seconds=max(0.0, result.started - submitted))
            return result
        finally:
            if result is None:
                self.load.finished()
            else:
                self.load.finished(
                    queue_wait=result.queue_seconds, decode=result.decode_seconds, cpu=result.cpu_seconds
                )

    def _rebuild(self, broken: concurrent.futures.ProcessPoolExecutor) -> None:
        """A worker died: replace the pool once (several failing requests see the same broken one)."""
        if self._executor is not broken or self._closed:
            return
        log.error("an ASR worker process died; restarting the decoder pool")
        broken.shutdown(wait=False, cancel_futures=True)
        self._executor = self._new_executor()

    def worker_pids(self) -> list[int]:
        """Process ids of the live workers (tests, metrics)."""
        executor = self._executor
        return sorted(executor._processes) if executor is not None else []

    def close(self) -> None:
        """Stop the workers; requests still queued are cancelled."""
        self._closed = True
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
