"""Parent side of the TTS worker: `TtsWorker` drives one `python -m tts.worker` process, a pool drives N.

How this works: a worker handles one request at a time (an asyncio.Lock). The process is spawned on
first use (or by `start`). If it exits, it is respawned and the request retried once. If it does not
answer within the request timeout it is killed and `TtsError` raised; the next request spawns a fresh
one. WAV files land in a private temporary folder and are read and deleted off the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path

from tts.engine import MISSING_HINT
from tts.errors import TtsError, WorkerProtocolError
from tts.protocol import Failed, Hello, LineDecoder, ListVoices, Message, Sleep, Synthesize, VoiceInfo, encode
from tts.protocol import Voices as VoicesReply
from tts.resample import read_wav

log = logging.getLogger(__name__)
_PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent)


class _WorkerDied(Exception):
    """The worker process closed its stdout."""


class TtsWorker:
    """One TTS worker process, spawned lazily, restarted after a crash or a hang."""

    def __init__(
        self,
        *,
        request_timeout: float = 20.0,
        start_timeout: float = 15.0,
        env: Mapping[str, str] | None = None,
        engine: str = "pyttsx3",  # a name of tts.registry, built inside the worker process
    ):
        self.engine = engine
        self.request_timeout = request_timeout
        self.start_timeout = start_timeout
        self._env = dict(env or {})
        self._proc: asyncio.subprocess.Process | None = None
        self._decoder = LineDecoder()
        self._pending: list[Message] = []
        self._lock = asyncio.Lock()
        self._ids = itertools.count(1)
        self._tmpdir: Path | None = None  # created with the first process, removed by close()
        self.requests = 0  # requests of any kind sent to a worker process
        self.syntheses = 0  # synthesize() calls that reached this worker, for tests and metrics
        self.spawns = 0

    @property
    def pid(self) -> int | None:
        """Pid of the live worker process, if any."""
        return self._proc.pid if self._proc and self._proc.returncode is None else None

    async def start(self) -> None:
        """Spawn the process now (instead of on first request); TtsError if the engine cannot load."""
        async with self._lock:
            await self._ensure_running()

    async def synthesize(self, text: str, voice: str, rate_wpm: int) -> tuple[bytes, int]:
        """Speak `text`; return (int16 mono PCM, its sample rate) as produced by the engine."""
        path = self._scratch() / f"{next(self._ids)}.wav"
        self.syntheses += 1
        try:
            request = lambda i: Synthesize(i, text, voice, rate_wpm, str(path))  # noqa: E731
            await self._request(request, self.request_timeout)
            try:
                return await asyncio.to_thread(read_wav, path)
            except (OSError, ValueError) as exc:
                raise TtsError(f"TTS worker wrote an unreadable WAV: {exc}") from exc
        finally:
            path.unlink(missing_ok=True)

    async def voices(self) -> tuple[VoiceInfo, ...]:
        """Voices offered by the engine."""
        reply = await self._request(ListVoices, self.request_timeout)
        assert isinstance(reply, VoicesReply)
        return reply.voices

    async def sleep(self, seconds: float, limit: float | None = None) -> None:
        """Test hook: block the worker for `seconds`, waiting at most `limit` (needs IVR_TTS_TEST_HOOKS=1)."""
        await self._request(lambda i: Sleep(i, seconds), limit or self.request_timeout)

    async def close(self) -> None:
        """Stop the process and remove the temporary folder."""
        async with self._lock:
            await self._stop(graceful=True)
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def _scratch(self) -> Path:
        """Private folder where the worker writes its WAV files."""
        if self._tmpdir is None:
            self._tmpdir = Path(tempfile.mkdtemp(prefix="ivr-tts-"))
        return self._tmpdir

    async def _request(self, build: Callable[[int], Message], limit: float) -> Message:
        """Send one request, retrying once on a fresh process if the worker died under it."""
        async with self._lock:
            for attempt in (1, 2):
                await self._ensure_running()
                msg = build(next(self._ids))
                self.requests += 1
                try:
                    reply = await asyncio.wait_for(self._exchange(msg), limit)
                except TimeoutError:
                    await self._stop(graceful=False)
                    raise TtsError(f"TTS worker gave no answer within {limit:g}s; it was killed") from None
                except _WorkerDied:
                    await self._stop(graceful=False)
                    if attempt == 2:
                        raise TtsError("TTS worker died twice in a row") from None
                    log.warning("TTS worker died; restarting it")
                    continue
                except WorkerProtocolError as exc:
                    await self._stop(graceful=False)
                    raise TtsError(f"TTS worker broke the protocol: {exc}") from exc
                except BaseException:
                    await self._stop(graceful=False)  # cancelled mid-request: its state is unknown
                    raise
                if isinstance(reply, Failed):
                    raise TtsError(reply.error)
                return reply
        raise AssertionError("unreachable")

    async def _exchange(self, msg: Message) -> Message:
        """Write `msg` and read until the reply with its id arrives."""
        assert self._proc and self._proc.stdin
        try:
            self._proc.stdin.write(encode(msg))
            await self._proc.stdin.drain()
        except (BrokenPipeError, ConnectionResetError) as exc:
            raise _WorkerDied from exc
        want = getattr(msg, "id", None)
        while True:
            reply = await self._next_message()
            if getattr(reply, "id", None) == want:
                return reply
            log.warning("TTS worker sent an unexpected %s", type(reply).__name__)

    async def _next_message(self) -> Message:
        """Next decoded message from the worker's stdout."""
        assert self._proc and self._proc.stdout
        while not self._pending:
            chunk = await self._proc.stdout.read(65536)
            if not chunk:
                raise _WorkerDied
            self._pending.extend(self._decoder.feed(chunk))
        return self._pending.pop(0)

    async def _ensure_running(self) -> None:
        """Spawn the worker if none is alive and wait for its Hello."""
        if self._proc is not None and self._proc.returncode is None:
            return
        await self._stop(graceful=False)
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tts.worker",
            self.engine,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=self._child_env(),
            start_new_session=True,  # Ctrl-C on the service's terminal must not hit the worker
        )
        self.spawns += 1
        try:
            hello = await asyncio.wait_for(self._next_message(), self.start_timeout)
        except (TimeoutError, _WorkerDied, WorkerProtocolError) as exc:
            await self._stop(graceful=False)
            raise TtsError(f"TTS worker failed to start ({type(exc).__name__}); {MISSING_HINT}") from exc
        if not isinstance(hello, Hello) or not hello.ok:
            await self._stop(graceful=False)
            raise TtsError(getattr(hello, "error", "") or f"TTS worker failed to start; {MISSING_HINT}")

    def _child_env(self) -> dict[str, str]:
        """Environment of the worker: ours, the caller's overrides, and our package on PYTHONPATH."""
        env = {**os.environ, **self._env}
        parts = [p for p in (env.get("PYTHONPATH", ""), _PACKAGE_ROOT) if p]
        env["PYTHONPATH"] = os.pathsep.join(parts)
        return env

    async def _stop(self, *, graceful: bool) -> None:
        """End the current process (EOF first when graceful, else kill) and reset the stream state."""
        proc, self._proc = self._proc, None
        self._decoder, self._pending = LineDecoder(), []
        if proc is None:
            return
        if proc.returncode is None:
            if graceful and proc.stdin:
                proc.stdin.close()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(proc.wait(), 2.0)
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
        await proc.wait()


class TtsWorkerPool:
    """N workers; each request borrows an idle one."""

    def __init__(self, size: int = 1, **worker_kwargs: object):
        if size < 1:
            raise ValueError("a TTS pool needs at least one worker")
        self.workers = [TtsWorker(**worker_kwargs) for _ in range(size)]  # type: ignore[arg-type]
        self._idle: asyncio.Queue[TtsWorker] = asyncio.Queue()
        for worker in self.workers:
            self._idle.put_nowait(worker)

    @property
    def syntheses(self) -> int:
        """Synthesis requests sent to worker processes so far."""
        return sum(w.syntheses for w in self.workers)

    async def start(self) -> None:
        """Spawn every worker; TtsError if the engine cannot load."""
        await asyncio.gather(*(w.start() for w in self.workers))

    @contextlib.asynccontextmanager
    async def acquire(self) -> AsyncIterator[TtsWorker]:
        """Borrow an idle worker for the duration of the block."""
        worker = await self._idle.get()
        try:
            yield worker
        finally:
            self._idle.put_nowait(worker)

    async def synthesize(self, text: str, voice: str, rate_wpm: int) -> tuple[bytes, int]:
        """Speak `text` on the next idle worker."""
        async with self.acquire() as worker:
            return await worker.synthesize(text, voice, rate_wpm)

    async def close(self) -> None:
        """Stop every worker."""
        await asyncio.gather(*(w.close() for w in self.workers))
