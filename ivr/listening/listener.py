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

The recogniser session depends on the engine (`streams()` is the one place that asks):

* a streaming engine (Vosk) gets a recogniser when speech starts (the spare one kept for that grammar,
  or a new one) and is fed the utterance while the caller speaks, one batch of STREAM_BATCH_SECONDS at a
  time (one feed in flight per call), so little is left to decode when the turn ends;
* an utterance engine (Whisper) speculates: at PossibleEndOfTurn the utterance so far is decoded at once;
  SpeechResumed cancels it; an UtteranceEnded with the same speech start and end takes it along, and
  `transcribe()` uses its result if the grammar and hints are still the same (else it decodes anew).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
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
from asr.engine import AsrEngine, Partial, RecognizerStream, Transcript
from asr.vad import VoiceActivity
from ivr.listening.events import (
    BargeIn,
    Cancel,
    Decode,
    Grammar,
    Instant,
    Output,
    PartialHeard,
    Prompt,
    RecogniserFailed,
    Speculation,
    Transcribed,
    TranscriptionFailed,
    Utterance,
    UtteranceReady,
    grammar_key,
)
from tts.resample import StreamResampler

log = logging.getLogger(__name__)

FRAME_SECONDS = 0.02
# Audio a streaming recogniser is fed at once: 8 frames, not 1, cuts per-call executor round trips 8-fold
# and adds at most this much audio to decode when the turn ends (it is decoded after end_silence anyway).
STREAM_BATCH_SECONDS = 0.16
# Silence after the last voiced frame a recogniser is given: Kaldi needs ~0.3 s after a word to settle
# on it (its partial comes then), while the rest of end_silence would only cost decoding time (the Korean
# Vosk model takes ~0.5 s of CPU per second of audio).
MAX_TRAILING_SECONDS = 0.3

Expectation = Callable[[], tuple[Sequence[str] | None, Sequence[str] | None]]
DecodeResult = Partial | Transcript | Exception | None


def streams(engine: AsrEngine) -> bool:
    """True for an engine fed while the caller speaks (Vosk); False for one that decodes whole turns."""
    return engine.streaming


@dataclass
class SpeculationStats:
    """Speculative decodes of one call: started, whose transcript was used, and dropped."""

    started: int = 0
    used: int = 0
    discarded: int = 0


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
        streaming = streams(engine)
        self._streams, self._speculates = recognise and streaming, recognise and not streaming
        self.stream_batch = int(STREAM_BATCH_SECONDS * rate) * 2
        self.speculation = SpeculationStats()
        self._speech_started_at: float | None = None
        self._barged = False
        self._prompt_since: float | None = None  # stream time the prompt now playing was first heard over
        self._stream: RecognizerStream | None = None  # the streaming recogniser of the utterance in progress
        self._stream_grammar: Grammar = None
        self._stream_fed = 0
        self._feeding: Decode | None = None  # the one streaming feed in flight
        self._spares: dict[Grammar, RecognizerStream] = {}  # finished, ready for the next utterance
        self._handed_out: set[RecognizerStream] = set()  # streams of utterances not transcribed yet
        self._pending: Speculation | None = None  # announced, its turn not ended yet
        self._live: dict[Decode, Speculation] = {}  # speculations still wanted, by their decode
        self._results: dict[Speculation, Transcript | Exception] = {}  # finished, not asked for yet
        self._claims: dict[Speculation, tuple[Utterance, Sequence[str] | None, Sequence[str] | None]] = {}
        self._finals: dict[Decode, Utterance] = {}

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
        return out + self._stream_more()

    def feed(self, frame: bytes, is_speech: bool, *, at: Instant, prompt: Prompt) -> list[Output]:
        """One classified 20 ms frame at the hearing rate (what `hear` does per frame)."""
        out = self._frame(frame, is_speech, at)
        self._barge_in_check(prompt, out)
        return out + self._stream_more()

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
                if self._streams:
                    self._open_stream()
                out.append(event)
            elif isinstance(event, NoInput):
                out.append(event)
            elif isinstance(event, PossibleEndOfTurn):
                if self._speculates:
                    out += self._speculate(event)
            elif isinstance(event, SpeechResumed):
                out += self._discard_pending()
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
        stream, self._stream = self._stream, None
        if stream is not None:
            self._handed_out.add(stream)
        # Only the start of the trailing silence is decoded (see MAX_TRAILING_SECONDS).
        surplus = max(0, round((lag - MAX_TRAILING_SECONDS) * self.rate)) * 2
        speculation, out = self._take(event)
        utterance = Utterance(
            audio=event.audio[: len(event.audio) - surplus] if surplus else event.audio,
            duration=event.end - event.start,
            ended_monotonic=at.monotonic - lag,
            started_wall=at.wall - timedelta(seconds=now - event.start),
            ended_wall=at.wall - timedelta(seconds=lag),
            stream=stream,
            fed=self._stream_fed if stream is not None else 0,
            grammar=self._stream_grammar if stream is not None else None,
            speculation=speculation,
        )
        return [*out, UtteranceReady(utterance)]

    # ----- streaming recogniser -------------------------------------------------------------------

    def _open_stream(self) -> None:
        """The spare recogniser for this grammar, or a new one (spares are per grammar: Vosk has no hints)."""
        grammar, hints = self.expectation()
        key = grammar_key(grammar)
        spare = self._spares.pop(key, None)
        self._stream = spare or self.engine.new_stream(
            self.rate, grammar=list(key) if key else None, hints=hints
        )
        self._stream_grammar, self._stream_fed = key, 0

    def _stream_more(self) -> list[Output]:
        """The next batch of the utterance in progress for the streaming recogniser, if one is due."""
        if self._stream is None or self._feeding is not None:
            return []
        ep = self._endpointer
        chunk = ep.utterance_audio_from(self._stream_fed, max_trailing=MAX_TRAILING_SECONDS)
        # A short batch waits for more audio, unless the caller paused: then nothing more comes for now.
        paused = ep.trailing_silence + 1e-9 >= MAX_TRAILING_SECONDS
        if not chunk or (len(chunk) < self.stream_batch and not paused):
            return []
        # Counted now: the utterance may end while this chunk is decoding.
        self._stream_fed += len(chunk)
        self._feeding = Decode(self._stream, chunk, finish=False, close=False)
        return [self._feeding]

    # ----- speculation ----------------------------------------------------------------------------

    def _speculate(self, event: PossibleEndOfTurn) -> list[Output]:
        out = self._discard_pending()
        grammar, hints = self.expectation()
        key, hint_key = grammar_key(grammar), grammar_key(hints)
        stream = self.engine.new_stream(self.rate, grammar=list(key) if key else None, hints=hint_key)
        decode = Decode(stream, event.audio, finish=True, close=True)
        self._pending = Speculation(decode, event.start, event.end, key, hint_key)
        self._live[decode] = self._pending
        self.speculation.started += 1
        return [*out, decode]

    def _discard_pending(self) -> list[Output]:
        pending, self._pending = self._pending, None
        return self._drop(pending) if pending is not None else []

    def _take(self, ended: UtteranceEnded) -> tuple[Speculation | None, list[Output]]:
        """The pending speculation if `ended` is the turn it guessed (same speech), else drop it."""
        pending, self._pending = self._pending, None
        if pending is None:
            return None, []
        if (pending.start, pending.end) != (ended.start, ended.end):
            return None, self._drop(pending)
        return pending, []

    def _drop(self, speculation: Speculation) -> list[Output]:
        self.speculation.discarded += 1
        self._live.pop(speculation.decode, None)
        self._results.pop(speculation, None)
        self._claims.pop(speculation, None)
        return [Cancel(speculation.decode)]

    # ----- transcripts ----------------------------------------------------------------------------

    def transcribe(
        self, utterance: Utterance, grammar: Sequence[str] | None, hints: Sequence[str] | None = None
    ) -> list[Output]:
        """Ask for the utterance's transcript under the bot's grammar and hints of now.

        Answers at once with Transcribed (its speculative decode is done), with nothing (that decode is
        still running: `decoded()` answers), or with the Decode whose result becomes the transcript.
        """
        speculation, out = utterance.speculation, []
        if speculation is not None and speculation.decode in self._live:
            if (speculation.grammar, speculation.hints) == (grammar_key(grammar), grammar_key(hints)):
                if speculation in self._results:
                    return self._settle(
                        speculation, self._results.pop(speculation), utterance, grammar, hints
                    )
                self._claims[speculation] = (utterance, grammar, hints)
                return []
            out = self._drop(speculation)
        return [*out, self._final_decode(utterance, grammar, hints)]

    def decoded(self, decode: Decode, result: DecodeResult) -> list[Output]:
        """The result of a Decode this listener asked for (an exception if it raised)."""
        if decode is self._feeding:
            self._feeding = None
            if isinstance(result, Exception):
                return [RecogniserFailed(result)]
            heard: list[Output] = (
                [PartialHeard(result.text)] if isinstance(result, Partial) and result.text else []
            )
            return heard + self._stream_more()
        if (speculation := self._live.get(decode)) is not None:
            assert isinstance(result, Transcript | Exception)
            claim = self._claims.pop(speculation, None)
            if claim is None:
                self._results[speculation] = result
                return []
            return self._settle(speculation, result, *claim)
        utterance = self._finals.pop(decode, None)
        if utterance is None:
            return []  # dropped since: nobody wants it
        return self._finished(decode, utterance, result)

    def close(self) -> None:
        """Release every recogniser (the call is over); decodes still running are the runner's to cancel."""
        streams_held = [self._stream, *self._spares.values(), *self._handed_out]
        self._stream, self._pending = None, None
        self._spares.clear()
        self._handed_out.clear()
        self._live.clear()
        self._results.clear()
        self._claims.clear()
        for stream in streams_held:
            if stream is not None:
                stream.close()

    def _settle(
        self,
        speculation: Speculation,
        result: Transcript | Exception,
        utterance: Utterance,
        grammar: Sequence[str] | None,
        hints: Sequence[str] | None,
    ) -> list[Output]:
        """A claimed speculation finished: its transcript, or a decode of the utterance if it failed."""
        self._live.pop(speculation.decode, None)
        if isinstance(result, Exception):
            log.warning("speculative decode failed (%r); decoding the utterance again", result)
            self.speculation.discarded += 1
            return [self._final_decode(utterance, grammar, hints)]
        self.speculation.used += 1
        return [Transcribed(utterance, result)]

    def _final_decode(
        self, utterance: Utterance, grammar: Sequence[str] | None, hints: Sequence[str] | None
    ) -> Decode:
        """Decode what the recogniser has not heard yet (a streaming one is kept for the next utterance)."""
        stream = utterance.stream or self.engine.new_stream(self.rate, grammar=grammar, hints=hints)
        decode = Decode(stream, utterance.audio[utterance.fed :], finish=True, close=utterance.stream is None)
        self._finals[decode] = utterance
        return decode

    def _finished(self, decode: Decode, utterance: Utterance, result: DecodeResult) -> list[Output]:
        if utterance.stream is not None:
            self._handed_out.discard(utterance.stream)
            if isinstance(result, Transcript) and utterance.grammar not in self._spares:
                self._spares[utterance.grammar] = utterance.stream
            else:
                utterance.stream.close()
        if isinstance(result, Transcript):
            return [Transcribed(utterance, result)]
        error = result if isinstance(result, Exception) else TypeError(f"a decode gave {result!r}")
        return [TranscriptionFailed(utterance, error)]
