"""Loading ASR engines: one cached engine per engine kind and model path in this process.

Kept apart from asr.engine (the interface every engine module imports) so that the interface imports no
engine and no model resolver: no import circle. Which engines exist is asr.registry's business.
"""

from __future__ import annotations

import atexit
import logging
import threading
from pathlib import Path

from asr.engine import AsrEngine
from asr.registry import DecoderOptions, engine_spec, resolve_model

log = logging.getLogger(__name__)

# (engine, model path) -> the loaded engine and the options it was built with
_engines: dict[tuple[str, Path], tuple[AsrEngine, object]] = {}
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
    beam_text: bool = True,
    sounds_like: str = "auto",
    models_dir: Path | None = None,
) -> AsrEngine:
    """Load (once per process per engine and model path) and return the ASR engine."""
    spec = engine_spec(engine)  # ModelLoadError for an unknown engine, naming the registered ones
    path = resolve_model(engine, model, language=language, models_dir=models_dir).resolve()
    options = spec.make_options(
        DecoderOptions(
            language=language,
            workers=workers,
            threads=threads,
            nice=nice,
            beam_size=beam_size,
            alternatives=alternatives,
            beam_text=beam_text,
            sounds_like=sounds_like,
        )
    )
    with _engines_lock:
        cached, built_with = _engines.get((engine, path), (None, None))
        if cached is None:
            cached = spec.build(path, options)
            if cached.streaming != spec.streams:  # the conversation trusts the spec's word
                cached.close()
                raise TypeError(
                    f"ASR engine {engine!r} streams={cached.streaming}, its spec says {spec.streams}"
                )
            _engines[(engine, path)] = (cached, options)
        elif built_with != options:
            # One engine per model per process (its decoders hold the model): the first options stay.
            log.warning(
                "ASR engine %s (%s) is already loaded with %s; %s is not applied until it is unloaded",
                engine,
                path,
                built_with,
                options,
            )
        return cached


def unload_engines(name: str | None = None) -> None:
    """Close and forget every cached engine, or those of engine `name` (service shutdown and tests)."""
    with _engines_lock:
        keys = [key for key in _engines if name is None or key[0] == name]
        engines = [_engines.pop(key)[0] for key in keys]
    for engine in engines:
        engine.close()


# Worker processes are stopped before the interpreter tears its modules down (a pool collected later
# cannot log its own shutdown any more).
atexit.register(unload_engines)
