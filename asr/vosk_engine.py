"""Vosk (Kaldi) streaming recognition: one vosk.Model per process, one KaldiRecognizer per call.

How this works: each `feed()` runs AcceptWaveform in the engine's thread pool and returns the changed
partial. Vosk also endpoints by itself on long pauses; the text it finalises then is kept as a segment
of the current utterance, so our endpointer alone decides where a turn ends. `finish()` takes
FinalResult, joins it with those segments and rebases the word times (Vosk counts them from the start
of the stream) onto the start of the utterance.

Why threads here, when Whisper decodes in worker processes: a Vosk recogniser is stateful for the whole
call (it is fed every 160 ms and keeps its lattice between feeds), so in worker processes each call
would have to be pinned to one process for its whole life, with a round trip per feed and the model
loaded once per process. Threads lose nothing to that: the vosk binding calls libvosk through cffi,
which releases the interpreter lock for the whole C call, so Kaldi decodes in parallel with the event
loop and only the microseconds of JSON parsing hold the lock; all recognisers share one model in memory.
The pool has `workers` threads (cores by default) and its `load` feeds admission control as Whisper's does.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from asr.engine import ModelLoadError, Partial, Transcript, Word
from asr.errors import RecognizerUsageError
from asr.models import VOSK_HINT, resolve_vosk_model, validate_vosk_model_dir
from asr.pool import DecodeLoad, run_counted
from asr.registry import EngineSpec, register

if TYPE_CHECKING:
    import vosk

log = logging.getLogger(__name__)

SUPPORTED_RATES = (8000, 16000)
UNKNOWN_WORD = "[unk]"
MAX_CACHED_GRAMMARS = 256
PARTIAL_INTERVAL = 0.1  # seconds of audio between partials: each PartialResult walks the lattice


class VoskEngine:
    """A loaded Vosk model; `new_stream()` gives each call its own recognizer."""

    name = "vosk"
    streaming = True

    def __init__(
        self,
        model_path: Path | str,
        *,
        partial_interval: float = PARTIAL_INTERVAL,
        workers: int | None = None,
    ):
        self.partial_interval = partial_interval
        workers = workers or os.cpu_count() or 1
        self.load = DecodeLoad(workers)
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="vosk-decode")
        self.model_path = validate_vosk_model_dir(Path(model_path))
        import vosk  # here, not at the top: looking the engine up in asr.registry loads no libvosk

        vosk.SetLogLevel(-1)  # Kaldi's info lines would flood the service log
        try:
            self._model: vosk.Model | None = vosk.Model(str(self.model_path))
        except Exception as exc:  # vosk raises a bare Exception("Failed to create a model")
            raise ModelLoadError(self.model_path, f"Vosk could not load the model: {exc}", VOSK_HINT) from exc
        self._has_unk = self._model.vosk_model_find_word(UNKNOWN_WORD) != -1
        self._grammars: dict[tuple[str, ...], str] = {}  # flows reuse a few grammars: check each once

    def new_stream(
        self, rate: int, *, grammar: Sequence[str] | None = None, hints: Sequence[str] | None = None
    ) -> VoskStream:
        """Open a recognizer at 8000 or 16000 Hz, restricted to `grammar` phrases if given; no hints."""
        if rate not in SUPPORTED_RATES:
            raise RecognizerUsageError(f"Vosk streams take 8000 or 16000 Hz audio, not {rate}")
        model = self._model
        if model is None:
            raise RecognizerUsageError("VoskEngine is closed")
        grammar_json = self.grammar_json(grammar) if grammar else None

        def make() -> vosk.KaldiRecognizer:
            import vosk

            args = (model, float(rate)) if grammar_json is None else (model, float(rate), grammar_json)
            recognizer = vosk.KaldiRecognizer(*args)
            recognizer.SetWords(True)
            return recognizer

        return VoskStream(make, rate, self, partial_every_bytes=int(self.partial_interval * rate) * 2)

    async def run(self, fn: Callable, *args):
        """Run one blocking recogniser step in the engine's threads, counted in `load`."""
        return await run_counted(self.load, self._executor, fn, *args)

    def grammar_json(self, grammar: Sequence[str]) -> str:
        """The JSON phrase list for Vosk, plus "[unk]" when the model has it so OOV speech is not forced."""
        key = tuple(grammar)
        cached = self._grammars.get(key)
        if cached is not None:
            return cached
        phrases = [" ".join(p.lower().split()) for p in grammar if p.strip()]
        missing = sorted({w for p in phrases for w in p.split() if not self.knows_word(w)})
        if missing:
            log.warning(
                "grammar words not in the Vosk model %s (ignored by Vosk): %s", self.model_path, missing
            )
        cached = json.dumps([*phrases, UNKNOWN_WORD] if self._has_unk else phrases, ensure_ascii=False)
        if len(self._grammars) < MAX_CACHED_GRAMMARS:
            self._grammars[key] = cached
        return cached

    def knows_word(self, word: str) -> bool:
        """True when the word is in the model's vocabulary (grammar words outside it are dropped)."""
        model = self._model
        return model is not None and model.vosk_model_find_word(word) != -1

    def close(self) -> None:
        """Drop the model; open recognizers keep their own reference to it inside Vosk."""
        self._model = None
        self._executor.shutdown(wait=False, cancel_futures=True)


class VoskStream:
    """One call's Vosk recognizer; feeds are decoded in the executor, one at a time."""

    def __init__(
        self,
        make_recognizer: Callable[[], vosk.KaldiRecognizer],
        rate: int,
        engine: VoskEngine,
        *,
        partial_every_bytes: int = 0,
    ):
        self._make_recognizer = make_recognizer
        self._engine = engine
        self._partial_every = partial_every_bytes
        self._since_partial = 0
        self._recognizer: vosk.KaldiRecognizer | None = None
        self._rate = rate
        self._lock = asyncio.Lock()
        self._closed = False
        self._carry = b""  # an odd trailing byte waits for its partner so samples stay aligned
        self._segments: list[dict[str, Any]] = []
        self._last_partial = ""
        self._partial_text = ""  # Vosk's latest partial for the part after the last segment
        self._fed_bytes = 0  # since the recognizer was made: Vosk's word times count from there
        self._utterance_start_bytes = 0
        self._decode_seconds = 0.0

    async def feed(self, pcm: bytes) -> Partial | None:
        """Decode 16-bit mono PCM; return the utterance's interim text when it changed."""
        async with self._lock:
            self._check_open()
            data = self._carry + pcm
            cut = len(data) - len(data) % 2
            data, self._carry = data[:cut], data[cut:]
            if not data:
                return None
            self._fed_bytes += len(data)
            text = await self._engine.run(self._accept, data)
            if text == self._last_partial:
                return None
            self._last_partial = text
            return Partial(text)

    async def finish(self) -> Transcript:
        """Final result of the utterance fed since the last finish; the stream then takes the next one."""
        async with self._lock:
            self._check_open()
            result = await self._engine.run(self._final)
            transcript = self._transcript([*self._segments, result])
            self._segments, self._last_partial, self._partial_text, self._carry = [], "", "", b""
            self._since_partial = 0
            self._utterance_start_bytes, self._decode_seconds = self._fed_bytes, 0.0
            return transcript

    def close(self) -> None:
        """Release the recognizer (a decode already running keeps its own reference until it ends)."""
        self._closed = True
        self._recognizer = None

    def _check_open(self) -> None:
        """Feeding a closed stream is our bug, not the caller's."""
        if self._closed:
            raise RecognizerUsageError("recognizer stream is closed")

    def _get_recognizer(self) -> vosk.KaldiRecognizer:
        """Made lazily inside the executor: building one can take tens of milliseconds."""
        if self._recognizer is None:
            self._recognizer = self._make_recognizer()
        return self._recognizer

    def _accept(self, data: bytes) -> str:
        """Executor side of feed(): decode and return the utterance text so far."""
        started = time.perf_counter()
        recognizer = self._get_recognizer()
        self._since_partial += len(data)
        if recognizer.AcceptWaveform(data):
            self._segments.append(json.loads(recognizer.Result()))
            self._partial_text, self._since_partial = "", 0
        elif self._since_partial >= self._partial_every:
            self._partial_text = json.loads(recognizer.PartialResult()).get("partial", "")
            self._since_partial = 0
        self._decode_seconds += time.perf_counter() - started
        return _join([*(s.get("text", "") for s in self._segments), self._partial_text])

    def _final(self) -> dict[str, Any]:
        """Executor side of finish(): flush the decoder and return Vosk's final result."""
        started = time.perf_counter()
        result = json.loads(self._get_recognizer().FinalResult())
        self._decode_seconds += time.perf_counter() - started
        return result

    def _transcript(self, results: list[dict[str, Any]]) -> Transcript:
        """Merge Vosk result dicts into one Transcript with utterance-relative word times."""
        offset = self._utterance_start_bytes / 2 / self._rate
        words = tuple(
            Word(
                text=w["word"],
                start=max(0.0, float(w["start"]) - offset),
                end=max(0.0, float(w["end"]) - offset),
                confidence=float(w.get("conf", 1.0)),
            )
            for r in results
            for w in r.get("result", [])
        )
        confidence = sum(w.confidence for w in words) / len(words) if words else 0.0
        return Transcript(
            text=_join([r.get("text", "") for r in results]),
            confidence=confidence,
            words=words,
            engine="vosk",
            audio_seconds=(self._fed_bytes - self._utterance_start_bytes) / 2 / self._rate,
            decode_seconds=self._decode_seconds,
        )


def _join(parts: list[str]) -> str:
    """Join non-empty text pieces with single spaces."""
    return " ".join(p for p in parts if p)


@dataclass(frozen=True, slots=True)
class VoskOptions:
    """The `asr:` settings Vosk takes: decoder threads in this process."""

    workers: int | None = None


def _build(model_path: Path, options: VoskOptions) -> VoskEngine:
    """The registry's factory."""
    return VoskEngine(model_path, workers=options.workers)


SPEC = register(
    EngineSpec("vosk", streams=True, options=VoskOptions, resolve=resolve_vosk_model, build=_build)
)
