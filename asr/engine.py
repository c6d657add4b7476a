"""The ASR engine interface: one model per process, one recognizer stream per call, decoding off the loop.

How this works: `asr.loader.load_engine()` returns a cached `AsrEngine` (one per engine and model). A call
opens a `RecognizerStream` with `new_stream(rate, grammar=..., hints=...)`, feeds caller audio (16-bit
mono slin) as it arrives and calls `finish()` when the endpointer says the turn is over; `finish()`
returns the final `Transcript` and leaves the stream ready for the next utterance. Whisper decodes in
its own worker processes (asr.pool); Vosk in threads of its own process (asr.vosk_engine says why).
Each stream holds an asyncio lock so its own decodes never overlap, and each engine's `load`
(asr.pool.DecodeLoad) tells admission control how far behind its decoders are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from asr.pool import DecodeLoad


class ModelLoadError(Exception):
    """A model directory is missing or broken; the message names the path and how to get a model."""

    def __init__(self, path: Path | str | None, problem: str, hint: str = ""):
        self.path, self.problem, self.hint = path, problem, hint
        where = f"{path}: " if path is not None else ""
        super().__init__(f"{where}{problem}" + (f" ({hint})" if hint else ""))


@dataclass(frozen=True, slots=True)
class Word:
    """One recognised word with its timing (seconds from the utterance start) and confidence 0..1."""

    text: str
    start: float
    end: float
    confidence: float


@dataclass(frozen=True, slots=True)
class Alternative:
    """Another hypothesis of the same utterance (n-best), with its confidence 0..1 on the same scale."""

    text: str
    confidence: float


@dataclass(frozen=True, slots=True)
class Recognised:
    """What was said in one utterance: its text, confidence 0..1 and words."""

    text: str
    confidence: float
    words: tuple[Word, ...]


@dataclass(frozen=True, slots=True)
class Transcript(Recognised):
    """The final result for one utterance."""

    engine: str
    audio_seconds: float
    decode_seconds: float
    cpu_seconds: float = 0.0  # CPU time the decoder spent (0 when the engine does not measure it)
    queue_seconds: float = 0.0  # time the request waited for a free decoder
    # The decoder's next-best hypotheses, most likely first (Whisper with beam search; empty for Vosk).
    # `text` stays the best one: it is what is stored and shown; the dialogue may act on an alternative.
    alternatives: tuple[Alternative, ...] = ()


@dataclass(frozen=True, slots=True)
class Partial:
    """A changed interim hypothesis during an utterance (streaming engines only)."""

    text: str


@runtime_checkable
class RecognizerStream(Protocol):
    """One call's recognizer: feed audio, finish an utterance, repeat; close when the call ends."""

    async def feed(self, pcm: bytes) -> Partial | None:
        """Add 16-bit mono PCM; return a Partial when the interim text changed, else None."""
        ...

    async def finish(self) -> Transcript:
        """Return the final result for the utterance fed so far and reset for the next one."""
        ...

    def close(self) -> None:
        """Release the recognizer; later feeds raise RecognizerUsageError."""
        ...


@runtime_checkable
class AsrEngine(Protocol):
    """A loaded model that hands out one recognizer stream per call."""

    name: str
    streaming: bool
    load: DecodeLoad  # requests in flight, queue waits, decode times: read by admission control

    def new_stream(
        self, rate: int, *, grammar: Sequence[str] | None = None, hints: Sequence[str] | None = None
    ) -> RecognizerStream:
        """Open a recognizer for audio at `rate` Hz, optionally restricted to `grammar` phrases.

        `hints` are words or phrases the current step expects, most important first: Whisper prompts its
        decoder with them (within a token budget); Vosk ignores them (it has grammars). Give topic words
        (product names, "refund"), never the list of every possible answer: a prompt of the ten digit
        words makes tiny.en answer "three, four, six" to "yes". Closed answers belong in `grammar`.
        """
        ...

    def close(self) -> None:
        """Free the model."""
        ...
