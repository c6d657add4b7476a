"""`bench_calls.py --no-asr`: an engine that skips recognition, to measure what the rest of a call costs.

Every utterance "recognises" as the same fixed text at once, without a model: the fixed-reply bot of the
benchmark answers it the same way as a real transcript. Everything else of a call runs as usual (VAD,
endpointing, speculation bookkeeping, pacing, AGI, AudioSocket, storage, the event loop), so the
service's CPU time is the cost of a call without ASR. Benchmark only: the figures it gives are labelled.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from asr.engine import Partial, Transcript
from asr.pool import DecodeLoad
from asr.registry import EngineSpec

TEXT = "recognition skipped"


class SkippedStream:
    """Counts the audio fed to it; finish() returns the fixed text."""

    def __init__(self, rate: int) -> None:
        self.rate, self.samples = rate, 0

    async def feed(self, pcm: bytes) -> Partial | None:
        """Note the audio length only."""
        self.samples += len(pcm) // 2
        return None

    async def finish(self) -> Transcript:
        """The fixed text, decoded in no time."""
        seconds, self.samples = self.samples / self.rate, 0
        return Transcript(TEXT, 1.0, (), "skipped", seconds, 0.0)

    def close(self) -> None:
        """Nothing to free."""


class SkippedAsr:
    """An utterance engine with no model: `new_stream()` gives a SkippedStream."""

    name = "skipped"
    streaming = False

    def __init__(self) -> None:
        self.load = DecodeLoad(1)

    def new_stream(
        self, rate: int, *, grammar: Sequence[str] | None = None, hints: Sequence[str] | None = None
    ) -> SkippedStream:
        """A stream that recognises nothing."""
        return SkippedStream(rate)

    def close(self) -> None:
        """Nothing to free."""


@dataclass(frozen=True, slots=True)
class SkippedOptions:
    """It takes no `asr:` setting."""


def _no_model(model: str | None, language: str, models_dir: Path) -> Path:
    """There is no model to find: the models folder stands in for it (the loader caches by path)."""
    return models_dir


# Registered by call_service for --no-asr (asr.registry.register), then chosen as `asr.engine: skipped`.
SPEC = EngineSpec(
    "skipped", streams=False, options=SkippedOptions, resolve=_no_model, build=lambda p, o: SkippedAsr()
)
