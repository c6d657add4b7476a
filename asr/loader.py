"""Loading ASR engines: one cached engine per engine kind and model path in this process.

Kept apart from asr.engine (the interface every engine module imports) so that the interface imports no
engine and no model resolver: no import circle.
"""

from __future__ import annotations

import atexit
import threading
from pathlib import Path

from asr.engine import ENGINES, AsrEngine, ModelLoadError
from asr.models import resolve_model

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
    models_dir: Path | None = None,
) -> AsrEngine:
    """Load (once per process per engine and model path) and return the ASR engine."""
    if engine not in ENGINES:
        raise ModelLoadError(None, f"unknown ASR engine {engine!r}", f"choose one of {', '.join(ENGINES)}")
    path = resolve_model(engine, model, language=language, models_dir=models_dir).resolve()
    with _engines_lock:
        cached = _engines.get((engine, path))
        if cached is None:
            cached = _build(engine, path, threads, workers, nice)
            _engines[(engine, path)] = cached
        return cached


def _build(engine: str, path: Path, threads: int | None, workers: int | None, nice: int | None) -> AsrEngine:
    """Construct one engine; heavy imports stay here so importing asr.loader is cheap."""
    if engine == "vosk":
        from asr.vosk_engine import VoskEngine

        return VoskEngine(path, workers=workers)
    from asr.whisper_engine import WhisperEngine

    return WhisperEngine(path, workers=workers, threads=threads, nice=nice)


def unload_engines() -> None:
    """Close and forget every cached engine (service shutdown and tests)."""
    with _engines_lock:
        engines = list(_engines.values())
        _engines.clear()
    for engine in engines:
        engine.close()


# Worker processes are stopped before the interpreter tears its modules down (a pool collected later
# cannot log its own shutdown any more).
atexit.register(unload_engines)
