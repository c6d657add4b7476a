"""One CallSession per call: it owns every task of the call and ends it exactly once.

How this works
--------------
The FastAGI handler creates the session and calls `run()`. Inside one TaskGroup:

* the AGI spine sends `EXEC AudioSocket <uuid>,<this worker>` and waits for it to return, then sets the
  `IVR_*` channel variables that tell the dialplan what to do next;
* the media task waits for Asterisk's AudioSocket connection with our UUID (handed over by the
  AudioSocket server through `attach_audio`) and runs the conversation on it;
* a deadline task caps the call length;
* a sentinel task turns `end(reason)` into the one cancellation of everything that is left.

Endings: the bot transfers or hangs up (the media side sends AudioSocket HANGUP, so EXEC returns 0 and
the spine sets the variables); the caller hangs up (the socket closes, EXEC returns -1, an unsolicited
AGI HANGUP follows); the AGI connection breaks; the deadline passes; or a component raises. Each path
calls `end(reason)`; the first reason wins, and `_finalise()` stores the call and releases everything
once. A failing bot never drops the caller: the spine still sets a transfer to the fallback queue, and
the dialplan queues the caller even when nothing is set at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from ivr.agi import AgiChannel, AgiError
from ivr.audiosocket.server import AudioConnection
from ivr.bot import Action, Bot, Callback, CallInfo, PreviousCall
from ivr.conversation import Conversation, Outcome, SpeechDeps
from ivr.returning import ReturnRequest, load_resume
from ivr.storage.records import CallHandle, CallRecord, StorageUnavailable
from ivr.storage.store import CallStore
from ivr.storage.warm_ops import resume_handle
from ivr.vocabulary import CallOutcome, EndReason, TransferReason, identified_caller

log = logging.getLogger(__name__)

# The AudioSocket EXEC lasts the whole conversation; its reply may only time out after the call deadline.
_EXEC_GRACE_SECONDS = 30.0
# Caller memory must never hold up the greeting: a slow database means "no history" for this call.
_HISTORY_TIMEOUT_SECONDS = 0.5


class _CallEnded(Exception):
    """Raised by the sentinel task to cancel the rest of the call's tasks."""


@dataclass(frozen=True)
class SessionSettings:
    """Per-call settings taken from the service config."""

    audiosocket_address: str
    fallback_queue: str
    max_call_seconds: float
    audio_connect_timeout: float = 10.0
    audio_stall_seconds: float = 10.0  # no frame from Asterisk this long: fallback, reason audio-stalled
    # The survey leg sets its own variable: IVR_CALL_UUID must keep naming the call that was rated.
    uuid_variable: str = "IVR_CALL_UUID"
    history_limit: int = 5


def previous_call(record: CallRecord) -> PreviousCall:
    """What caller memory keeps of one stored call."""
    resolved = record.meta.get("resolved")
    return PreviousCall(
        call_uuid=record.call_uuid,
        started_at=record.started_at,
        language=str(record.meta.get("language") or record.language),
        outcome=record.outcome,
        intent=record.meta.get("intent"),
        open_issue=record.outcome in ("transferred", "abandoned", "failed") and not resolved,
    )


class CallSession:
    """Everything about one call, from the AGI request to the stored record."""

    def __init__(
        self,
        channel: AgiChannel,
        *,
        store: CallStore,
        speech: SpeechDeps,
        bot_factory: Callable[[CallInfo], Bot],
        settings: SessionSettings,
        on_finished: Callable[[CallSession], None] = lambda session: None,
        on_callback: Callable[[Callback, CallInfo], Awaitable[None]] | None = None,
        returning: ReturnRequest | None = None,
    ) -> None:
        self.channel = channel
        # A caller back from an agent continues their original call (same uuid, same stored row).
        self.returning = returning
        self._resume: dict | None = None  # what the bot needs to continue the returning caller's case
        self.call_uuid = uuid.UUID(returning.call_uuid) if returning else uuid.uuid4()
        self.store = store
        self.speech = speech
        self.bot_factory = bot_factory
        self.settings = settings
        self.on_finished = on_finished
        self.on_callback = on_callback
        self.bot: Bot | None = None
        self.call_info: CallInfo | None = None
        self.end_reason: str | None = None
        self.stored_outcome: str | None = None  # abandoned/transferred/contained/failed, once finished
        self.outcome: Outcome | None = None
        self.finished = asyncio.Event()
        self.conversation: Conversation | None = None
        self._ended = asyncio.Event()
        self._audio: asyncio.Future[AudioConnection] = asyncio.get_running_loop().create_future()
        self._call = None
        self._handover: Action | None = None

    # ----- entry points -------------------------------------------------------------------------

    async def run(self) -> None:
        """Run the whole call; returns once it is stored and every task has ended."""
        env = self.channel.env
        self.started_at = datetime.now(UTC)
        self._call = await self._resumed_call() if self.returning else None
        self._call = self._call or await self.store.start_call(
            call_uuid=str(self.call_uuid),
            agi_uniqueid=env.uniqueid,
            channel=env.channel,
            caller_number=env.caller_number,
            caller_name=env.caller_name,
            language=env.language or "en",
            started_at=self.started_at,
            wait=False,  # the caller never waits for the database (see CallStore)
        )
        try:
            async with asyncio.TaskGroup() as tg:
                tg.create_task(self._sentinel(), name=f"call-{self.call_uuid}-sentinel")
                tg.create_task(self._spine(), name=f"call-{self.call_uuid}-agi")
                tg.create_task(self._media(), name=f"call-{self.call_uuid}-media")
                tg.create_task(self._deadline(), name=f"call-{self.call_uuid}-deadline")
        except* _CallEnded:
            pass
        except* Exception as group:
            first = group.exceptions[0]
            log.error("call %s: %s", self.call_uuid, first, exc_info=first)
            self.end(f"error: {type(first).__name__}: {first}")
        finally:
            await self._finalise()

    async def attach_audio(self, conn: AudioConnection) -> None:
        """Hand Asterisk's AudioSocket connection to this call; returns when the call no longer needs it."""
        if self._audio.done():
            log.warning("call %s: second AudioSocket connection refused", self.call_uuid)
            return
        self._audio.set_result(conn)
        await self.finished.wait()

    def hand_over(self, action: Action) -> None:
        """Finish the call with `action` (the worker drains), after the current turn or once it starts."""
        self._handover = action
        if self.conversation is not None:
            self.conversation.hand_over(action)

    def end(self, reason: str) -> None:
        """Ask the call to end; the first reason given is the one recorded."""
        if self.end_reason is None:
            self.end_reason = reason
            log.info("call %s ending: %s", self.call_uuid, reason)
        self._ended.set()

    # ----- tasks ----------------------------------------------------------------------------------

    async def _sentinel(self) -> None:
        """Turn `end()` into the cancellation of every other task of the call."""
        await self._ended.wait()
        raise _CallEnded

    async def _spine(self) -> None:
        """The AGI side: stream the audio to us, then tell the dialplan what to do."""
        timeout = self.settings.max_call_seconds + _EXEC_GRACE_SECONDS
        try:
            # Set first, so the dialplan and the screen-pop can find this call whatever happens next.
            await self.channel.set_variable(self.settings.uuid_variable, str(self.call_uuid))
            reply = await self.channel.command(
                "EXEC",
                "AudioSocket",
                f"{self.call_uuid},{self.settings.audiosocket_address}",
                timeout=timeout,
            )
            # -1 after the conversation started, with no outcome from the bot: the caller hung up.
            caller_left_mid_call = reply.result == -1 and self.outcome is None and self._audio.done()
            if not caller_left_mid_call:
                # Harmless on a dead channel (SET VARIABLE is allowed there), vital on a live one.
                await self._return_to_dialplan()
        except AgiError as exc:
            self.end(f"agi: {type(exc).__name__}: {exc}")
            return
        if caller_left_mid_call or self.channel.hung_up.is_set():
            self.end(EndReason.CALLER_HANGUP)
        else:
            self.end(self._end_reason_for(self.outcome))

    async def _media(self) -> None:
        """Wait for the call's audio and run the conversation; never raises."""
        conn: AudioConnection | None = None
        try:
            history = asyncio.ensure_future(self._history())
            try:
                conn = await asyncio.wait_for(
                    asyncio.shield(self._audio), self.settings.audio_connect_timeout
                )
                self.call_info = await self._call_info(await history)
            finally:
                history.cancel()
            self.bot = self.bot_factory(self.call_info)
            self.conversation = Conversation(
                conn,
                speech=self.speech,
                bot=self.bot,
                call=self.call_info,
                store=self.store,
                call_handle=self._call,
                fallback_queue=self.settings.fallback_queue,
                on_callback=self.on_callback,
                audio_stall_seconds=self.settings.audio_stall_seconds,
            )
            if self._handover is not None:  # the worker began draining before the audio arrived
                self.conversation.hand_over(self._handover)
            self.outcome = await self.conversation.run()
        except TimeoutError:
            log.warning(
                "call %s: no AudioSocket connection within %.0fs",
                self.call_uuid,
                self.settings.audio_connect_timeout,
            )
            self.outcome = Outcome.fallback(self.settings.fallback_queue, TransferReason.AUDIO_TIMEOUT)
            # A real Asterisk returns from an AudioSocket() that cannot connect within 2 s; a peer still
            # silent now is not serving a caller (or is one of many idle sessions holding us): end it.
            # Closing the AGI socket makes the dialplan queue the caller on the fallback queue.
            self.end(EndReason.AUDIO_TIMEOUT)
        except Exception as exc:  # a broken component must hand the caller to a person, not drop them
            log.exception("call %s: conversation failed", self.call_uuid)
            self.outcome = Outcome.fallback(
                self.settings.fallback_queue, TransferReason.BOT_ERROR.with_detail(type(exc).__name__)
            )
        finally:
            if conn is not None and not conn.closed.is_set():
                # Ending the stream with 0x00 makes EXEC AudioSocket return 0 and the dialplan go on.
                with contextlib.suppress(OSError, ConnectionError):
                    await conn.hangup()

    async def _deadline(self) -> None:
        """Cap the call length: past it, the caller goes to a person."""
        await asyncio.sleep(self.settings.max_call_seconds)
        if self.outcome is None:
            self.outcome = Outcome.fallback(self.settings.fallback_queue, TransferReason.MAX_CALL_TIME)
        if self._audio.done():
            conn = self._audio.result()
            with contextlib.suppress(OSError, ConnectionError):
                await conn.hangup()
        else:
            self.end(EndReason.MAX_CALL_TIME)

    # ----- helpers --------------------------------------------------------------------------------

    async def _resumed_call(self) -> CallHandle | None:
        """The stored call a returning caller continues, with the hand-off context for the bot."""
        try:
            async with asyncio.timeout(_HISTORY_TIMEOUT_SECONDS * 2):
                handle = await resume_handle(self.store.session_factory, str(self.call_uuid))
        except Exception as exc:  # database down: a new row with the same uuid is written later
            log.warning("call %s: not resumed (%s)", self.call_uuid, type(exc).__name__)
            return None
        self._resume = await load_resume(self.store.session_factory, self.returning)
        return handle

    async def _history(self) -> tuple[PreviousCall, ...]:
        """The caller's earlier calls, newest first; empty when unknown or the database is slow."""
        number = identified_caller(self.channel.env.caller_number)
        if number is None:
            return ()
        try:
            records = await self.store.recent_calls(
                number,
                limit=self.settings.history_limit + 1,
                with_turns=False,
                timeout=_HISTORY_TIMEOUT_SECONDS,
            )
        except StorageUnavailable as exc:
            log.warning("call %s: no caller history (%s)", self.call_uuid, exc)
            return ()
        mine = str(self.call_uuid)
        return tuple(previous_call(r) for r in records if r.call_uuid != mine)[: self.settings.history_limit]

    async def _call_info(self, history: tuple[PreviousCall, ...]) -> CallInfo:
        """What the bot is told about this call."""
        env = self.channel.env
        returning = env.query.get("return") in ("1", "yes", "true") or "return" in env.args
        return CallInfo(
            call_uuid=str(self.call_uuid),
            caller_number=env.caller_number,
            caller_name=env.caller_name,
            language=env.language or "en",
            history=history,
            returning_to_bot=returning or self.returning is not None,
            resume=self._resume,
        )

    def _call_meta(self) -> dict | None:
        """What the bot learned, for calls.meta (caller memory reads intent and language back)."""
        call_meta = getattr(self.bot, "call_meta", None)
        if call_meta is None:
            return None
        try:
            return dict(call_meta())
        except Exception:  # metadata must never cost the call record
            log.exception("call %s: bot metadata failed", self.call_uuid)
            return None

    async def _return_to_dialplan(self) -> None:
        """Set the IVR_* variables the dialplan acts on."""
        outcome = self.outcome or Outcome.fallback(self.settings.fallback_queue, TransferReason.NO_OUTCOME)
        self.outcome = outcome
        await self.channel.set_variable("IVR_REASON", outcome.reason)
        if outcome.action == "transfer":
            await self.channel.set_variable("IVR_QUEUE", outcome.queue or self.settings.fallback_queue)
            await self.channel.set_variable("IVR_PRIORITY", str(outcome.priority))
        await self.channel.set_variable("IVR_ACTION", outcome.action)

    @staticmethod
    def _end_reason_for(outcome: Outcome | None) -> str:
        """The stored end reason of a call that returned to the dialplan."""
        if outcome is None:
            return EndReason.NO_OUTCOME
        return EndReason.TRANSFERRED if outcome.action == "transfer" else EndReason.BOT_HANGUP

    def _stored_outcome(self, outcome: Outcome | None) -> str:
        """The call's outcome as reported: abandoned, transferred, contained (bot finished) or failed."""
        if self.end_reason == EndReason.CALLER_HANGUP:
            return CallOutcome.ABANDONED
        if outcome is None:
            return CallOutcome.FAILED
        return CallOutcome.TRANSFERRED if outcome.action == "transfer" else CallOutcome.CONTAINED

    async def _finalise(self) -> None:
        """Store the end of the call and release its resources, once."""
        if self.end_reason is None:
            self.end_reason = self._end_reason_for(self.outcome)
        self.finished.set()
        if not self._audio.done():
            self._audio.cancel()
        outcome = self.outcome
        self.stored_outcome = stored_outcome = self._stored_outcome(outcome)
        try:
            await self.store.end_call(
                self._call,
                ended_at=datetime.now(UTC),
                end_reason=self.end_reason,
                outcome=stored_outcome,
                queue=outcome.queue if outcome else None,
                meta=self._call_meta(),
            )
        finally:
            self.on_finished(self)
