"""The ASR engine registry: each engine module declares an `EngineSpec` and registers it here.

How this works: an engine module (asr/whisper_engine.py, asr/vosk_engine.py) ends with
`register(EngineSpec(...))`: its name, its options model (the `asr:` settings it takes), its model
resolver (configured name or path -> validated model folder), its factory and whether it streams. The
modules listed in BUILTIN_MODULES are imported on the first lookup, so the config's engine choice, the
loader and `ivr check` all read the same list. A new engine is one new module plus its line in
BUILTIN_MODULES; nothing else names the engines. Engine modules keep their heavy imports (vosk,
faster-whisper) inside functions, so a lookup stays cheap.
"""

from __future__ import annotations

import dataclasses
import importlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asr.engine import AsrEngine, ModelLoadError
from asr.models import default_models_dir

BUILTIN_MODULES = ("asr.whisper_engine", "asr.vosk_engine")


@dataclass(frozen=True, slots=True)
class DecoderOptions:
    """The `asr:` settings every engine may take; an engine's options model picks the ones it uses."""

    language: str = "en"
    workers: int | None = None  # decoder processes or threads; None: one per core
    threads: int | None = None  # per decoder process
    nice: int | None = None  # added to the decoder processes' nice value
    beam_size: int | None = None  # Whisper's beam; None: asr.whisper_decode.BEAM_SIZE (1 is greedy)
    alternatives: int | None = None  # n-best alternatives per transcript; None: ALTERNATIVES
    beam_text: bool = True  # the transcript is the beam's best (else a greedy pass's)
    sounds_like: str = "auto"  # a table of the recogniser's near misses: auto, off or a path


# (configured model name or path or None, language, models folder) -> a validated model folder
Resolver = Callable[[str | None, str, Path], Path]
# (validated model folder, the engine's options) -> a loaded engine
Factory = Callable[[Path, Any], AsrEngine]


@dataclass(frozen=True, slots=True)
class EngineSpec:
    """What one engine module declares about itself."""

    name: str
    streams: bool  # partial results while the caller speaks (Vosk) or one decode per utterance (Whisper)
    options: type  # a frozen dataclass whose fields are a subset of DecoderOptions'
    resolve: Resolver
    build: Factory

    def make_options(self, options: DecoderOptions) -> Any:
        """This engine's options model, filled from the `asr:` settings it declares."""
        names = {f.name for f in dataclasses.fields(self.options)}
        return self.options(**{k: v for k, v in dataclasses.asdict(options).items() if k in names})


_specs: dict[str, EngineSpec] = {}
_lock = threading.Lock()
_builtins_loaded = False


def register(spec: EngineSpec) -> EngineSpec:
    """Add an engine; registering another engine under a taken name is a programming error."""
    with _lock:
        known = _specs.get(spec.name)
        if known is not None and known is not spec:
            raise ValueError(f"ASR engine {spec.name!r} is registered twice")
        _specs[spec.name] = spec
    return spec


def unregister(name: str) -> None:
    """Remove an engine (tests that register one of their own)."""
    with _lock:
        _specs.pop(name, None)


def _load_builtins() -> None:
    """Import the built-in engine modules once; each registers itself on import."""
    global _builtins_loaded
    if not _builtins_loaded:
        for module in BUILTIN_MODULES:
            importlib.import_module(module)
        _builtins_loaded = True


def engine_names() -> tuple[str, ...]:
    """Every registered engine name, sorted."""
    _load_builtins()
    return tuple(sorted(_specs))


def engine_spec(name: str) -> EngineSpec:
    """The spec of engine `name`; ModelLoadError naming the choices when there is none."""
    _load_builtins()
    spec = _specs.get(name)
    if spec is None:
        raise ModelLoadError(
            None, f"unknown ASR engine {name!r}", f"choose one of {', '.join(engine_names())}"
        )
    return spec


def resolve_model(
    engine: str, model: str | None, *, language: str = "en", models_dir: Path | None = None
) -> Path:
    """Turn a configured model (None, a name or a path) into the engine's validated model directory."""
    return engine_spec(engine).resolve(model, language, models_dir or default_models_dir())
