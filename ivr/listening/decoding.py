"""The async half of listening: runs a Listener's Decode requests as tasks of the call.

How this works: every output of the Listener passes through `route()`. A Decode becomes a task in the
call's TaskGroup (`bind`), which awaits the recogniser (its work runs in the engine's executor or worker
processes) and hands the result, or the exception it raised, back to `Listener.decoded()`; a Cancel
cancels that task. `transcribe()` waits for the Transcribed (or TranscriptionFailed) of its utterance.
Everything else is an event for the dialogue: returned by `route()`, except a streaming recogniser's
partial text, which comes out of a finished decode and is given to `on_partial`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from asr.engine import Partial, Transcript
from ivr.listening.events import (
    Cancel,
    Decode,
    Output,
    PartialHeard,
    RecogniserFailed,
    Transcribed,
    TranscriptionFailed,
    Utterance,
)
from ivr.listening.listener import Listener


async def execute(decode: Decode) -> Partial | Transcript | None:
    """Do what `decode` asks of its recogniser stream."""
    try:
        partial = await decode.stream.feed(decode.audio) if decode.audio else None
        return await decode.stream.finish() if decode.finish else partial
    finally:
        if decode.close:
            decode.stream.close()


class DecodeRunner:
    """Runs one Listener's decodes and waits for its transcripts (see the module docstring)."""

    def __init__(self, listener: Listener, on_partial: Callable[[str], None]) -> None:
        self.listener, self.on_partial = listener, on_partial
        self._tg: asyncio.TaskGroup | None = None
        self._tasks: dict[Decode, asyncio.Task[None]] = {}
        self._waiting: dict[Utterance, asyncio.Future[Transcript]] = {}

    def bind(self, tg: asyncio.TaskGroup) -> None:
        """Run decodes as tasks of `tg` (the call's TaskGroup: they end with the call)."""
        self._tg = tg

    async def transcribe(
        self, utterance: Utterance, grammar: list[str] | None, hints: list[str] | None
    ) -> Transcript:
        """The utterance's transcript under this grammar and these hints (a failed decode raises)."""
        waiter = asyncio.get_running_loop().create_future()
        self._waiting[utterance] = waiter
        try:
            self._deliver(self.route(self.listener.transcribe(utterance, grammar, hints)))
            return await waiter
        finally:
            self._waiting.pop(utterance, None)

    def close(self) -> None:
        """Cancel every decode still running and release the listener's recognisers."""
        for task in self._tasks.values():
            task.cancel()
        self._tasks.clear()
        self.listener.close()

    def route(self, outputs: list[Output]) -> list[Output]:
        """Start or cancel the decodes among a Listener's outputs; return the events for the dialogue."""
        events: list[Output] = []
        for out in outputs:
            if isinstance(out, Decode):
                if self._tg is None:
                    raise RuntimeError("DecodeRunner.bind() was not called")
                self._tasks[out] = self._tg.create_task(self._run(out))
            elif isinstance(out, Cancel):
                task = self._tasks.pop(out.decode, None)
                if task is not None:
                    task.cancel()
            elif isinstance(out, Transcribed | TranscriptionFailed):
                self._answer(out)
            elif isinstance(out, RecogniserFailed):
                raise out.error
            else:
                events.append(out)
        return events

    def _answer(self, out: Transcribed | TranscriptionFailed) -> None:
        waiter = self._waiting.get(out.utterance)
        if waiter is None or waiter.done():
            return
        if isinstance(out, Transcribed):
            waiter.set_result(out.transcript)
        else:
            waiter.set_exception(out.error)

    def _deliver(self, events: list[Output]) -> None:
        for event in events:
            if isinstance(event, PartialHeard):
                self.on_partial(event.text)

    async def _run(self, decode: Decode) -> None:
        try:
            result: Partial | Transcript | Exception | None = await execute(decode)
        except Exception as exc:  # the listener decides: decode again, fail the transcription, or the call
            result = exc
        finally:
            self._tasks.pop(decode, None)
        self._deliver(self.route(self.listener.decoded(decode, result)))
