"""Speculative decoding for utterance engines (Whisper): start decoding before the turn has surely ended.

How this works
--------------
The endpointer announces `PossibleEndOfTurn` once the caller has been silent for `speculate_after`
seconds, well before `end_silence` ends the turn. `start()` then decodes the utterance so far as an
asyncio task on a fresh stream (the decode itself runs in an ASR worker process, so hearing never
waits; a decode still queued when it is discarded never runs). Exactly one speculation is pending per call:

* `SpeechResumed` (or a newer announcement) → `discard()`: the task is cancelled; a decode already
  running in a worker process finishes there and its result is dropped.
* `UtteranceEnded` → `take(ended)`: if it matches the pending announcement (same speech start and end:
  nothing was said since), the pending `Speculation` travels with the utterance; otherwise it is discarded.
* `result(speculation, grammar, hints)` awaits it when the dialogue is ready for the transcript; a grammar
  or hints that changed in between, or a failed decode, gives None and the caller decodes normally.

Only the turn-ending decision is speculative: the audio after the announcement is trailing silence, so
the transcript is the one the full utterance would give.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from asr.endpointer import PossibleEndOfTurn, UtteranceEnded
from asr.engine import AsrEngine, Transcript

log = logging.getLogger(__name__)

Grammar = tuple[str, ...] | None


def grammar_key(grammar: Sequence[str] | None) -> Grammar:
    """A hashable, comparable form of a bot grammar (None or empty: free speech)."""
    return tuple(grammar) if grammar else None


@dataclass(frozen=True, slots=True)
class Speculation:
    """A decode started at a possible end of turn, with the grammar it was started with."""

    event: PossibleEndOfTurn
    grammar: Grammar
    task: asyncio.Task[Transcript]
    hints: Grammar = None


class Speculator:
    """Starts, keeps or discards the speculative decodes of one call (see the module docstring)."""

    def __init__(self, engine: AsrEngine, rate: int) -> None:
        self.engine, self.rate = engine, rate
        self._pending: Speculation | None = None
        self._tasks: set[asyncio.Task[Transcript]] = set()
        self.started = 0
        self.used = 0
        self.discarded = 0

    @property
    def enabled(self) -> bool:
        """Streaming engines are fed during speech and finish fast: only utterance engines speculate."""
        return not self.engine.streaming

    def start(
        self, event: PossibleEndOfTurn, grammar: Sequence[str] | None, hints: Sequence[str] | None = None
    ) -> None:
        """Begin decoding the utterance so far; any older pending speculation is discarded."""
        self.discard()
        key, hint_key = grammar_key(grammar), grammar_key(hints)
        task = asyncio.get_running_loop().create_task(self._decode(event.audio, key, hint_key))
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        self._pending = Speculation(event, key, task, hint_key)
        self.started += 1

    def discard(self) -> None:
        """Drop the pending speculation (speech resumed)."""
        pending, self._pending = self._pending, None
        if pending is not None:
            self._drop(pending)

    def take(self, ended: UtteranceEnded) -> Speculation | None:
        """The pending speculation if `ended` is the turn it guessed, else None (and it is dropped)."""
        pending, self._pending = self._pending, None
        if pending is None:
            return None
        if not pending.event.matches(ended):
            self._drop(pending)
            return None
        return pending

    async def result(
        self, speculation: Speculation, grammar: Sequence[str] | None, hints: Sequence[str] | None = None
    ) -> Transcript | None:
        """Its transcript, or None when the grammar or hints changed since it started or the decode failed."""
        if speculation.grammar != grammar_key(grammar) or speculation.hints != grammar_key(hints):
            self._drop(speculation)
            return None
        try:
            transcript = await speculation.task
        except Exception:
            log.warning("speculative decode failed; decoding the utterance again", exc_info=True)
            self.discarded += 1
            return None
        self.used += 1
        return transcript

    def close(self) -> None:
        """Cancel everything still running (the call is over)."""
        self._pending = None
        for task in list(self._tasks):
            task.cancel()

    def _drop(self, speculation: Speculation) -> None:
        self.discarded += 1
        speculation.task.cancel()

    async def _decode(self, audio: bytes, grammar: Grammar, hints: Grammar) -> Transcript:
        stream = self.engine.new_stream(self.rate, grammar=list(grammar) if grammar else None, hints=hints)
        try:
            await stream.feed(audio)
            return await stream.finish()
        finally:
            stream.close()

    def _finished(self, task: asyncio.Task[Transcript]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # Retrieved here so a dropped failure is not reported as "never retrieved".
            log.debug("speculative decode failed: %r", task.exception())
