"""Overload protection: a new call gets the bot only while the decoders can keep up.

How this works
--------------
Every hotline call asks `Admission.admit()` when its AGI request arrives. It is refused when

* `bot.max_calls` calls are already with the bot on this worker (the configured cap), or
* the calls with the bot would keep the decoders busier than `busy_share` (70 %): the decoder time one
  call needs is measured as the calls go (decoder busy seconds per second, per call in progress), so a
  burst of new calls is stopped before their utterances have formed a queue, or
* the decode backlog (asr.pool.DecodeLoad.backlog_seconds: how long an utterance submitted now would
  wait for a free decoder) is over `asr.max_backlog`: the decoders are behind, and one more caller
  would make every caller wait. The limit then becomes automatic: it drops to the calls in progress
  and rises again by one call per `relax_seconds` while the backlog stays under half its bound, so a
  burst does not swing the worker between accepting everyone and refusing everyone.

A refused caller hears `bot.busy_notice` (cached at start-up) and is handed to the fallback queue as
soon as it has been said, without a recogniser: the calls in progress keep their decoders. Admitted,
refused (by reason) and the backlog are Prometheus metrics.

The hand-over (the AGI session returning with IVR_ACTION=transfer, after which the dialplan runs Queue())
comes after the notice, not before: AudioSocket() holds the channel until the socket closes, and Asterisk
writes each frame to the channel as it arrives, with no buffer, so closing early cuts the notice and
sending it ahead of time makes an RTP burst the phone drops. Answer -> queue is therefore the notice plus
a few milliseconds of AGI and AudioSocket exchange, and the notice must be short: the default, "Putting
you through to an agent.", is 1.3 s with espeak-ng at 175 wpm, for a hand-over within 2 s of answer.
A longer `bot.busy_notice` is warned about at start-up.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from asr.engine import Alternative
from asr.pool import DecodeLoad
from ivr.bot import Action, CallInfo, Transfer

RefusedBecause = Literal["max-calls", "capacity", "backlog"]
_DEMAND_EWMA = 0.3  # weight of the newest sample of the decoder time a call needs
OVERLOAD_REASON = "overload"
# Longest busy notice that still hands the caller over within 2 s of answer (the rest is AGI/AudioSocket).
LONG_NOTICE_SECONDS = 1.6

log = logging.getLogger(__name__)


def check_busy_notice(pcm: bytes, rate: int) -> float:
    """Seconds the synthesised busy notice lasts; warns when it delays the hand-over past 2 s of answer."""
    seconds = len(pcm) / (2 * rate)
    if seconds > LONG_NOTICE_SECONDS:
        log.warning(
            "bot.busy_notice lasts %.1f s: refused callers reach the fallback queue %.1f s after answer "
            "(keep it under %.1f s, e.g. 'Putting you through to an agent.')",
            seconds, seconds + 0.1, LONG_NOTICE_SECONDS,
        )  # fmt: skip
    return seconds


@dataclass
class Admission:
    """Counts the calls with the bot and decides whether one more may start."""

    load: DecodeLoad
    max_calls: int | None = None
    max_backlog: float = 0.3
    relax_seconds: float = 2.0
    busy_share: float = 0.7  # of the decoders' time the admitted calls may fill
    sample_seconds: float = 10.0
    clock: Callable[[], float] = time.monotonic
    active: int = 0
    auto_limit: int | None = None  # set while recovering from a backlog; None: no automatic limit
    demand_per_call: float | None = None  # decoder-seconds per second one call needs, as measured
    admitted: int = 0
    refused: dict[str, int] = field(default_factory=lambda: {"max-calls": 0, "capacity": 0, "backlog": 0})
    _changed_at: float = 0.0
    _sample: tuple[float, float] | None = None  # (time, load.busy_seconds) of the last demand sample

    def admit(self) -> RefusedBecause | None:
        """None when the call is admitted (call `release()` when it ends), else why it is refused."""
        reason = self._refusal()
        if reason is not None:
            self.refused[reason] += 1
            return reason
        self.active += 1
        self.admitted += 1
        return None

    def release(self) -> None:
        """An admitted call left the bot."""
        self.active = max(0, self.active - 1)

    def capacity(self) -> int | None:
        """Calls the decoders serve at `busy_share`, from the measured demand per call (None: unmeasured)."""
        if not self.demand_per_call:
            return None
        return max(1, int(self.load.workers * self.busy_share / self.demand_per_call + 1e-9))

    def _measure(self, now: float) -> None:
        """Update the decoder time a call needs, from the decoders' busy time since the last sample."""
        busy = self.load.busy_seconds
        if self._sample is None:
            self._sample = (now, busy)
            return
        then, busy_then = self._sample
        if now - then < self.sample_seconds:
            return
        self._sample = (now, busy)
        if self.active == 0 or busy <= busy_then:
            return  # nothing decoded (greetings only): no news about what a call needs
        demand = (busy - busy_then) / (now - then) / self.active
        old = self.demand_per_call
        self.demand_per_call = demand if old is None else old + (demand - old) * _DEMAND_EWMA

    def _refusal(self) -> RefusedBecause | None:
        """Why one more call may not start now, or None."""
        if self.max_calls is not None and self.active >= self.max_calls:
            return "max-calls"
        now, backlog = self.clock(), self.load.backlog_seconds()
        self._measure(now)
        capacity = self.capacity()
        if capacity is not None and self.active >= capacity:
            return "capacity"
        if backlog > self.max_backlog:
            limit = max(1, self.active)
            self.auto_limit = limit if self.auto_limit is None else min(self.auto_limit, limit)
            self._changed_at = now
            return "backlog"
        if self.auto_limit is None or self.active < self.auto_limit:
            return None
        if backlog <= self.max_backlog / 2 and now - self._changed_at >= self.relax_seconds:
            self.auto_limit += 1
            self._changed_at = now
            return None
        return "backlog"


@dataclass
class OverloadBot:
    """The bot of a refused call: says the busy notice and hands the caller to the fallback queue."""

    notice: str
    fallback_queue: str
    because: RefusedBecause

    def start(self, call: CallInfo) -> list[Action]:
        """The notice and the transfer, at once."""
        context = {"reason": OVERLOAD_REASON, "refused": self.because}
        return [Transfer(self.fallback_queue, OVERLOAD_REASON, self.notice, context=context)]

    def on_transcript(
        self, text: str, confidence: float, alternatives: Sequence[Alternative] = ()
    ) -> list[Action]:
        """Never reached: the conversation ends with the transfer."""
        return []

    def on_dtmf(self, digit: str) -> list[Action]:
        """Never reached: the conversation ends with the transfer."""
        return []

    def on_no_input(self) -> list[Action]:
        """Never reached: the conversation ends with the transfer."""
        return []

    def grammar(self) -> list[str] | None:
        """Nothing is recognised on a refused call."""
        return None

    def hints(self) -> list[str] | None:
        """Nothing is recognised on a refused call."""
        return None
