"""Reconnect delays: exponential growth with jitter, pure (the caller sleeps; nothing here reads a clock)."""

from __future__ import annotations

import random
from collections.abc import Callable


class Backoff:
    """Delays `initial * 2**n` capped at `maximum`, each shortened by a random share of up to `jitter`."""

    def __init__(
        self,
        initial: float,
        maximum: float,
        *,
        jitter: float = 0.5,
        rng: Callable[[], float] = random.random,
    ) -> None:
        if not 0 < initial <= maximum:
            raise ValueError(f"backoff needs 0 < initial <= maximum, got {initial}, {maximum}")
        if not 0 <= jitter < 1:
            raise ValueError(f"backoff jitter must be in [0, 1), got {jitter}")
        self.initial, self.maximum, self.jitter = initial, maximum, jitter
        self._rng = rng
        self._base = initial

    def next_delay(self) -> float:
        """Seconds to wait before the next attempt; each call doubles the base up to `maximum`."""
        base = self._base
        self._base = min(self.maximum, base * 2)
        # Jitter spreads many clients that lost the same Asterisk so they do not reconnect in lockstep.
        return base * (1 - self.jitter * self._rng())

    def reset(self) -> None:
        """Start again from `initial` (after a successful login)."""
        self._base = self.initial
