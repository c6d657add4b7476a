"""The conversation on one AudioSocket stream: hear, understand, answer, and be interrupted.

How this works
--------------
Three tasks share the call's audio, all owned by `run()`'s TaskGroup (which also owns the decodes):

* `OutboundAudio.run` sends one 20 ms frame per tick (speech or keep-alive silence);
* `_hear` reads caller audio and keypad digits and hands the audio to the call's `Listener`
  (ivr.listening: VAD, endpointing, barge-in, speculation, the recogniser session; microseconds per
  frame). Its events stop the prompt (barge-in) and queue what the dialogue needs: utterances, digits,
  silence. The decodes it asks for run in the ASR executor through a `DecodeRunner`, so hearing never
  stalls;
* `_talk` runs the bot: it asks for each utterance's transcript, stores the turns as they happen,
  synthesises replies (cached) and plays them.

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

from asr.endpointer import EndpointingParams
from asr.engine import AsrEngine, Transcript
from ivr.audiosocket.codec import Audio, Dtmf
from ivr.audiosocket.player import OutboundAudio
from ivr.audiosocket.server import AudioConnection
from ivr.bot import Action, Bot, Callback, CallInfo, Hangup, Say, Transfer
from ivr.briefing import prepare_briefing
from ivr.listening import (
    BargeIn,
    DecodeRunner,
    DigitHeard,
    Instant,
    Listener,
    NoInput,
    Prompt,
    Utterance,
    UtteranceReady,
)
from ivr.storage.store import CallStore
from ivr.vocabulary import TransferReason
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
        self.player = OutboundAudio(conn, rate=self.rate)
        self.stats = TurnStats()
        self.outcome: Outcome | None = None
        self._heard: asyncio.Queue[Utterance | DigitHeard | NoInput] = asyncio.Queue(maxsize=32)
        self.listener = Listener(
            speech.asr,
            # VAD and the recognisers take 8 or 16 kHz; any other slin rate AudioSocket carries is resampled.
            rate=8000 if self.rate == 8000 else 16000,
            endpointing=speech.endpointing,
            expectation=lambda: (bot.grammar(), bot.hints()),
            vad_aggressiveness=speech.vad_aggressiveness,
            barge_in=speech.barge_in,
            min_barge_in=speech.min_barge_in,
            recognise=speech.recognise,
        )
        self.partials: list[str] = []  # a streaming recogniser's interim texts, in order
        self.decodes = DecodeRunner(self.listener, self.partials.append)
        self.speculator = self.listener.speculation  # speculative decodes started, used, dropped
        self._handover: Action | None = None  # set by hand_over(): done once the current turn is over

    def hand_over(self, action: Action) -> None:
        """End the conversation with `action` (a Transfer or Hangup) after the turn in progress."""
        if self._handover is None:
            self._handover = action
            with contextlib.suppress(asyncio.QueueFull):  # a full queue means _talk is busy: it checks after
                self._heard.put_nowait(NoInput(self.listener.stream_time))

    async def run(self) -> Outcome | None:
        """Hold the conversation until the bot decides or the caller leaves."""
        try:
            async with asyncio.TaskGroup() as tg:
                self.decodes.bind(tg)
                tg.create_task(self.player.run())
                tg.create_task(self._hear())
                tg.create_task(self._talk())
        except* _CallerGone:
            self.outcome = None
        except* _Decided:
            pass
        finally:
            self.decodes.close()
        return self.outcome

    # ----- hearing --------------------------------------------------------------------------------

    async def _hear(self) -> None:
        """Caller audio and digits → the listener; its events → barge-in and the dialogue's queue."""
        loop, stall = asyncio.get_running_loop(), self.audio_stall_seconds
        try:
            # Asterisk sends a frame every 20 ms for as long as the call lasts; without frames no timer
            # of the endpointer (no input) can fire, so a silent stream would hold the caller forever.
            async with asyncio.timeout(stall) as deadline:
                while True:
                    msg = await self.conn.receive()
                    if msg is None:
                        raise _CallerGone(self.conn.close_reason)
                    await self._hear_one(msg)
                    deadline.reschedule(loop.time() + stall)
        except TimeoutError:
            log.warning("call %s: no audio from Asterisk for %.0f s", self.call.call_uuid, stall)
            self.outcome = Outcome.fallback(self.fallback_queue, TransferReason.AUDIO_STALLED)
            raise _Decided from None

    async def _hear_one(self, msg: object) -> None:
        """One message from the caller's side: a digit, or audio for the listener."""
        if isinstance(msg, Dtmf):
            if self.player.interrupt():
                log.debug("call %s: prompt interrupted by keypad", self.call.call_uuid)
            await self._heard.put(DigitHeard(msg.digit, datetime.now(UTC)))
            return
        if not isinstance(msg, Audio):
            return
        prompt = Prompt.of(playing=self.player.is_playing, interruptible=self.player.interruptible)
        at = Instant(time.monotonic(), datetime.now(UTC))
        for event in self.decodes.route(self.listener.hear(msg.pcm, msg.rate, at=at, prompt=prompt)):
            if isinstance(event, BargeIn):
                if self.player.interrupt():
                    self.stats.barge_in_reactions.append(event.reaction)
            elif isinstance(event, NoInput):
                await self._heard.put(event)
            elif isinstance(event, UtteranceReady):
                await self._heard.put(event.utterance)

    # ----- talking --------------------------------------------------------------------------------

    async def _talk(self) -> None:
        """Run the bot: greet, then answer every utterance, digit and silence."""
        self.listener.pause_no_input()
        await self._perform(self.bot.start(self.call), heard_at=None)
        while True:
            if self._handover is None:
                heard = await self._heard.get()
            if self._handover is not None:
                await self._record_unanswered()
                await self._perform([self._handover], heard_at=None)
            elif isinstance(heard, Utterance):
                actions = await self._understand(heard)
                await self._perform(actions, heard_at=heard.ended_monotonic)
            elif isinstance(heard, DigitHeard):
                await self._store_turn("caller", "", heard.at_wall, heard.at_wall, dtmf=heard.digit)
                await self._perform(self.bot.on_dtmf(heard.digit), heard_at=None)
            else:
                await self._perform(self.bot.on_no_input(), heard_at=None)

    async def _record_unanswered(self) -> None:
        """Hand-over: store what the caller already said or pressed, which the bot will not answer now."""
        while not self._heard.empty():
            heard = self._heard.get_nowait()
            if isinstance(heard, DigitHeard):
                await self._store_turn("caller", "", heard.at_wall, heard.at_wall, dtmf=heard.digit)
            elif isinstance(heard, Utterance):
                await self._transcribe(heard)

    async def _understand(self, heard: Utterance) -> list[Action]:
        """Recognise an utterance, store it, and ask the bot what to do."""
        transcript = await self._transcribe(heard)
        # Understanding can take tens of milliseconds (matching by meaning, more on a busy machine): in a
        # thread it does not hold up the other calls' 20 ms frames. The conversation awaits it, so the bot
        # is still used by one turn at a time; the listener only reads its grammar and hints meanwhile.
        return await asyncio.to_thread(
            self.bot.on_transcript, transcript.text, transcript.confidence, transcript.alternatives
        )

    async def _transcribe(self, heard: Utterance) -> Transcript:
        """Recognise an utterance (the listener's speculative result if still valid) and store the turn."""
        transcript = await self.decodes.transcribe(heard, self.bot.grammar(), self.bot.hints())
        await self._store_turn(
            "caller",
            transcript.text,
            heard.started_wall,
            heard.ended_wall,
            confidence=transcript.confidence,
            meta={"engine": transcript.engine, "decode_seconds": round(transcript.decode_seconds, 3)},
        )
        return transcript

    async def _perform(self, actions: list[Action], *, heard_at: float | None) -> None:
        """Speak the bot's sentences in order; a transfer, callback or hang-up ends the conversation."""
        self.listener.pause_no_input()
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
                    self.outcome = Outcome(
                        "transfer", TransferReason.CALLBACK_UNAVAILABLE, action.queue, action.priority
                    )
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
        self.listener.listen()

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
