"""Prompt cache: synthesized PCM on disk (one WAV per prompt), with an in-memory LRU in front.

How this works: the key is a sha256 of everything that changes the audio. Files are written to a
temporary name, fsynced and renamed into place, so a reader never sees half a file; a file that is
still unreadable (truncated, garbage, wrong format) counts as a miss and is overwritten later.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import uuid
import wave
from collections import OrderedDict
from pathlib import Path

log = logging.getLogger(__name__)

KEY_VERSION = 2  # bump when synthesis or post-processing changes (2: the rate travels with the text)
_WAV_HEADER = 44


class PromptCache:
    """Disk cache of int16 mono PCM prompts keyed by `PromptCache.key(...)`; thread-safe."""

    def __init__(self, directory: Path, memory_items: int = 256):
        if memory_items < 0:
            raise ValueError("memory_items must be >= 0")
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._memory: OrderedDict[str, bytes] = OrderedDict()
        self._memory_items = memory_items
        self._lock = threading.Lock()

    @staticmethod
    def key(engine: str, voice: str, rate_wpm: int, sample_rate: int, text: str) -> str:
        """Cache key for one prompt: sha256 hex of every input that changes the audio."""
        fields = [KEY_VERSION, engine, voice, rate_wpm, sample_rate, text]
        return hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode()).hexdigest()

    def path(self, key: str) -> Path:
        """Where the prompt for `key` lives on disk."""
        if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
            raise ValueError(f"not a cache key: {key!r}")
        return self.directory / f"{key}.wav"

    def peek(self, key: str) -> bytes | None:
        """Memory-only lookup (never touches the disk)."""
        with self._lock:
            hit = self._memory.get(key)
            if hit is not None:
                self._memory.move_to_end(key)
        return hit

    def get(self, key: str) -> bytes | None:
        """PCM for `key` from memory, else from disk; None on a miss or an unreadable file."""
        hit = self.peek(key)
        if hit is not None:
            return hit
        loaded = _load(self.path(key))
        if loaded is not None:
            self._remember(key, loaded)
        return loaded

    def put(self, key: str, pcm: bytes, sample_rate: int = 8000) -> None:
        """Store int16 mono `pcm` atomically on disk and in memory; `sample_rate` goes in the WAV header."""
        if len(pcm) % 2:
            raise ValueError("int16 PCM must have an even number of bytes")
        final = self.path(key)
        tmp = final.with_name(f".{key}.{os.getpid()}.{uuid.uuid4().hex}.tmp")
        try:
            with open(tmp, "wb") as raw:
                with wave.open(raw, "wb") as wav:
                    wav.setnchannels(1)
                    wav.setsampwidth(2)
                    wav.setframerate(sample_rate)
                    wav.writeframes(pcm)
                raw.flush()
                os.fsync(raw.fileno())
            os.replace(tmp, final)
        finally:
            tmp.unlink(missing_ok=True)
        self._remember(key, bytes(pcm))

    def _remember(self, key: str, pcm: bytes) -> None:
        """Insert into the LRU, evicting the least recently used entries."""
        if not self._memory_items:
            return
        with self._lock:
            self._memory[key] = pcm
            self._memory.move_to_end(key)
            while len(self._memory) > self._memory_items:
                self._memory.popitem(last=False)


def _load(path: Path) -> bytes | None:
    """Read a cached WAV, or None if it is missing or not exactly what `put` writes."""
    try:
        size = path.stat().st_size
        with wave.open(str(path), "rb") as wav:
            shape = (wav.getnchannels(), wav.getsampwidth(), wav.getcomptype())
            frames = wav.getnframes()
            pcm = wav.readframes(frames)
    except FileNotFoundError:
        return None
    except (OSError, EOFError, wave.Error) as exc:
        log.warning("ignoring unreadable TTS cache file %s: %s", path, exc)
        return None
    if shape != (1, 2, "NONE") or len(pcm) != frames * 2 or size != _WAV_HEADER + len(pcm):
        log.warning("ignoring corrupt TTS cache file %s", path)
        return None
    return pcm
