"""Expected wait in a queue, from its live state and the recent handle times (pure: no clock, no IO).

Formula (documented for admins and the supervisor view):

    N = callers already waiting with a priority >= the new caller's (they are served first)
    A = agents available now (logged in, not paused, not ringing, not talking)
    S = agents staffed (logged in, not paused, reachable): those who will take calls
    H = average handle time: talk + wrap-up over the last `window` completed calls of the queue;
        without history, the queue's TalkTime from QueueStatus (QueueParams) + the members' wrap-up;
        without that, `default_handle_seconds`
    position = N + 1
    wait     = 0                      if N < A   (a free agent takes the caller at once)
             = H * (N - A + 1/2) / S  otherwise  (the S busy agents free up one every H/S seconds on
                                                 average, and the first one is half-way through a call)
    unknown (None) when S == 0: nobody will answer, whatever the queue length.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from queues.status import WaitEstimate

DEFAULT_HANDLE_SECONDS = 180.0
DEFAULT_WINDOW = 20


@dataclass(frozen=True)
class QueueLoad:
    """What the estimator needs to know about a queue right now."""

    ahead: int  # waiting callers with priority >= the new caller's
    available: int
    staffed: int


class WaitEstimator:
    """Keeps a rolling window of handle times per queue and turns a QueueLoad into a WaitEstimate."""

    def __init__(
        self, *, window: int = DEFAULT_WINDOW, default_handle_seconds: float = DEFAULT_HANDLE_SECONDS
    ) -> None:
        if window < 1 or default_handle_seconds <= 0:
            raise ValueError("window must be >= 1 and default_handle_seconds > 0")
        self._window = window
        self._default = default_handle_seconds
        self._samples: dict[str, deque[float]] = {}
        self._seeds: dict[str, float] = {}

    def record(self, queue: str, talk_seconds: float, wrapup_seconds: float = 0.0) -> None:
        """Add one completed call (AgentComplete TalkTime + the member's wrap-up) to the queue's window."""
        if talk_seconds < 0 or wrapup_seconds < 0:
            return
        samples = self._samples.setdefault(queue, deque(maxlen=self._window))
        samples.append(talk_seconds + wrapup_seconds)

    def seed(self, queue: str, talk_seconds: float, wrapup_seconds: float = 0.0) -> None:
        """The queue's own average (QueueParams TalkTime) used until calls are recorded; 0 means unknown."""
        if talk_seconds > 0:
            self._seeds[queue] = talk_seconds + max(wrapup_seconds, 0.0)
        else:
            self._seeds.pop(queue, None)

    def handle_seconds(self, queue: str) -> float:
        """H: the window's mean, else the seed, else the default."""
        samples = self._samples.get(queue)
        if samples:
            return sum(samples) / len(samples)
        return self._seeds.get(queue, self._default)

    def estimate(self, queue: str, load: QueueLoad) -> WaitEstimate | None:
        """Position and expected wait of a new caller; None when no agent is staffed."""
        if load.staffed <= 0:
            return None
        position = max(load.ahead, 0) + 1
        if load.ahead < load.available:
            return WaitEstimate(position=position, seconds=0.0)
        handle = self.handle_seconds(queue)
        seconds = handle * (load.ahead - load.available + 0.5) / load.staffed
        return WaitEstimate(position=position, seconds=seconds)
