"""Fake Asterisk side of AudioSocket: connects, streams a caller script in real time, records the bot.

How this works (mirroring apps/app_audiosocket.c and the captures): `connect()` sends `01 00 10` + the
UUID, then `stream()` sends caller audio as 20 ms slin frames on a real-time schedule (scaled by
`speed`), DTMF as kind 0x03 at its place in the timeline, and after the script keeps sending silence
until the server ends the stream. The result is the AudioSocket() application's: 0 when the server sent
0x00 or closed the socket, -1 when the caller hung up (HangUp(), the `max_seconds` limit, or a server
protocol violation), and -1 after 2.0 s with no frame in either direction (only possible in a Pause()).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
import wave
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ivr.audiosocket.codec import (
    Audio,
    AudioSocketDecoder,
    AudioSocketProtocolError,
    Dtmf,
    Hangup,
    Message,
    UuidMessage,
    encode,
)
from ivr.audiosocket.connection import READ_SIZE, set_nodelay
from ivr.audiosocket.pacer import FramePacer

IDLE_TIMEOUT = 2.0  # MAX_WAIT_TIMEOUT_MSEC in app_audiosocket.c
FRAME_SECONDS = 0.02


@dataclass(frozen=True, slots=True)
class Speech:
    """Caller audio (slin at the caller's rate), sent as 20 ms frames."""

    pcm: bytes


@dataclass(frozen=True, slots=True)
class Silence:
    """Silent frames for `seconds` (a live line keeps carrying frames)."""

    seconds: float


@dataclass(frozen=True, slots=True)
class SilenceUntil:
    """Silent frames until `condition(caller)` holds, checked before every frame.

    A caller who waits for the bot (its prompt is playing, it answered) instead of for a fixed time
    behaves the same on a loaded machine as on an idle one. The call's `max_seconds` bounds the wait.
    `passed` (optional) is set once the condition held.
    """

    condition: Callable[[AudioSocketCaller], bool]
    passed: asyncio.Event | None = None


class BotAnswered:
    """A `SilenceUntil` condition: the bot spoke after the wait began, then sent `quiet` seconds of silence.

    Counted in the bot's frames, not in wall-clock time, so a slow decode only makes the wait longer.
    One instance per wait: it remembers where its wait began.
    """

    def __init__(self, quiet: float) -> None:
        self.quiet = quiet
        self._seen: int | None = None  # how many received messages were looked at
        self._spoke = False
        self._silent_frames = 0

    def __call__(self, caller: AudioSocketCaller) -> bool:
        start = len(caller.received) if self._seen is None else self._seen
        for _, msg in caller.received[start:]:
            if isinstance(msg, Audio):
                if any(msg.pcm):
                    self._spoke, self._silent_frames = True, 0
                elif self._spoke:
                    self._silent_frames += 1
        self._seen = len(caller.received)
        return self._spoke and self._silent_frames * FRAME_SECONDS + 1e-9 >= self.quiet


class BotSpoke:
    """A `SilenceUntil` condition: `seconds` of the bot's audio arrived since it began speaking after the
    wait began (counted in frames, so a slow player only makes the wait longer). One instance per wait.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._seen: int | None = None
        self._frames = 0  # frames since the first non-silent one

    def __call__(self, caller: AudioSocketCaller) -> bool:
        start = len(caller.received) if self._seen is None else self._seen
        for _, msg in caller.received[start:]:
            if isinstance(msg, Audio) and (self._frames or any(msg.pcm)):
                self._frames += 1
        self._seen = len(caller.received)
        return self._frames > 0 and self._frames * FRAME_SECONDS + 1e-9 >= self.seconds


def answered(quiet: float = 1.0) -> SilenceUntil:
    """Wait, as a caller does, until the bot has spoken and then been quiet for `quiet` seconds."""
    return SilenceUntil(BotAnswered(quiet))


def until_the_bot_ends() -> SilenceUntil:
    """Stay on the line until the bot ends the call (transfer or goodbye), within the call's max_seconds."""
    return SilenceUntil(lambda _caller: False)


@dataclass(frozen=True, slots=True)
class Pause:
    """No frames at all for `seconds`, as on hold or with silence suppression."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Digit:
    """One keypad digit, sent as kind 0x03 at this point of the timeline."""

    char: str


@dataclass(frozen=True, slots=True)
class HangUp:
    """The caller hangs up: the socket is closed without a 0x00, exactly like Asterisk."""


ScriptItem = Speech | Silence | SilenceUntil | Pause | Digit | HangUp


class _StreamEnded(Exception):
    """The stream is over; `result` is already set."""


class AudioSocketCaller:
    """Asterisk's end of one AudioSocket stream, for tests and `ivr call`."""

    def __init__(self, host: str, port: int, uuid: uuid.UUID, *, rate: int = 8000) -> None:
        self.host, self.port, self.uuid, self.rate = host, port, uuid, rate
        self.frame_bytes = rate // 50 * 2
        self.received: list[tuple[float, Message]] = []
        self.frames_sent = 0
        self.reanchors = 0  # how often this caller fell so far behind its schedule that it restarted it
        # When each script item began (time.monotonic), to line the caller's timeline up with the bot's.
        self.item_times: list[float] = []
        self.bot_spoke_at: float | None = None  # arrival of the bot's first frame that is not silence
        self.result: int | None = None
        self.end_reason: str | None = None
        self.finished = asyncio.Event()
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._reader_task: asyncio.Task[None] | None = None
        self._last_activity = 0.0

    async def connect(self) -> None:
        """Open the TCP connection and send the UUID message."""
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        set_nodelay(self._writer)
        self._last_activity = time.monotonic()
        await self._send(encode(UuidMessage(self.uuid)))
        self._reader_task = asyncio.get_running_loop().create_task(self._read_loop())

    async def stream(
        self, script: Iterable[ScriptItem], *, speed: float = 1.0, max_seconds: float = 30.0
    ) -> int:
        """Play the script, then keep-alive silence until the server ends; return the app's result."""
        if self._writer is None:
            await self.connect()
        deadline = time.monotonic() + max_seconds
        pacer = FramePacer(FRAME_SECONDS / speed if speed > 0 else FRAME_SECONDS)
        pacer.start(time.monotonic())
        try:
            for item in script:
                await self._play_item(item, pacer, speed, deadline)
            # The tail is paced in real time even at speed=0: it only keeps the line alive.
            tail_speed = speed if speed > 0 else 1.0
            tail = FramePacer(FRAME_SECONDS / tail_speed)
            tail.start(time.monotonic())
            while True:
                await self._send_frame(bytes(self.frame_bytes), tail, tail_speed, deadline)
        except _StreamEnded:
            pass
        assert self.result is not None
        return self.result

    async def close(self) -> None:
        """Drop the connection (as a caller hang-up if the stream was still running)."""
        self._end(-1, "caller-closed")
        if self._reader_task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader_task
        if self._writer is not None:
            with contextlib.suppress(ConnectionError, OSError):
                await self._writer.wait_closed()

    def received_audio(self) -> bytes:
        """All audio the server sent, concatenated."""
        return b"".join(msg.pcm for _, msg in self.received if isinstance(msg, Audio))

    def audio_frame_times(self) -> list[float]:
        """Arrival time (time.monotonic) of every audio message from the server."""
        return [t for t, msg in self.received if isinstance(msg, Audio)]

    async def _play_item(self, item: ScriptItem, pacer: FramePacer, speed: float, deadline: float) -> None:
        self.item_times.append(max(time.monotonic(), pacer.next_send_at()))
        if isinstance(item, Speech):
            for frame in _frames(item.pcm, self.frame_bytes):
                await self._send_frame(frame, pacer, speed, deadline)
        elif isinstance(item, Silence):
            for _ in range(round(item.seconds / FRAME_SECONDS)):
                await self._send_frame(bytes(self.frame_bytes), pacer, speed, deadline)
        elif isinstance(item, SilenceUntil):
            if speed <= 0:  # paced in real time even at speed=0, like the tail: it only keeps the line alive
                pacer, speed = FramePacer(FRAME_SECONDS), 1.0
                pacer.start(time.monotonic())
            while not item.condition(self):
                await self._send_frame(bytes(self.frame_bytes), pacer, speed, deadline)
            if item.passed is not None:
                item.passed.set()
        elif isinstance(item, Pause):
            await self._pause(item.seconds / speed if speed > 0 else 0.0, deadline)
            pacer.start(time.monotonic())
        elif isinstance(item, Digit):
            self._check_open(deadline)
            await self._send(encode(Dtmf(item.char)))
        elif isinstance(item, HangUp):
            self._end(-1, "caller-hangup")
            raise _StreamEnded

    async def _send_frame(self, frame: bytes, pacer: FramePacer, speed: float, deadline: float) -> None:
        self._check_open(deadline)
        if speed > 0:
            delay = pacer.next_send_at() - time.monotonic()
            if delay > 0:
                await self._wait_unless_finished(delay)
                self._check_open(deadline)
        else:
            await asyncio.sleep(0)  # let the server run between frames sent as fast as possible
        await self._send(encode(Audio(frame, self.rate)))
        before = pacer.reanchors
        pacer.sent(time.monotonic())
        self.reanchors += pacer.reanchors - before
        self.frames_sent += 1

    async def _pause(self, seconds: float, deadline: float) -> None:
        """Send nothing; Asterisk's 2 s idle timer runs unless the server sends something."""
        end = time.monotonic() + seconds
        while (now := time.monotonic()) < end:
            self._check_open(deadline)
            idle_end = self._last_activity + IDLE_TIMEOUT
            if now >= idle_end:
                self._end(-1, "idle-timeout")
                raise _StreamEnded
            await self._wait_unless_finished(min(end, idle_end) - now)
        self._check_open(deadline)

    async def _wait_unless_finished(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.finished.wait(), seconds)

    def _check_open(self, deadline: float) -> None:
        if self.finished.is_set():
            raise _StreamEnded
        if time.monotonic() >= deadline:
            self._end(-1, "max-seconds")
            raise _StreamEnded

    async def _send(self, data: bytes) -> None:
        assert self._writer is not None
        if self.finished.is_set():
            raise _StreamEnded
        try:
            self._writer.write(data)
            await self._writer.drain()
        except (ConnectionError, OSError):
            self._end(0, "server-closed")
            raise _StreamEnded from None
        self._last_activity = time.monotonic()

    async def _read_loop(self) -> None:
        assert self._reader is not None
        decoder = AudioSocketDecoder(max_payload=0xFFFF)
        try:
            while not self.finished.is_set():
                data = await self._reader.read(READ_SIZE)
                now = time.monotonic()
                if not data:
                    self._end(0, "server-closed")
                    return
                self._last_activity = now
                for msg in decoder.feed(data):
                    self.received.append((now, msg))
                    self._on_message(msg)
        except AudioSocketProtocolError as exc:
            self._end(-1, f"server-protocol-error: {exc}")
        except (ConnectionError, OSError):
            self._end(0, "server-closed")

    def _on_message(self, msg: Message) -> None:
        if isinstance(msg, Audio):
            if self.bot_spoke_at is None and any(msg.pcm):
                self.bot_spoke_at = self.received[-1][0]
        elif isinstance(msg, Hangup):
            self._end(0, "server-hangup")
        else:
            # Asterisk treats UUID, DTMF and ERROR from the server as errors and hangs the call up.
            self._end(-1, f"server-sent-{type(msg).__name__}")

    def _end(self, result: int, reason: str) -> None:
        if self.finished.is_set():
            return
        self.result, self.end_reason = result, reason
        self.finished.set()
        if self._writer is not None:
            self._writer.close()
        task = self._reader_task
        if task is not None and task is not asyncio.current_task():
            task.cancel()


def _frames(pcm: bytes, frame_bytes: int) -> Iterator[bytes]:
    for start in range(0, len(pcm) - len(pcm) % 2, frame_bytes):
        yield pcm[start : start + frame_bytes].ljust(frame_bytes, b"\x00")


def load_wav_as_slin(path: str | Path, rate: int = 8000) -> bytes:
    """Read a 16-bit WAV as mono slin at `rate` (stereo averaged, other rates linearly resampled)."""
    with wave.open(str(path), "rb") as wav:
        if wav.getsampwidth() != 2:
            raise ValueError(f"{path}: need 16-bit samples, got {8 * wav.getsampwidth()}-bit")
        channels, src_rate = wav.getnchannels(), wav.getframerate()
        raw = wav.readframes(wav.getnframes())
    samples = np.frombuffer(raw, dtype="<i2").astype(np.float64)
    if channels > 1:
        samples = samples[: len(samples) - len(samples) % channels].reshape(-1, channels).mean(axis=1)
    if src_rate != rate and len(samples):
        count = max(1, round(len(samples) * rate / src_rate))
        positions = np.arange(count) * (src_rate / rate)
        samples = np.interp(positions, np.arange(len(samples)), samples)
    return np.clip(np.round(samples), -32768, 32767).astype("<i2").tobytes()
