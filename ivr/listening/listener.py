"""Listening to one call as a sans-IO object: frames in, events and decode requests out.

How this works
--------------
`hear(pcm, rate, at=..., prompt=...)` resamples the caller's audio to the hearing rate, classifies each
20 ms frame (webrtcvad) and feeds it to the endpointer; `feed(frame, is_speech, ...)` does the same for a
frame already classified. Neither reads a clock: `at` is the moment the audio arrived (both clocks, for
the times an utterance carries) and stream time is the sum of frame durations. What comes out:

* SpeechStarted, NoInput: passed on from the endpointer.
* BargeIn: the caller has spoken over an interruptible prompt for `min_barge_in` (on the stream clock).
* UtteranceReady(utterance): the turn ended. Its transcript comes later, when the dialogue calls
  `transcribe(utterance, grammar, hints)` with the grammar of that moment (the bot may have moved on).
* Decode / Cancel: work for the async side (ivr.listening.decoding), which runs each Decode off the
  event loop and hands its result back to `decoded()`; that answers with PartialHeard, Transcribed,
  TranscriptionFailed, or more Decodes. The listener opens and closes recognisers itself (synchronous
  and cheap: a recogniser is an object until it decodes) but never awaits one.

The recogniser session (ivr.listening.recognition, a part of this object) depends on the engine
(`streams()` is the one place that asks):

* a streaming engine (Vosk) gets a recogniser when speech starts (the spare one kept for that grammar,
  or a new one) and is fed the utterance while the caller speaks, one batch of STREAM_BATCH_SECONDS at a
  time (one feed in flight per call), so little is left to decode when the turn ends;
* an utterance engine (Whisper) speculates: at PossibleEndOfTurn the utterance so far is decoded at once;
  SpeechResumed cancels it; an UtteranceEnded with the same speech start and end takes it along, and
  `transcribe()` uses its result if the grammar and hints are still the same (else it decodes anew).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta

from asr.endpointer import (
    Endpointer,
    EndpointingParams,
    Event,
    NoInput,
    PossibleEndOfTurn,
    SpeechResumed,
    SpeechStarted,
    UtteranceEnded,
)
from asr.engine import AsrEngine
from asr.vad import VoiceActivity
from ivr.listening.events import BargeIn, Decode, Instant, Output, Prompt, Utterance
from ivr.listening.recognition import (
    MAX_TRAILING_SECONDS,
    DecodeResult,
    Expectation,
    Recognition,
    SpeculationStats,
)
from tts.resample import StreamResampler

FRAME_SECONDS = 0.02


class Listener:
    """VAD, endpointer, barge-in, speculation and recogniser session of one call (module docstring)."""

    def __init__(
        self,
        engine: AsrEngine,
        *,
        rate: int,
        endpointing: EndpointingParams,
        expectation: Expectation,
        vad_aggressiveness: int = 2,
        barge_in: bool = True,
        min_barge_in: float = 0.2,
        recognise: bool = True,
    ) -> None:
        self.engine, self.rate, self.expectation = engine, rate, expectation
        self.barge_in, self.min_barge_in = barge_in, min_barge_in
        self._endpointer = Endpointer(endpointing)
        self._vad = VoiceActivity(rate=rate, aggressiveness=vad_aggressiveness, frame_ms=20)
        self._resamplers: dict[int, StreamResampler] = {}
        self._recognition = Recognition(engine, rate, expectation, self._endpointer, recognise=recognise)
        self._speech_started_at: float | None = None
        self._barged = False
        self._prompt_since: float | None = None  # stream time the prompt now playing was first heard over

    # ----- audio in -------------------------------------------------------------------------------

    @property
    def stream_time(self) -> float:
        """Seconds of caller audio heard so far."""
        return self._endpointer.stream_time

    def hear(self, pcm: bytes, rate: int, *, at: Instant, prompt: Prompt) -> list[Output]:
        """Caller audio (slin at `rate`) that arrived at `at` while the bot played `prompt`."""
        out: list[Output] = []
        for frame, is_speech in self._vad.classify(self._at_hearing_rate(pcm, rate)):
            out += self._frame(frame, is_speech, at)
            prompt = self._barge_in_check(prompt, out)
        return out + self._recognition.stream_more()

    def feed(self, frame: bytes, is_speech: bool, *, at: Instant, prompt: Prompt) -> list[Output]:
        """One classified 20 ms frame at the hearing rate (what `hear` does per frame)."""
        out = self._frame(frame, is_speech, at)
        self._barge_in_check(prompt, out)
        return out + self._recognition.stream_more()

    def listen(self) -> None:
        """Start the no-input timer for the caller's turn."""
        self._endpointer.listen()

    def pause_no_input(self) -> None:
        """Hold the no-input timer while the bot speaks."""
        self._endpointer.pause_no_input()

    def _at_hearing_rate(self, pcm: bytes, rate: int) -> bytes:
        """Caller audio at the hearing rate (a resampler per incoming rate keeps the stream seamless)."""
        if rate == self.rate:
            return pcm
        resampler = self._resamplers.get(rate)
        if resampler is None:
            resampler = self._resamplers[rate] = StreamResampler(rate, self.rate)
        return resampler.feed(pcm)

    def _frame(self, frame: bytes, is_speech: bool, at: Instant) -> list[Output]:
        return self.endpointed(self._endpointer.feed(frame, is_speech, FRAME_SECONDS), at=at)

    def endpointed(self, events: Iterable[Event], *, at: Instant) -> list[Output]:
        """React to endpointer events (what `feed` does with those of each frame; tests script them)."""
        out: list[Output] = []
        for event in events:
            if isinstance(event, SpeechStarted):
                self._speech_started_at, self._barged = event.at, False
                self._recognition.speech_started()
                out.append(event)
            elif isinstance(event, NoInput):
                out.append(event)
            elif isinstance(event, PossibleEndOfTurn):
                out += self._recognition.possible_end(event)
            elif isinstance(event, SpeechResumed):
                out += self._recognition.speech_resumed()
            else:
                out += self._utterance_ended(event, at)
        return out

    def _barge_in_check(self, prompt: Prompt, out: list[Output]) -> Prompt:
        """Add a BargeIn to `out` once the caller has spoken over the prompt for min_barge_in."""
        now = self._endpointer.stream_time
        if prompt is Prompt.SILENT:
            self._prompt_since = None
        elif self._prompt_since is None:
            self._prompt_since = now - FRAME_SECONDS  # it began during the frame just heard
        if self._speech_started_at is None or self._barged or not self.barge_in:
            return prompt
        spoken = now - self._speech_started_at
        # The epsilon absorbs float sums of 0.02 s frames (0.19999999999999996 must count as 0.2).
        if spoken + 1e-9 >= self.min_barge_in and prompt is Prompt.INTERRUPTIBLE:
            self._barged = True
            # Reaction counts from when barging in became due: a prompt that starts while the caller is
            # already talking is due at its start, not min_barge_in after the speech began.
            due = max(self._speech_started_at + self.min_barge_in, self._prompt_since or 0.0)
            out.append(BargeIn(at=now, reaction=max(0.0, now - due)))
            return Prompt.SILENT  # the dialogue stops it now: later frames of this audio come after
        return prompt

    def _utterance_ended(self, event: UtteranceEnded, at: Instant) -> list[Output]:
        self._speech_started_at = None
        now = self._endpointer.stream_time
        # The endpointer is behind real time by the trailing silence it waited for.
        lag = now - event.end
        # Only the start of the trailing silence is decoded (see MAX_TRAILING_SECONDS).
        surplus = max(0, round((lag - MAX_TRAILING_SECONDS) * self.rate)) * 2
        heard = Utterance(
            audio=event.audio[: len(event.audio) - surplus] if surplus else event.audio,
            duration=event.end - event.start,
            ended_monotonic=at.monotonic - lag,
            started_wall=at.wall - timedelta(seconds=now - event.start),
            ended_wall=at.wall - timedelta(seconds=lag),
        )
        return self._recognition.utterance_ended(event, heard)

    # ----- transcripts (the recogniser session: ivr.listening.recognition) ---------------------------

    @property
    def speculation(self) -> SpeculationStats:
        """How many speculative decodes were started, used and dropped."""
        return self._recognition.speculation

    @property
    def stream_batch(self) -> int:
        """Bytes a streaming recogniser is fed at once."""
        return self._recognition.stream_batch

    def transcribe(
        self, utterance: Utterance, grammar: Sequence[str] | None, hints: Sequence[str] | None = None
    ) -> list[Output]:
        """Ask for the utterance's transcript under the bot's grammar and hints of now.

        Answers at once with Transcribed (its speculative decode is done), with nothing (that decode is
        still running: `decoded()` answers), or with the Decode whose result becomes the transcript.
        """
        return self._recognition.transcribe(utterance, grammar, hints)

    def decoded(self, decode: Decode, result: DecodeResult) -> list[Output]:
        """The result of a Decode this listener asked for (an exception if it raised)."""
        return self._recognition.decoded(decode, result)

    def close(self) -> None:
        """Release every recogniser (the call is over); decodes still running are the runner's to cancel."""
        self._recognition.close()
