"""Loading ASR engines: one cached engine per engine kind and model path in this process.

Kept apart from asr.engine (the interface every engine module imports) so that the interface imports no
engine and no model resolver: no import circle. Which engines exist is asr.registry's business.
"""

from __future__ import annotations

import atexit
import threading
from pathlib import Path

from asr.engine import AsrEngine
from asr.registry import DecoderOptions, engine_spec, resolve_model

_engines: dict[tuple[str, Path], AsrEngine] = {}
_engines_lock = threading.Lock()


def load_engine(
    engine: str,
    model: str | None,
    *,
    language: str = "en",
    threads: int | None = None,
    workers: int | None = None,
    nice: int | None = None,
    beam_size: int | None = None,
    alternatives: int | None = None,
    beam_text: bool = False,
    models_dir: Path | None = None,
) -> AsrEngine:
    """Load (once per process per engine and model path) and return the ASR engine."""
    spec = engine_spec(engine)  # ModelLoadError for an unknown engine, naming the registered ones
    path = resolve_model(engine, model, language=language, models_dir=models_dir).resolve()
    with _engines_lock:
        cached = _engines.get((engine, path))
        if cached is None:
            options = DecoderOptions(
                language=language,
                workers=workers,
                threads=threads,
                nice=nice,
                beam_size=beam_size,
                alternatives=alternatives,
                beam_text=beam_text,
            )
            cached = spec.build(path, spec.make_options(options))
            if cached.streaming != spec.streams:  # the conversation trusts the spec's word
                cached.close()
                raise TypeError(
                    f"ASR engine {engine!r} streams={cached.streaming}, its spec says {spec.streams}"
                )
            _engines[(engine, path)] = cached
        return cached


def unload_engines(name: str | None = None) -> None:
    """Close and forget every cached engine, or those of engine `name` (service shutdown and tests)."""
    with _engines_lock:
        keys = [key for key in _engines if name is None or key[0] == name]
        engines = [_engines.pop(key) for key in keys]
    for engine in engines:
        engine.close()


# Worker processes are stopped before the interpreter tears its modules down (a pool collected later
# cannot log its own shutdown any more).
atexit.register(unload_engines)
