"""Synthesizer: text -> cached int16 mono PCM at the call's rate, behind worker processes.

How this works: a prompt's key covers engine, voice, speaking rate, output rate and text. A lookup
tries the memory LRU, then the disk; a miss is synthesised once by a task the Synthesizer owns, so
concurrent callers share it and a caller hanging up does not waste the work. Synthesised audio is
trimmed to at most 50 ms of silence each side, resampled to the call's rate, then stored.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from tts.cache import PromptCache
from tts.client import TtsWorkerPool
from tts.engine import MAX_WPM, MIN_WPM, match_voice
from tts.errors import TtsError
from tts.registry import engine_spec
from tts.resample import resample
from tts.trim import trim_silence

log = logging.getLogger(__name__)
MAX_TEXT_CHARS = 5000  # a prompt, not a book: longer text is a caller bug
MIN_RATE, MAX_RATE = 8000, 192000


@dataclass(frozen=True)
class VoiceSpec:
    """An engine voice ('en-us', 'ko', 'cmn', 'gmw/en-us+f3'...) and its speaking rate in words/minute."""

    voice: str
    rate_wpm: int = 160

    def __post_init__(self) -> None:
        if not self.voice.strip():
            raise ValueError("voice must not be empty")
        if not MIN_WPM <= self.rate_wpm <= MAX_WPM:
            raise ValueError(f"rate_wpm {self.rate_wpm} outside {MIN_WPM}..{MAX_WPM}")


@dataclass(frozen=True)
class WarmReport:
    """Outcome of `Synthesizer.warm`: counts, and (text, language, error) for each failure."""

    synthesised: int
    cached: int
    failed: list[tuple[str, str, str]] = field(default_factory=list)


class Synthesizer:
    """Text-to-speech for calls: cache first, then a pool of pyttsx3/espeak-ng worker processes."""

    def __init__(
        self,
        voices: Mapping[str, VoiceSpec],
        cache_dir: Path,
        *,
        workers: int = 1,
        request_timeout: float = 20.0,
        memory_items: int = 256,
        worker_env: Mapping[str, str] | None = None,
        engine: str = "pyttsx3",
    ):
        self.engine = engine_spec(engine)  # TtsError for an engine nobody registered
        if not voices:
            raise ValueError("configure at least one voice")
        self._voices = {lang.lower(): spec for lang, spec in voices.items()}
        self._default = next(iter(self._voices.values()))
        self._warned: set[str] = set()
        self.cache = PromptCache(Path(cache_dir), memory_items)
        self.pool = TtsWorkerPool(workers, request_timeout=request_timeout, env=worker_env, engine=engine)
        self._inflight: dict[str, asyncio.Task[bytes]] = {}

    @property
    def worker_requests(self) -> int:
        """How many syntheses reached a worker process (cache hits do not)."""
        return self.pool.syntheses

    async def start(self) -> None:
        """Spawn the workers and check every configured voice exists; TtsError otherwise."""
        await self.pool.start()
        async with self.pool.acquire() as worker:
            known = await worker.voices()
        missing = sorted({s.voice for s in self._voices.values() if match_voice(known, s.voice) is None})
        if missing:
            raise TtsError(f"unknown espeak-ng voice(s): {', '.join(missing)}")

    async def close(self) -> None:
        """Cancel in-flight syntheses and stop the workers."""
        tasks = list(self._inflight.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.pool.close()

    def voice_for(self, language: str) -> VoiceSpec:
        """The voice for `language` ('en-US' falls back to 'en'), else the first one with a warning."""
        lang = language.lower().replace("_", "-")
        spec = self._voices.get(lang) or self._voices.get(lang.split("-", 1)[0])
        if spec is not None:
            return spec
        if lang not in self._warned:
            self._warned.add(lang)
            log.warning("no TTS voice for language %r; using %r", language, self._default.voice)
        return self._default

    def cached(self, text: str, language: str, rate: int) -> bytes | None:
        """Cached PCM for this prompt from memory or disk (never starts a synthesis)."""
        return self.cache.get(self._key(text, language, rate))

    async def synthesize(self, text: str, language: str, rate: int) -> bytes:
        """Int16 mono PCM of `text` at `rate` Hz: from the cache, else synthesised once and cached."""
        key = self._key(text, language, rate)
        if not text.strip():
            return b""
        hit = self.cache.peek(key)
        if hit is not None:
            return hit
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.create_task(self._produce(key, text, self.voice_for(language), rate))
            self._inflight[key] = task
            task.add_done_callback(lambda t: self._forget(key, t))
        return await asyncio.shield(task)

    async def warm(self, items: Iterable[tuple[str, str]], rate: int, progress: bool = True) -> WarmReport:
        """Make sure every (text, language) prompt is cached at `rate`; failures are reported, not raised."""
        todo = list(dict.fromkeys(items))
        counts = {"synthesised": 0, "cached": 0}
        failed: list[tuple[str, str, str]] = []
        limit = asyncio.Semaphore(len(self.pool.workers))
        with tqdm(total=len(todo), desc="TTS warm-up", unit="prompt", disable=not progress) as bar:

            async def one(text: str, language: str) -> None:
                async with limit:
                    try:
                        hit = await asyncio.to_thread(self.cached, text, language, rate)
                        if hit is None:
                            await self.synthesize(text, language, rate)
                        counts["cached" if hit is not None else "synthesised"] += 1
                    except (TtsError, ValueError) as exc:
                        failed.append((text, language, str(exc)))
                    bar.update(1)

            await asyncio.gather(*(one(text, lang) for text, lang in todo))
        return WarmReport(counts["synthesised"], counts["cached"], failed)

    def _key(self, text: str, language: str, rate: int) -> str:
        """Validate the request and compute its cache key."""
        if not MIN_RATE <= rate <= MAX_RATE:
            raise ValueError(f"sample rate {rate} outside {MIN_RATE}..{MAX_RATE}")
        if len(text) > MAX_TEXT_CHARS:
            raise ValueError(f"prompt of {len(text)} characters exceeds {MAX_TEXT_CHARS}")
        spec = self.voice_for(language)
        return PromptCache.key(self.engine.cache_name, spec.voice, spec.rate_wpm, rate, text)

    async def _produce(self, key: str, text: str, spec: VoiceSpec, rate: int) -> bytes:
        """Disk lookup, else synthesis + post-processing + store."""
        pcm = await asyncio.to_thread(self.cache.get, key)
        if pcm is not None:
            return pcm
        raw, src_rate = await self.pool.synthesize(text, spec.voice, spec.rate_wpm)
        pcm = await asyncio.to_thread(_postprocess, raw, src_rate, rate)
        if not pcm:  # never cache a silent prompt: every later call would play nothing
            raise TtsError(f"the engine produced no audio for {text[:40]!r}")
        await asyncio.to_thread(self.cache.put, key, pcm, rate)
        return pcm

    def _forget(self, key: str, task: asyncio.Task[bytes]) -> None:
        """Drop a finished task; retrieve its exception so an unawaited failure is not reported twice."""
        if self._inflight.get(key) is task:
            del self._inflight[key]
        if not task.cancelled():
            task.exception()


def _postprocess(raw: bytes, src_rate: int, rate: int) -> bytes:
    """Trim the engine's silence and convert to the call's rate (blocking; run in a thread)."""
    return resample(trim_silence(raw, src_rate), src_rate, rate)
