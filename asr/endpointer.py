"""Pure endpointing: turn (frame, is_speech, duration) into speech-start, end-of-turn and no-input events.

How this works
--------------
The endpointer never reads a clock: stream time is the sum of the durations it is fed (kept in integer
nanoseconds so that 0.02 s frames add up exactly). It is a state machine with three states:

    IDLE ──voiced──▶ ONSET ──voiced run reaches min_speech──▶ SPEECH ──silence ≥ end_silence──▶ IDLE
      ▲                │                                        │
      └──unvoiced──────┘                                        └──length ≥ max_utterance──▶ IDLE

* IDLE: unvoiced frames go into a pre-roll ring holding the last ``pre_roll`` seconds.
* ONSET: a voiced run is held until it lasts ``min_speech``; one unvoiced frame breaks it, so short
  blips never start speech (their frames fall back into the pre-roll ring).
* SPEECH: entered with ``SpeechStarted(at=<first voiced frame of the run>)``. Every frame is buffered;
  unvoiced frames count up a trailing-silence timer that any voiced frame clears. When it reaches
  ``end_silence`` (or the utterance reaches ``max_utterance``) ``UtteranceEnded`` carries the pre-roll,
  the speech and the trailing silence (at most ``end_silence``), with ``end`` = end of the last voiced frame.
  The trailing silence seeds the next pre-roll.
* Speculation (``speculate_after`` > 0 and shorter than ``end_silence``): when the trailing silence
  first reaches ``speculate_after``, ``PossibleEndOfTurn`` carries the utterance so far, so an utterance
  engine (Whisper) can start decoding before the turn really ends. A voiced frame after it emits
  ``SpeechResumed`` (that speculation is stale); the next long enough silence speculates again. The
  ``UtteranceEnded`` that follows a speculation without speech in between has the same ``start`` and
  ``end`` (``PossibleEndOfTurn.matches``): its speech is the same, only more trailing silence follows.

No-input timer: ``listen()`` arms it; it counts only while nobody speaks and ``pause_no_input()`` is not in
force (the bot is talking). It is satisfied (disarmed) when speech starts; if it runs out first,
``NoInput`` fires once. An onset already under way when it runs out defers the verdict until the onset
either becomes speech (no NoInput: speech started in time) or fails. Each turn needs a new ``listen()``.
"""

from __future__ import annotations

import enum
import math
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Literal

_NS = 1_000_000_000


@dataclass(frozen=True, slots=True)
class EndpointingParams:
    """Endpointing thresholds, all in seconds."""

    min_speech: float
    end_silence: float
    max_utterance: float
    no_input: float
    pre_roll: float
    # Trailing silence after which a possible end of turn is announced (0 = off); see the module docstring.
    speculate_after: float = 0.2

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ValueError(f"{f.name} must be a finite number of seconds, got {value!r}")
            if value < 0:
                raise ValueError(f"{f.name} must be >= 0, got {value!r}")
        if self.end_silence <= 0 or self.no_input <= 0:
            raise ValueError("end_silence and no_input must be > 0")
        if self.max_utterance <= self.min_speech:
            raise ValueError("max_utterance must be longer than min_speech")


PRESETS: dict[str, EndpointingParams] = {
    "fast": EndpointingParams(
        min_speech=0.12, end_silence=0.4, max_utterance=15.0, no_input=5.0, pre_roll=0.3, speculate_after=0.15
    ),
    "normal": EndpointingParams(
        min_speech=0.15, end_silence=0.6, max_utterance=20.0, no_input=6.0, pre_roll=0.3, speculate_after=0.2
    ),
    "patient": EndpointingParams(
        min_speech=0.2, end_silence=1.0, max_utterance=20.0, no_input=8.0, pre_roll=0.3, speculate_after=0.4
    ),
}


def params_for(preset: str, overrides: Mapping[str, float] | None = None) -> EndpointingParams:
    """Return the named preset with overrides applied; unknown names or bad values raise ValueError."""
    try:
        base = PRESETS[preset]
    except (KeyError, TypeError):
        expected = sorted(PRESETS)
        raise ValueError(f"unknown endpointing preset {preset!r}; expected one of {expected}") from None
    overrides = dict(overrides or {})
    known = {f.name for f in fields(EndpointingParams)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ValueError(f"unknown endpointing setting(s) {unknown}; expected some of {sorted(known)}")
    return replace(base, **overrides)


@dataclass(frozen=True, slots=True)
class SpeechStarted:
    """Speech confirmed; ``at`` is the stream time its first voiced frame began."""

    at: float


@dataclass(frozen=True, slots=True)
class UtteranceEnded:
    """End of turn: the utterance audio (with pre-roll), its speech start/end times and why it ended."""

    audio: bytes = field(repr=False)
    start: float
    end: float
    reason: Literal["silence", "max-length"]

    @property
    def duration(self) -> float:
        """Seconds from the first to the end of the last voiced frame."""
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class PossibleEndOfTurn:
    """The trailing silence reached speculate_after: the utterance so far, in case the turn ends here."""

    audio: bytes = field(repr=False)
    start: float
    end: float

    def matches(self, ended: UtteranceEnded) -> bool:
        """True when `ended` closes this utterance with no speech after this point."""
        return ended.start == self.start and ended.end == self.end


@dataclass(frozen=True, slots=True)
class SpeechResumed:
    """Speech came back after a PossibleEndOfTurn; ``at`` is when its first voiced frame began."""

    at: float


@dataclass(frozen=True, slots=True)
class NoInput:
    """Nobody spoke within no_input seconds of listen(); ``at`` is the stream time it was decided."""

    at: float


Event = SpeechStarted | UtteranceEnded | NoInput | PossibleEndOfTurn | SpeechResumed


class _State(enum.Enum):
    IDLE = "idle"
    ONSET = "onset"
    SPEECH = "speech"


def _to_ns(seconds: float) -> int:
    return round(seconds * _NS)


class _FrameRing:
    """Frames with their durations, trimmed from the front to the shortest tail covering ``keep_ns``."""

    def __init__(self, keep_ns: int):
        self.keep_ns = keep_ns
        self._frames: deque[tuple[bytes, int]] = deque()
        self._total = 0

    def append(self, frame: bytes, dur: int) -> None:
        self._frames.append((frame, dur))
        self._total += dur
        while self._frames and self._total - self._frames[0][1] >= self.keep_ns:
            self._total -= self._frames.popleft()[1]

    def extend(self, items: list[tuple[bytes, int]]) -> None:
        for frame, dur in items:
            self.append(frame, dur)

    def items(self) -> list[tuple[bytes, int]]:
        return list(self._frames)

    def audio(self) -> bytes:
        return b"".join(frame for frame, _ in self._frames)

    def clear(self) -> None:
        self._frames.clear()
        self._total = 0


class Endpointer:
    """Pure VAD endpointing state machine for one audio stream (see the module docstring)."""

    def __init__(self, params: EndpointingParams):
        self.params = params
        self._min_speech = _to_ns(params.min_speech)
        self._end_silence = _to_ns(params.end_silence)
        self._max_utterance = _to_ns(params.max_utterance)
        self._no_input = _to_ns(params.no_input)
        # Speculating at or past end_silence would only duplicate UtteranceEnded: off then.
        speculate = _to_ns(params.speculate_after)
        self._speculate = speculate if 0 < speculate < self._end_silence else 0
        self._now = 0
        self._preroll = _FrameRing(_to_ns(params.pre_roll))
        self._trailing = _FrameRing(self._end_silence)
        self._clear_speech()
        self._clear_timer()

    # -- public API ---------------------------------------------------------------------------------

    @property
    def stream_time(self) -> float:
        """Seconds of audio fed since creation (reset() does not rewind it)."""
        return self._now / _NS

    @property
    def speaking(self) -> bool:
        """True between SpeechStarted and UtteranceEnded."""
        return self._state is _State.SPEECH

    @property
    def trailing_silence(self) -> float:
        """Seconds since the last voiced frame of the utterance in progress (0 outside speech)."""
        return (self._now - self._last_voiced_end) / _NS if self._state is _State.SPEECH else 0.0

    def utterance_audio_from(self, offset: int, *, max_trailing: float | None = None) -> bytes:
        """The utterance in progress from byte `offset` on (pre-roll included), for streaming ASR.

        `max_trailing` caps the silence after the last voiced frame that is included (in seconds): a
        streaming recogniser need not decode a pause that may yet end the turn; if speech resumes, the
        held-back silence is included again.
        """
        if self._state is not _State.SPEECH:
            return b""
        end = len(self._audio)
        if max_trailing is not None:
            end -= self._trailing_bytes_beyond(_to_ns(max_trailing))
        return bytes(self._audio[offset:end])

    def listen(self) -> None:
        """Start (or restart) the no-input timer now; a caller already speaking satisfies it at once."""
        self._clear_timer()
        self._timer_armed = self._state is not _State.SPEECH

    def pause_no_input(self) -> None:
        """Stop the no-input timer from counting (the bot is speaking); listen() or resume restarts it."""
        self._timer_paused = True

    def resume_no_input(self) -> None:
        """Let a paused no-input timer count on from where it stopped."""
        self._timer_paused = False

    def reset(self) -> None:
        """Drop any onset, utterance, pre-roll and timer; stream time keeps counting."""
        self._preroll.clear()
        self._clear_speech()
        self._clear_timer()

    def feed(self, frame: bytes, is_speech: bool, duration: float) -> list[Event]:
        """Advance by one frame of ``duration`` seconds and return the events it caused."""
        if isinstance(duration, bool) or not math.isfinite(duration) or duration <= 0:
            raise ValueError(f"duration must be a positive number of seconds, got {duration!r}")
        dur = max(1, _to_ns(duration))  # sub-nanosecond frames still move time forward
        began = self._now
        self._now += dur
        events: list[Event] = []
        if self._state is _State.IDLE:
            self._feed_idle(frame, is_speech, dur, began, events)
        elif self._state is _State.ONSET:
            self._feed_onset(frame, is_speech, dur, events)
        else:
            self._feed_speech(frame, is_speech, dur, events)
        self._tick_timer(dur, events)
        return events

    def _trailing_bytes_beyond(self, keep_ns: int) -> int:
        """Bytes of the trailing silence past its first `keep_ns` nanoseconds."""
        covered, beyond = 0, 0
        for frame, dur in self._trailing.items():
            if covered >= keep_ns:
                beyond += len(frame)
            covered += dur
        return beyond

    # -- states -------------------------------------------------------------------------------------

    def _feed_idle(self, frame: bytes, is_speech: bool, dur: int, began: int, events: list[Event]) -> None:
        if not is_speech:
            self._preroll.append(frame, dur)
            return
        self._state = _State.ONSET
        self._onset_start = began
        self._onset_voiced = 0
        self._feed_onset(frame, True, dur, events)

    def _feed_onset(self, frame: bytes, is_speech: bool, dur: int, events: list[Event]) -> None:
        self._onset.append((frame, dur))
        if not is_speech:
            # A blip shorter than min_speech: it becomes pre-roll context, not speech.
            self._preroll.extend(self._onset)
            self._onset = []
            self._state = _State.IDLE
            return
        self._onset_voiced += dur
        if self._onset_voiced >= self._min_speech:
            self._start_speech(events)

    def _start_speech(self, events: list[Event]) -> None:
        self._state = _State.SPEECH
        self._audio = bytearray(self._preroll.audio())
        self._audio += b"".join(frame for frame, _ in self._onset)
        self._preroll.clear()
        self._onset = []
        self._last_voiced_end = self._now
        self._timer_armed = False  # speech started in time: the turn's no-input wait is over
        events.append(SpeechStarted(at=self._onset_start / _NS))
        self._check_max_length(events)

    def _feed_speech(self, frame: bytes, is_speech: bool, dur: int, events: list[Event]) -> None:
        self._audio += frame
        if is_speech:
            if self._speculated:
                self._speculated = False
                events.append(SpeechResumed(at=(self._now - dur) / _NS))
            self._last_voiced_end = self._now
            self._trailing.clear()
        else:
            self._trailing.append(frame, dur)
            silent = self._now - self._last_voiced_end
            if silent >= self._end_silence:
                self._end_utterance("silence", events)
                return
            if self._speculate and not self._speculated and silent >= self._speculate:
                self._speculated = True
                events.append(
                    PossibleEndOfTurn(
                        audio=bytes(self._audio),
                        start=self._onset_start / _NS,
                        end=self._last_voiced_end / _NS,
                    )
                )
        self._check_max_length(events)

    def _check_max_length(self, events: list[Event]) -> None:
        if self._now - self._onset_start >= self._max_utterance:
            self._end_utterance("max-length", events)

    def _end_utterance(self, reason: Literal["silence", "max-length"], events: list[Event]) -> None:
        events.append(
            UtteranceEnded(
                audio=bytes(self._audio),
                start=self._onset_start / _NS,
                end=self._last_voiced_end / _NS,
                reason=reason,
            )
        )
        trailing = self._trailing.items()
        self._clear_speech()
        # The silence after this turn is the natural pre-roll of the next one.
        self._preroll.extend(trailing)

    def _clear_speech(self) -> None:
        self._state = _State.IDLE
        self._onset: list[tuple[bytes, int]] = []
        self._onset_start = 0
        self._onset_voiced = 0
        self._audio = bytearray()
        self._last_voiced_end = 0
        self._speculated = False
        self._trailing.clear()

    # -- no-input timer -----------------------------------------------------------------------------

    def _clear_timer(self) -> None:
        self._timer_armed = False
        self._timer_paused = False
        self._timer_left = self._no_input

    def _tick_timer(self, dur: int, events: list[Event]) -> None:
        if not self._timer_armed or self._timer_paused or self._state is _State.SPEECH:
            return
        self._timer_left -= dur
        if self._timer_left <= 0 and self._state is _State.IDLE:
            self._timer_armed = False
            events.append(NoInput(at=self._now / _NS))
