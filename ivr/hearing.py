"""What a conversation hears (utterances, digits, silence) and the recognisers it keeps per grammar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from asr.engine import AsrEngine, RecognizerStream, Transcript
from asr.speculation import Grammar, Speculation, grammar_key

# Audio a streaming recogniser is fed at once: 8 frames, not 1, cuts per-call executor round trips 8-fold
# and adds at most this much audio to decode when the turn ends (it is decoded after end_silence anyway).
STREAM_BATCH_SECONDS = 0.16
# Silence after the last voiced frame a recogniser is given: Kaldi needs ~0.3 s after a word to settle
# on it (its partial comes then), while the rest of end_silence would only cost decoding time (the Korean
# Vosk model takes ~0.5 s of CPU per second of audio).
MAX_TRAILING_SECONDS = 0.3


@dataclass(frozen=True)
class HeardUtterance:
    """An endpointed utterance, with the monotonic time its speech ended."""

    audio: bytes
    duration: float
    ended_monotonic: float
    started_wall: datetime
    ended_wall: datetime
    stream: RecognizerStream | None = None  # a streaming recogniser already fed `fed` bytes of `audio`
    fed: int = 0
    grammar: Grammar = None  # the grammar `stream` was opened with
    speculation: Speculation | None = None  # a decode of this utterance started before its turn ended


@dataclass(frozen=True)
class HeardDigit:
    """A keypad digit."""

    digit: str
    at_wall: datetime


@dataclass(frozen=True)
class HeardNothing:
    """The no-input time passed with no speech."""


def open_stream(
    asr: AsrEngine,
    rate: int,
    grammar: list[str] | None,
    spares: dict[Grammar, RecognizerStream],
    hints: list[str] | None = None,
) -> tuple[RecognizerStream, Grammar]:
    """The spare recogniser for this grammar (taken out of `spares`) or a new one, with the grammar's key.

    Spares are kept per grammar only: the streaming engine (Vosk) has no use for hints.
    """
    key = grammar_key(grammar)
    spare = spares.pop(key, None)
    return spare or asr.new_stream(rate, grammar=list(key) if key else None, hints=hints), key


async def recognise(
    heard: HeardUtterance,
    asr: AsrEngine,
    rate: int,
    grammar: list[str] | None,
    spares: dict[Grammar, RecognizerStream],
    hints: list[str] | None = None,
) -> Transcript:
    """Decode what the recogniser has not heard yet; a streaming one goes back to `spares` for reuse."""
    stream = heard.stream or asr.new_stream(rate, grammar=grammar, hints=hints)
    reusable = False
    try:
        if rest := heard.audio[heard.fed :]:
            await stream.feed(rest)
        transcript = await stream.finish()
        reusable = heard.stream is not None
        return transcript
    finally:
        if reusable and heard.grammar not in spares:
            spares[heard.grammar] = stream
        else:
            stream.close()


def close_streams(*streams: RecognizerStream | None) -> None:
    """Close every recogniser given (None entries are skipped)."""
    for stream in streams:
        if stream is not None:
            stream.close()
