"""What a Listener says (events for the dialogue) and asks for (decodes to run), as frozen values.

The dialogue sees SpeechStarted, BargeIn, NoInput, UtteranceReady and PartialHeard. Decode and Cancel are
requests for the async side (ivr.listening.decoding), which runs them and hands each result back through
`Listener.decoded()`; Transcribed and TranscriptionFailed answer `Listener.transcribe()`.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from asr.endpointer import NoInput, SpeechStarted
from asr.engine import RecognizerStream, Transcript

__all__ = [
    "BargeIn",
    "Cancel",
    "Decode",
    "DigitHeard",
    "Grammar",
    "Instant",
    "NoInput",
    "Output",
    "PartialHeard",
    "Prompt",
    "RecogniserFailed",
    "SpeechStarted",
    "Transcribed",
    "TranscriptionFailed",
    "Utterance",
    "UtteranceReady",
    "grammar_key",
]

Grammar = tuple[str, ...] | None


def grammar_key(grammar: Sequence[str] | None) -> Grammar:
    """A hashable, comparable form of a bot grammar or hints (None or empty: free speech)."""
    return tuple(grammar) if grammar else None


class Instant(NamedTuple):
    """A moment on both clocks the dialogue uses: monotonic seconds (latencies) and UTC (stored turns)."""

    monotonic: float
    wall: datetime


class Prompt(enum.Enum):
    """What the caller hears from the bot while a frame arrives (the barge-in decision needs it)."""

    SILENT = "silent"
    FIXED = "fixed"  # a sentence that must not be cut (a transfer notice, a goodbye)
    INTERRUPTIBLE = "interruptible"

    @classmethod
    def of(cls, *, playing: bool, interruptible: bool) -> Prompt:
        """The state of a player that is (or is not) playing, and may (or may not) be interrupted."""
        return cls.INTERRUPTIBLE if interruptible else cls.FIXED if playing else cls.SILENT


@dataclass(frozen=True, slots=True)
class BargeIn:
    """The caller spoke over an interruptible prompt for min_barge_in: stop it.

    `reaction` is how long after barging in became due this frame came (0 when it came on that frame).
    """

    at: float
    reaction: float


@dataclass(frozen=True, slots=True)
class DigitHeard:
    """A keypad digit the caller pressed (the conversation queues it with the utterances)."""

    digit: str
    at_wall: datetime


@dataclass(frozen=True, slots=True)
class PartialHeard:
    """A streaming recogniser's interim text for the utterance in progress."""

    text: str


@dataclass(frozen=True, slots=True)
class RecogniserFailed:
    """Feeding the streaming recogniser failed: the call cannot be heard any more."""

    error: Exception


@dataclass(frozen=True, eq=False)
class Speculation:
    """A decode started at a possible end of turn (opaque to the dialogue: see Listener)."""

    decode: Decode
    start: float
    end: float
    grammar: Grammar
    hints: Grammar


@dataclass(frozen=True, eq=False)
class Utterance:
    """An endpointed utterance, ready to be transcribed when the dialogue wants it."""

    audio: bytes = field(repr=False)
    duration: float
    ended_monotonic: float  # when its speech ended, on the monotonic clock (turn latency counts from it)
    started_wall: datetime
    ended_wall: datetime
    stream: RecognizerStream | None = None  # a streaming recogniser already fed `fed` bytes of `audio`
    fed: int = 0
    grammar: Grammar = None  # the grammar `stream` was opened with
    speculation: Speculation | None = None  # a decode of this utterance started before its turn ended


@dataclass(frozen=True, slots=True)
class UtteranceReady:
    """The turn ended: `utterance` waits for `Listener.transcribe()`."""

    utterance: Utterance


@dataclass(frozen=True, eq=False)
class Decode:
    """Run `stream.feed(audio)` (if any audio), then `stream.finish()` if `finish`; close it after if `close`.

    The result (a Partial or None, a Transcript, or the exception raised) goes back to `Listener.decoded()`.
    """

    stream: RecognizerStream
    audio: bytes = field(repr=False)
    finish: bool
    close: bool


@dataclass(frozen=True, slots=True)
class Cancel:
    """Stop running `decode` (its result is no longer wanted); its stream is closed by whoever runs it."""

    decode: Decode


@dataclass(frozen=True, slots=True)
class Transcribed:
    """The transcript of an utterance the dialogue asked for."""

    utterance: Utterance
    transcript: Transcript


@dataclass(frozen=True, slots=True)
class TranscriptionFailed:
    """The utterance could not be decoded (the error the recogniser raised)."""

    utterance: Utterance
    error: Exception


Output = (
    SpeechStarted
    | BargeIn
    | NoInput
    | UtteranceReady
    | PartialHeard
    | RecogniserFailed
    | Decode
    | Cancel
    | Transcribed
    | TranscriptionFailed
)
