"""Pure real-time frame pacing for outbound AudioSocket audio; it is fed times and never reads a clock.

How this works: frame n of a run is due at `anchor + n * frame_seconds`, so deadlines never drift however
late each individual wake-up is. A sender that wakes a little late sends at once and catches up. If a
frame goes out more than `max_lag_frames` frames after its deadline, catching up would mean a burst,
and Asterisk drops bursts (RTP timestamps jump back to the wall clock), so the pacer re-anchors at that
send instead: the next frame is due one frame later and the lost time is simply not made up.
"""

from __future__ import annotations

from ivr.errors import LocalProtocolError


class FramePacer:
    """Deadlines for sending one fixed-length frame at a time on a real-time clock."""

    def __init__(self, frame_seconds: float = 0.02, max_lag_frames: int = 3) -> None:
        if frame_seconds <= 0:
            raise LocalProtocolError(f"frame_seconds must be positive, not {frame_seconds}")
        if max_lag_frames < 0:
            raise LocalProtocolError(f"max_lag_frames must be >= 0, not {max_lag_frames}")
        self.frame_seconds = frame_seconds
        self.max_lag_frames = max_lag_frames
        self._anchor: float | None = None
        self._count = 0
        self.frames_sent = 0
        self.reanchors = 0

    @property
    def started(self) -> bool:
        """True once `start()` was called."""
        return self._anchor is not None

    def start(self, now: float) -> None:
        """Anchor the schedule: the first frame is due at `now`."""
        self._anchor = now
        self._count = 0

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
            self._anchor = now
            self._count = 1
            self.reanchors += 1
        else:
            self._count += 1
        self.frames_sent += 1
