"""The recogniser session of one call (part of the Listener): streaming feeds, speculation, transcripts.

Pure like the Listener: it opens and closes recognisers, returns Decode and Cancel requests, and is told
their results through `decoded()`. A streaming engine's recogniser is fed the utterance in progress
(read from the endpointer) one batch at a time; an utterance engine's turn is decoded speculatively at
a possible end of turn. `transcribe()` answers with the transcript under the grammar of that moment.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from asr.endpointer import Endpointer, PossibleEndOfTurn, UtteranceEnded
from asr.engine import AsrEngine, Partial, RecognizerStream, Transcript
from ivr.listening.events import (
    Cancel,
    Decode,
    Grammar,
    Output,
    PartialHeard,
    RecogniserFailed,
    Speculation,
    Transcribed,
    TranscriptionFailed,
    Utterance,
    UtteranceReady,
    grammar_key,
)

log = logging.getLogger(__name__)

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


class Recognition:
    """Recognisers, streaming feeds and speculative decodes of one call (see the module docstring)."""

    def __init__(
        self,
        engine: AsrEngine,
        rate: int,
        expectation: Expectation,
        endpointer: Endpointer,
        *,
        recognise: bool,
    ) -> None:
        self.engine, self.rate, self.expectation = engine, rate, expectation
        self._endpointer = endpointer  # read only: the utterance in progress, for streaming feeds
        streaming = streams(engine)
        self._streams, self._speculates = recognise and streaming, recognise and not streaming
        self.stream_batch = int(STREAM_BATCH_SECONDS * rate) * 2
        self.speculation = SpeculationStats()
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

    # ----- streaming recogniser -------------------------------------------------------------------

    def speech_started(self) -> None:
        """Open the streaming recogniser: the spare one for this grammar or a new one (Vosk has no hints)."""
        if not self._streams:
            return
        grammar, hints = self.expectation()
        key = grammar_key(grammar)
        spare = self._spares.pop(key, None)
        self._stream = spare or self.engine.new_stream(
            self.rate, grammar=list(key) if key else None, hints=hints
        )
        self._stream_grammar, self._stream_fed = key, 0

    def stream_more(self) -> list[Output]:
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

    def possible_end(self, event: PossibleEndOfTurn) -> list[Output]:
        """Decode the utterance so far, in case the turn ends here (utterance engines only)."""
        if not self._speculates:
            return []
        out = self.speech_resumed()
        grammar, hints = self.expectation()
        key, hint_key = grammar_key(grammar), grammar_key(hints)
        stream = self.engine.new_stream(self.rate, grammar=list(key) if key else None, hints=hint_key)
        decode = Decode(stream, event.audio, finish=True, close=True)
        self._pending = Speculation(decode, event.start, event.end, key, hint_key)
        self._live[decode] = self._pending
        self.speculation.started += 1
        return [*out, decode]

    def speech_resumed(self) -> list[Output]:
        """The pending speculation is stale: cancel it."""
        pending, self._pending = self._pending, None
        return self._drop(pending) if pending is not None else []

    def utterance_ended(self, ended: UtteranceEnded, heard: Utterance) -> list[Output]:
        """`heard` with the recogniser that was fed it and the speculation that guessed its end."""
        stream, self._stream = self._stream, None
        if stream is not None:
            self._handed_out.add(stream)
            heard = replace(heard, stream=stream, fed=self._stream_fed, grammar=self._stream_grammar)
        pending, self._pending, out = self._pending, None, []
        if pending is not None and (pending.start, pending.end) == (ended.start, ended.end):
            heard = replace(heard, speculation=pending)
        elif pending is not None:
            out = self._drop(pending)
        return [*out, UtteranceReady(heard)]

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
        """The result of a Decode asked for here (an exception if it raised)."""
        if decode is self._feeding:
            self._feeding = None
            if isinstance(result, Exception):
                return [RecogniserFailed(result)]
            heard: list[Output] = (
                [PartialHeard(result.text)] if isinstance(result, Partial) and result.text else []
            )
            return heard + self.stream_more()
        if (speculation := self._live.get(decode)) is not None:
            if not isinstance(result, Transcript | Exception):
                result = TypeError(f"a speculative decode gave {result!r}")
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
