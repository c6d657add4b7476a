"""Pure real-time frame pacing for outbound AudioSocket audio; it is fed times and never reads a clock.

How this works: frame n of a run is due at `anchor + n * frame_seconds`, so deadlines never drift however
late each individual wake-up is. A sender that wakes a little late sends at once and catches up. If a
frame goes out more than `max_lag_frames` frames after its deadline, catching up would mean a burst,
and Asterisk drops bursts (RTP timestamps jump back to the wall clock), so the pacer re-anchors at that
send instead: the next frame is due one frame later and the lost time is simply not made up.

With `align=True` every schedule is anchored on the shared grid of multiples of `frame_seconds` of the
clock (the start, and every re-anchoring, moves to a grid point). All the calls of a worker are then due
at the same instants, and the event loop sends every call's frame in one wake-up instead of one wake-up
per call: a wake-up costs about as much as the rest of a frame's work, so this is most of what a call's
outbound audio costs at scale. The first frame waits at most one frame for the grid.
"""

from __future__ import annotations

import math

from ivr.errors import LocalProtocolError


class FramePacer:
    """Deadlines for sending one fixed-length frame at a time on a real-time clock."""

    def __init__(self, frame_seconds: float = 0.02, max_lag_frames: int = 3, *, align: bool = False) -> None:
        if frame_seconds <= 0:
            raise LocalProtocolError(f"frame_seconds must be positive, not {frame_seconds}")
        if max_lag_frames < 0:
            raise LocalProtocolError(f"max_lag_frames must be >= 0, not {max_lag_frames}")
        self.frame_seconds = frame_seconds
        self.max_lag_frames = max_lag_frames
        self.align = align
        self._anchor: float | None = None
        self._count = 0
        self.frames_sent = 0
        self.reanchors = 0

    @property
    def started(self) -> bool:
        """True once `start()` was called."""
        return self._anchor is not None

    def start(self, now: float) -> None:
        """Anchor the schedule: the first frame is due at `now` (aligned: at the next grid point)."""
        self._anchor = self._on_grid(now)
        self._count = 0

    def _on_grid(self, t: float) -> float:
        """`t`, or with `align` the first multiple of frame_seconds at or after it."""
        if not self.align:
            return t
        return math.ceil(t / self.frame_seconds - 1e-6) * self.frame_seconds

    def next_send_at(self) -> float:
        """When the next frame is due."""
        if self._anchor is None:
            raise LocalProtocolError("FramePacer.start() must be called first")
        return self._anchor + self._count * self.frame_seconds

    def lag(self, now: float) -> float:
        """Seconds `now` is past the next deadline (negative when early)."""
        return now - self.next_send_at()

    def sent(self, now: float) -> None:
        """Record that the due frame went out at `now`."""
        if self.lag(now) > self.max_lag_frames * self.frame_seconds:
            # Aligned: the next grid point at least half a frame away, so the next frame is no burst.
            self._anchor = self._on_grid(now + self.frame_seconds / 2) if self.align else now
            self._count = 0 if self.align else 1
            self.reanchors += 1
        else:
            self._count += 1
        self.frames_sent += 1
