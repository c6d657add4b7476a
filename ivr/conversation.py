"""The conversation on one AudioSocket stream: hear, understand, answer, and be interrupted.

How this works
--------------
Four tasks share the call's audio, all owned by `run()`'s TaskGroup:

* `OutboundAudio.run` sends one 20 ms frame per tick (speech or keep-alive silence);
* `_hear` reads caller audio and keypad digits, runs VAD + endpointing inline (microseconds per frame),
  interrupts the prompt on barge-in, and queues what the dialogue needs: utterances, digits, silence.
  With an utterance engine (Whisper) it also starts a speculative decode when the endpointer announces a
  possible end of turn (`asr.speculation`), so the decode overlaps the rest of the end-of-turn silence;
* `_stream_audio` (streaming engines such as Vosk only) feeds the utterance to the recogniser while the
  caller is still speaking, in batches of `STREAM_BATCH_SECONDS` (fewer executor round trips per call),
  so little decoding is left when the turn ends. The call keeps one recogniser per grammar and reuses it;
* `_talk` runs the bot: it recognises each utterance (in the ASR executor, so hearing never stalls),
  stores the turns as they happen, synthesises replies (cached) and plays them.

`run()` returns the outcome (transfer or hang-up) once the bot decided and its last sentence was heard
in full, or None when the caller hung up. The session then ends the AudioSocket stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from asr.endpointer import (
    Endpointer,
    EndpointingParams,
    Event,
    NoInput,
    PossibleEndOfTurn,
    SpeechResumed,
    SpeechStarted,
)
from asr.engine import AsrEngine, RecognizerStream, Transcript
from asr.speculation import Grammar, Speculator
from asr.vad import VoiceActivity
from ivr.audiosocket.codec import Audio, Dtmf
from ivr.audiosocket.player import OutboundAudio
from ivr.audiosocket.server import AudioConnection
from ivr.bot import Action, Bot, Callback, CallInfo, Hangup, Say, Transfer
from ivr.briefing import prepare_briefing
from ivr.hearing import (
    MAX_TRAILING_SECONDS,
    STREAM_BATCH_SECONDS,
    HeardDigit,
    HeardNothing,
    HeardUtterance,
    close_streams,
    open_stream,
    recognise,
)
from ivr.storage.store import CallStore
from tts.resample import StreamResampler
from tts.service import Synthesizer

log = logging.getLogger(__name__)

_FRAME_SECONDS = 0.02


@dataclass(frozen=True)
class Outcome:
    """How the bot hands the call back to the dialplan."""

    action: Literal["transfer", "hangup"]
    reason: str
    queue: str | None = None
    priority: int = 0
    survey_score: int | None = None  # from Hangup.survey_score

    @classmethod
    def fallback(cls, queue: str, reason: str) -> Outcome:
        """A transfer to the fallback queue, used whenever the bot cannot go on."""
        return cls("transfer", reason, queue)


@dataclass(frozen=True)
class SpeechDeps:
    """The speech components and settings a conversation uses."""

    asr: AsrEngine
    tts: Synthesizer
    endpointing: EndpointingParams
    vad_aggressiveness: int = 2
    barge_in: bool = True
    min_barge_in: float = 0.2
    recognise: bool = True  # False: no recogniser, no speculation (a call refused under overload)


@dataclass
class TurnStats:
    """Per-call timing figures, read by tests and benchmarks."""

    turn_latencies: list[float] = field(default_factory=list)
    barge_in_reactions: list[float] = field(default_factory=list)


class _CallerGone(Exception):
    """The caller hung up (AudioSocket closed by Asterisk)."""


class _Decided(Exception):
    """The bot reached an outcome; stop hearing and playing."""


class Conversation:
    """Runs the bot on one call's audio stream."""

    def __init__(
        self,
        conn: AudioConnection,
        *,
        speech: SpeechDeps,
        bot: Bot,
        call: CallInfo,
        store: CallStore,
        call_handle: object,
        fallback_queue: str,
        on_callback: Callable[[Callback, CallInfo], Awaitable[None]] | None = None,
        audio_stall_seconds: float = 10.0,
    ) -> None:
        self.conn = conn
        self.audio_stall_seconds = audio_stall_seconds
        self.on_callback = on_callback
        self.speech = speech
        self.bot = bot
        self.call = call
        self.store = store
        self.call_handle = call_handle
        self.fallback_queue = fallback_queue
        self.rate = conn.inbound_rate  # Asterisk's slin rate: replies are sent back at it
        # VAD and the recognisers take 8 or 16 kHz; any other slin rate AudioSocket carries is resampled.
        self.hear_rate = 8000 if self.rate == 8000 else 16000
        self._resamplers: dict[int, StreamResampler] = {}
        self.player = OutboundAudio(conn, rate=self.rate)
        self.endpointer = Endpointer(speech.endpointing)
        self.stats = TurnStats()
        self.outcome: Outcome | None = None
        self._heard: asyncio.Queue[HeardUtterance | HeardDigit | HeardNothing] = asyncio.Queue(maxsize=32)
        self._speech_started_at: float | None = None
        self._barged = False
        self._prompt_since: float | None = None  # stream time the prompt now playing was first heard over
        self._stream: RecognizerStream | None = None
        self._stream_grammar: Grammar = None
        self._stream_fed = 0
        self._stream_batch = int(STREAM_BATCH_SECONDS * self.hear_rate) * 2
        self._spare_streams: dict[Grammar, RecognizerStream] = {}  # finished, ready for the next utterance
        self.speculator = Speculator(speech.asr, self.hear_rate)
        self._audio_ready = asyncio.Event()
        self.partials: list[str] = []
        self._handover: Action | None = None  # set by hand_over(): done once the current turn is over

    def hand_over(self, action: Action) -> None:
        """End the conversation with `action` (a Transfer or Hangup) after the turn in progress."""
        if self._handover is None:
            self._handover = action
            with contextlib.suppress(asyncio.QueueFull):  # a full queue means _talk is busy: it checks after
                self._heard.put_nowait(HeardNothing())

    async def run(self) -> Outcome | None:
        """Hold the conversation until the bot decides or the caller leaves."""
        try:
            async with asyncio.TaskGroup() as tg:
                tg.create_task(self.player.run())
                tg.create_task(self._hear())
                tg.create_task(self._talk())
                if self.speech.asr.streaming and self.speech.recognise:
                    tg.create_task(self._stream_audio())
        except* _CallerGone:
            self.outcome = None
        except* _Decided:
            pass
        finally:
            self.speculator.close()
            close_streams(self._stream, *self._spare_streams.values())
            self._spare_streams.clear()
        return self.outcome

    # ----- hearing --------------------------------------------------------------------------------

    async def _hear(self) -> None:
        """Caller audio and digits → endpointing, barge-in, queued events for the dialogue."""
        vad = VoiceActivity(rate=self.hear_rate, aggressiveness=self.speech.vad_aggressiveness, frame_ms=20)
        loop, stall = asyncio.get_running_loop(), self.audio_stall_seconds
        try:
            # Asterisk sends a frame every 20 ms for as long as the call lasts; without frames no timer
            # of the endpointer (no input) can fire, so a silent stream would hold the caller forever.
            async with asyncio.timeout(stall) as deadline:
                while True:
                    msg = await self.conn.receive()
                    if msg is None:
                        raise _CallerGone(self.conn.close_reason)
                    await self._hear_one(msg, vad)
                    deadline.reschedule(loop.time() + stall)
        except TimeoutError:
            log.warning("call %s: no audio from Asterisk for %.0f s", self.call.call_uuid, stall)
            self.outcome = Outcome.fallback(self.fallback_queue, "audio-stalled")
            raise _Decided from None

    async def _hear_one(self, msg: object, vad: VoiceActivity) -> None:
        """One message from the caller's side: a digit, or audio for VAD, endpointing and barge-in."""
        if isinstance(msg, Dtmf):
            if self.player.interrupt():
                log.debug("call %s: prompt interrupted by keypad", self.call.call_uuid)
            await self._heard.put(HeardDigit(msg.digit, datetime.now(UTC)))
            return
        if not isinstance(msg, Audio):
            return
        for frame, is_speech in vad.classify(self._for_hearing(msg)):
            for event in self.endpointer.feed(frame, is_speech, _FRAME_SECONDS):
                await self._on_endpoint_event(event)
            self._check_barge_in()
        if self._stream is not None:
            self._audio_ready.set()

    def _for_hearing(self, msg: Audio) -> bytes:
        """Caller audio at the hearing rate (a resampler per incoming rate keeps the stream seamless)."""
        if msg.rate == self.hear_rate:
            return msg.pcm
        resampler = self._resamplers.get(msg.rate)
        if resampler is None:
            resampler = self._resamplers[msg.rate] = StreamResampler(msg.rate, self.hear_rate)
        return resampler.feed(msg.pcm)

    async def _on_endpoint_event(self, event: Event) -> None:
        """Turn an endpointer event into a dialogue event."""
        if isinstance(event, SpeechStarted):
            self._speech_started_at = event.at
            self._barged = False
            if self.speech.asr.streaming and self.speech.recognise:
                self._open_stream()
            return
        if isinstance(event, NoInput):
            await self._heard.put(HeardNothing())
            return
        if isinstance(event, PossibleEndOfTurn):
            if self.speculator.enabled and self.speech.recognise:
                self.speculator.start(event, self.bot.grammar(), self.bot.hints())
            return
        if isinstance(event, SpeechResumed):
            self.speculator.discard()
            return
        self._speech_started_at = None
        now_mono, now_wall = time.monotonic(), datetime.now(UTC)
        # The endpointer is behind real time by the trailing silence it waited for.
        lag = self.endpointer.stream_time - event.end
        stream, self._stream = self._stream, None
        # Only the start of the trailing silence is decoded (see ivr.hearing.MAX_TRAILING_SECONDS).
        surplus = max(0, round((lag - MAX_TRAILING_SECONDS) * self.hear_rate)) * 2
        await self._heard.put(
            HeardUtterance(
                audio=event.audio[: len(event.audio) - surplus] if surplus else event.audio,
                duration=event.end - event.start,
                ended_monotonic=now_mono - lag,
                started_wall=now_wall - timedelta(seconds=self.endpointer.stream_time - event.start),
                ended_wall=now_wall - timedelta(seconds=lag),
                stream=stream,
                fed=self._stream_fed,
                grammar=self._stream_grammar,
                speculation=self.speculator.take(event),
            )
        )

    def _open_stream(self) -> None:
        """Open the recogniser for a new utterance: the spare one for this grammar, or a new one."""
        asr, spares = self.speech.asr, self._spare_streams
        self._stream, self._stream_grammar = open_stream(
            asr, self.hear_rate, self.bot.grammar(), spares, self.bot.hints()
        )
        self._stream_fed = 0

    async def _stream_audio(self) -> None:
        """Feed the utterance in progress to the streaming recogniser as it grows."""
        while True:
            await self._audio_ready.wait()
            self._audio_ready.clear()
            stream = self._stream
            chunk = b""
            if stream is not None:
                chunk = self.endpointer.utterance_audio_from(
                    self._stream_fed, max_trailing=MAX_TRAILING_SECONDS
                )
            # A short batch waits for more audio, unless the caller paused: then nothing more comes for now.
            paused = self.endpointer.trailing_silence + 1e-9 >= MAX_TRAILING_SECONDS
            if not chunk or (len(chunk) < self._stream_batch and not paused):
                continue
            # Counted before the await: the utterance may end while this chunk is decoding.
            self._stream_fed += len(chunk)
            partial = await stream.feed(chunk)
            if partial is not None and partial.text:
                self.partials.append(partial.text)

    def _check_barge_in(self) -> None:
        """Stop the prompt once the caller has spoken over it for the minimum barge-in time."""
        now = self.endpointer.stream_time
        if not self.player.is_playing:
            self._prompt_since = None
        elif self._prompt_since is None:
            self._prompt_since = now - _FRAME_SECONDS  # it began during the frame just heard
        if self._speech_started_at is None or self._barged or not self.speech.barge_in:
            return
        spoken = now - self._speech_started_at
        # The epsilon absorbs float sums of 0.02 s frames (0.19999999999999996 must count as 0.2).
        if spoken + 1e-9 >= self.speech.min_barge_in and self.player.interrupt():
            self._barged = True
            # Reaction counts from when barging in became due: a prompt that starts while the caller is
            # already talking is due at its start, not min_barge_in after the speech began.
            due = max(self._speech_started_at + self.speech.min_barge_in, self._prompt_since or 0.0)
            self.stats.barge_in_reactions.append(max(0.0, now - due))

    # ----- talking --------------------------------------------------------------------------------

    async def _talk(self) -> None:
        """Run the bot: greet, then answer every utterance, digit and silence."""
        self.endpointer.pause_no_input()
        await self._perform(self.bot.start(self.call), heard_at=None)
        while True:
            if self._handover is None:
                heard = await self._heard.get()
            if self._handover is not None:
                await self._record_unanswered()
                await self._perform([self._handover], heard_at=None)
            elif isinstance(heard, HeardUtterance):
                actions = await self._understand(heard)
                await self._perform(actions, heard_at=heard.ended_monotonic)
            elif isinstance(heard, HeardDigit):
                await self._store_turn("caller", "", heard.at_wall, heard.at_wall, dtmf=heard.digit)
                await self._perform(self.bot.on_dtmf(heard.digit), heard_at=None)
            else:
                await self._perform(self.bot.on_no_input(), heard_at=None)

    async def _record_unanswered(self) -> None:
        """Hand-over: store what the caller already said or pressed, which the bot will not answer now."""
        while not self._heard.empty():
            heard = self._heard.get_nowait()
            if isinstance(heard, HeardDigit):
                await self._store_turn("caller", "", heard.at_wall, heard.at_wall, dtmf=heard.digit)
            elif isinstance(heard, HeardUtterance):
                await self._transcribe(heard)

    async def _understand(self, heard: HeardUtterance) -> list[Action]:
        """Recognise an utterance, store it, and ask the bot what to do."""
        transcript = await self._transcribe(heard)
        return self.bot.on_transcript(transcript.text, transcript.confidence)

    async def _transcribe(self, heard: HeardUtterance) -> Transcript:
        """Recognise an utterance (speculative result first) and store it as the caller's turn."""
        grammar, hints = self.bot.grammar(), self.bot.hints()
        transcript = None
        if heard.speculation is not None:
            transcript = await self.speculator.result(heard.speculation, grammar, hints)
        if transcript is None:
            transcript = await self._recognise(heard, grammar, hints)
        await self._store_turn(
            "caller",
            transcript.text,
            heard.started_wall,
            heard.ended_wall,
            confidence=transcript.confidence,
            meta={"engine": transcript.engine, "decode_seconds": round(transcript.decode_seconds, 3)},
        )
        return transcript

    async def _recognise(
        self, heard: HeardUtterance, grammar: list[str] | None, hints: list[str] | None = None
    ) -> Transcript:
        """Decode what the recogniser has not heard yet; a streaming one is kept for the next utterance."""
        return await recognise(heard, self.speech.asr, self.hear_rate, grammar, self._spare_streams, hints)

    async def _perform(self, actions: list[Action], *, heard_at: float | None) -> None:
        """Speak the bot's sentences in order; a transfer, callback or hang-up ends the conversation."""
        self.endpointer.pause_no_input()
        for action in actions:
            if isinstance(action, Say):
                await self._say(
                    action.text, interruptible=action.barge_in, heard_at=heard_at, lang=action.language
                )
            elif isinstance(action, Transfer):
                # The notice is never cut: not by barge-in, not by the hand-off (we wait for its last frame).
                # Meanwhile the agent's briefing (warm hand-off) is synthesised into the prompt cache.
                async with asyncio.TaskGroup() as tg:
                    tg.create_task(prepare_briefing(self.speech.tts, action.context))
                    notice, lang = action.notice, action.language
                    await self._say(notice, interruptible=False, heard_at=heard_at, lang=lang)
                await self.store.record_transfer(
                    self.call_handle,
                    reason=action.reason,
                    queue=action.queue,
                    priority=action.priority,
                    summary=action.summary,
                    context=action.context,
                    created_at=datetime.now(UTC),
                )
                self.outcome = Outcome("transfer", action.reason, action.queue, action.priority)
                raise _Decided
            elif isinstance(action, Callback):
                await self._say(action.notice, interruptible=False, heard_at=heard_at, lang=action.language)
                if self.on_callback is None:
                    # Nobody can call back: the caller must not be dropped, so they wait in the queue.
                    self.outcome = Outcome("transfer", "callback-unavailable", action.queue, action.priority)
                    raise _Decided
                await self.on_callback(action, self.call)
                self.outcome = Outcome("hangup", "callback")
                raise _Decided
            elif isinstance(action, Hangup):
                if action.goodbye:
                    await self._say(
                        action.goodbye, interruptible=False, heard_at=heard_at, lang=action.language
                    )
                self.outcome = Outcome("hangup", action.reason, survey_score=action.survey_score)
                raise _Decided
            heard_at = None
        self.endpointer.listen()

    async def _say(
        self, text: str, *, interruptible: bool, heard_at: float | None, lang: str | None = None
    ) -> None:
        """Synthesise (or fetch from cache), play, and store what was actually played."""
        pcm = await self.speech.tts.synthesize(text, lang or self.call.language, self.rate)
        playback = self.player.play(pcm, interruptible=interruptible, label=text)
        try:
            result = await playback.done
        except asyncio.CancelledError:
            # The caller hung up mid-sentence: the turn still says how much of it they heard.
            played = playback.frames_played * _FRAME_SECONDS
            await self._store_bot_turn(text, played, playback.frames_total, interrupted=True, meta={})
            raise
        meta: dict[str, object] = {}
        if heard_at is not None and result.started_at is not None:
            self.stats.turn_latencies.append(result.started_at - heard_at)
            meta["turn_latency_ms"] = round((result.started_at - heard_at) * 1000)
        played = result.frames_played * _FRAME_SECONDS
        await self._store_bot_turn(
            text, played, result.frames_total, interrupted=result.interrupted, meta=meta
        )

    async def _store_bot_turn(
        self, text: str, played: float, frames_total: int, *, interrupted: bool, meta: dict
    ) -> None:
        """Store a bot sentence with how much of it was played."""
        ended = datetime.now(UTC)
        meta = {
            "played_seconds": round(played, 2),
            "total_seconds": round(frames_total * _FRAME_SECONDS, 2),
            **meta,
        }
        await self._store_turn(
            "bot", text, ended - timedelta(seconds=played), ended, interrupted=interrupted, meta=meta
        )

    async def _store_turn(self, speaker: str, text: str, started: datetime, ended: datetime, **extra) -> None:
        """Write one turn now, so a crash loses at most the turn in progress."""
        await self.store.add_turn(
            self.call_handle, speaker=speaker, text=text, started_at=started, ended_at=ended, **extra
        )
