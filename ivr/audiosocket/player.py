"""Outbound audio for one call: queued playbacks sent as paced 20 ms frames, silence when idle.

How this works: `run()` is a loop that wakes on the FramePacer's deadlines (anchored on the monotonic
clock, so no drift, and on its 20 ms grid, so all calls send in the same wake-up) and sends exactly
one frame per tick. Which frame is decided after the wake-up, so `interrupt()` takes effect on the very
next tick. With nothing to play it sends silence, because Asterisk's AudioSocket() hangs up after 2 s
without a frame in either direction. Each playback ends once: finished, interrupted, cleared, or
dropped when `run()` stops; its `done` future then resolves.
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from ivr.audiosocket.codec import kind_of_rate
from ivr.audiosocket.connection import AudioConnection
from ivr.audiosocket.pacer import FramePacer
from ivr.errors import LocalProtocolError

FrameKind = Literal["audio", "silence"]


@dataclass(frozen=True, slots=True)
class PlaybackResult:
    """How a playback ended; times are on the player's clock."""

    label: str
    frames_total: int
    frames_played: int
    interrupted: bool
    started_at: float | None
    ended_at: float


class Playback:
    """One queued sound: `started` is set at its first frame, `done` resolves to a PlaybackResult."""

    def __init__(self, pcm: bytes, frame_bytes: int, interruptible: bool, label: str) -> None:
        self.label = label
        self.interruptible = interruptible
        self.frames_total = -(-len(pcm) // frame_bytes)
        self.frames_played = 0
        self.started_at: float | None = None
        self.started = asyncio.Event()
        self.done: asyncio.Future[PlaybackResult] = asyncio.get_running_loop().create_future()
        self._pcm = pcm
        self._frame_bytes = frame_bytes

    def next_frame(self, now: float) -> bytes:
        """The next frame (the last one padded with silence to a full frame)."""
        if self.started_at is None:
            self.started_at = now
            self.started.set()
        start = self.frames_played * self._frame_bytes
        frame = self._pcm[start : start + self._frame_bytes]
        self.frames_played += 1
        return frame.ljust(self._frame_bytes, b"\x00")

    @property
    def finished(self) -> bool:
        """True when every frame has been sent."""
        return self.frames_played >= self.frames_total

    def end(self, now: float, *, interrupted: bool) -> None:
        """Resolve `done` (only the first call counts)."""
        if not self.done.done():
            self.done.set_result(
                PlaybackResult(
                    self.label, self.frames_total, self.frames_played, interrupted, self.started_at, now
                )
            )


class OutboundAudio:
    """Paced sender of the bot's audio on one AudioConnection."""

    def __init__(
        self,
        conn: AudioConnection,
        *,
        rate: int = 8000,
        frame_ms: int = 20,
        clock: Callable[[], float] = time.monotonic,
        record_timing: bool = False,
        timing_log_size: int = 3000,
    ) -> None:
        kind_of_rate(rate)  # fail early on a rate AudioSocket cannot carry
        if frame_ms <= 0 or rate * frame_ms % 1000:
            raise LocalProtocolError(f"{frame_ms} ms is not a whole number of samples at {rate} Hz")
        self.conn = conn
        self.rate = rate
        self.frame_bytes = rate * frame_ms // 1000 * 2
        self.frames_sent = 0
        self.silence_frames_sent = 0
        self.frame_log: collections.deque[tuple[float, FrameKind]] | None = (
            collections.deque(maxlen=timing_log_size) if record_timing else None
        )
        self._clock = clock
        self._pacer = FramePacer(frame_ms / 1000, align=True)  # every call ticks together (see pacer)
        self._silence = bytes(self.frame_bytes)
        self._current: Playback | None = None
        self._queue: collections.deque[Playback] = collections.deque()

    @property
    def is_playing(self) -> bool:
        """True while a playback is in progress or queued."""
        return self._current is not None or bool(self._queue)

    @property
    def interruptible(self) -> bool:
        """True while a playback that barge-in may stop is in progress or queued."""
        current = self._current is not None and self._current.interruptible
        return current or any(playback.interruptible for playback in self._queue)

    @property
    def reanchors(self) -> int:
        """How often sending fell so far behind that the schedule was restarted."""
        return self._pacer.reanchors

    def play(self, pcm: bytes, *, interruptible: bool = True, label: str = "") -> Playback:
        """Queue `pcm` (slin at the player's rate) after whatever is already queued."""
        if len(pcm) % 2:
            raise LocalProtocolError(f"pcm must hold whole 16-bit samples, got {len(pcm)} bytes")
        playback = Playback(pcm, self.frame_bytes, interruptible, label)
        if playback.frames_total == 0:
            playback.end(self._clock(), interrupted=False)
        else:
            self._queue.append(playback)
        return playback

    def interrupt(self) -> bool:
        """Stop the current interruptible playback and drop queued interruptible ones; True if any."""
        now = self._clock()
        stopped = False
        if self._current is not None and self._current.interruptible:
            self._current.end(now, interrupted=True)
            self._current = None
            stopped = True
        keep: collections.deque[Playback] = collections.deque()
        for playback in self._queue:
            if playback.interruptible:
                playback.end(now, interrupted=True)
                stopped = True
            else:
                keep.append(playback)
        self._queue = keep
        return stopped

    def clear(self) -> None:
        """Drop every playback, interruptible or not (used on hang-up)."""
        now = self._clock()
        if self._current is not None:
            self._current.end(now, interrupted=True)
            self._current = None
        while self._queue:
            self._queue.popleft().end(now, interrupted=True)

    async def run(self) -> None:
        """Send one frame per tick until the connection closes (or the task is cancelled)."""
        self._pacer.start(self._clock())
        try:
            while not self.conn.closed.is_set():
                delay = self._pacer.next_send_at() - self._clock()
                if delay > 0:
                    # Real-time pacing of live audio, not a test wait.
                    await asyncio.sleep(delay)
                if not await self._tick():
                    break
        finally:
            self.clear()

    async def _tick(self) -> bool:
        now = self._clock()
        playback = self._advance()
        frame = playback.next_frame(now) if playback is not None else self._silence
        sent = await self.conn.send_audio(frame, self.rate)
        self._pacer.sent(now)
        if not sent:
            return False
        self.frames_sent += 1
        if playback is None:
            self.silence_frames_sent += 1
        if self.frame_log is not None:
            self.frame_log.append((now, "audio" if playback is not None else "silence"))
        if playback is not None and playback.finished and playback is self._current:
            playback.end(self._clock(), interrupted=False)
            self._current = None
        return True

    def _advance(self) -> Playback | None:
        if self._current is None and self._queue:
            self._current = self._queue.popleft()
        return self._current
