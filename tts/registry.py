"""The TTS engine registry: each engine module declares a `TtsEngineSpec` and registers it here.

How this works: an engine runs inside the worker process (tts.worker), which is started with the engine's
name and builds it with the spec's `create`. The parent side (Synthesizer) reads the spec for the name
that goes into every prompt's cache key. The modules of BUILTIN_MODULES are imported on the first lookup;
a new engine is one module (ending with `register(TtsEngineSpec(...))`) plus its line there.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from tts.errors import TtsError
from tts.protocol import VoiceInfo

BUILTIN_MODULES = ("tts.engine",)


class TtsEngine(Protocol):
    """A blocking engine, one per worker process, one request at a time."""

    def voices(self) -> tuple[VoiceInfo, ...]:
        """Every voice the engine offers."""
        ...

    def synthesize_to_file(self, text: str, voice: str, rate_wpm: int, path: str) -> None:
        """Speak `text` into a mono 16-bit WAV file at `path`."""
        ...

    def self_test(self, path: str) -> None:
        """Synthesise something small, so a broken engine fails at start and not on a call."""
        ...


@dataclass(frozen=True, slots=True)
class TtsEngineSpec:
    """What one TTS engine module declares about itself."""

    name: str  # as written in the config (tts.engine)
    cache_name: str  # part of every prompt's cache key: another engine never reuses this one's audio
    streams: bool  # audio while synthesising (none of ours yet) or a whole file per prompt
    create: Callable[[], TtsEngine]  # runs in the worker process; raises TtsError with a hint
    min_wpm: int
    max_wpm: int


_specs: dict[str, TtsEngineSpec] = {}
_lock = threading.Lock()
_builtins_loaded = False


def register(spec: TtsEngineSpec) -> TtsEngineSpec:
    """Add an engine; registering another engine under a taken name is a programming error."""
    with _lock:
        known = _specs.get(spec.name)
        if known is not None and known is not spec:
            raise ValueError(f"TTS engine {spec.name!r} is registered twice")
        _specs[spec.name] = spec
    return spec


def _load_builtins() -> None:
    """Import the built-in engine modules once; each registers itself on import."""
    global _builtins_loaded
    if not _builtins_loaded:
        for module in BUILTIN_MODULES:
            importlib.import_module(module)
        _builtins_loaded = True


def engine_names() -> tuple[str, ...]:
    """Every registered TTS engine name, sorted."""
    _load_builtins()
    return tuple(sorted(_specs))


def engine_spec(name: str) -> TtsEngineSpec:
    """The spec of engine `name`; TtsError naming the choices when there is none."""
    _load_builtins()
    spec = _specs.get(name)
    if spec is None:
        raise TtsError(f"unknown TTS engine {name!r}: choose one of {', '.join(engine_names())}")
    return spec
