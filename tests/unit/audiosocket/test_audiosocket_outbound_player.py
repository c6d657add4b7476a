"""OutboundAudio logic against a stub connection whose every send advances a fake clock by one frame."""

import asyncio

import pytest

from ivr.audiosocket.player import OutboundAudio, PlaybackResult
from ivr.errors import LocalProtocolError

FRAME = 320


class StubConnection:
    """Records frames; each send takes exactly 20 ms of fake time, so run() never has to sleep."""

    def __init__(self, stop_after: int) -> None:
        self.closed = asyncio.Event()
        self.now = 0.0
        self.frames: list[bytes] = []
        self.rates: set[int] = set()
        self.stop_after = stop_after
        self.on_frame: dict[int, object] = {}

    async def send_audio(self, pcm: bytes, rate: int) -> bool:
        if self.closed.is_set():
            return False
        self.frames.append(pcm)
        self.rates.add(rate)
        self.now += 0.02
        action = self.on_frame.get(len(self.frames))
        if callable(action):
            action()
        if len(self.frames) >= self.stop_after:
            self.closed.set()
        await asyncio.sleep(0)
        return True

    def clock(self) -> float:
        return self.now


def _tone(value: int, frames: float) -> bytes:
    return value.to_bytes(2, "little", signed=True) * int(frames * FRAME // 2)


def _values(frames: list[bytes]) -> list[int]:
    return [int.from_bytes(f[:2], "little", signed=True) for f in frames]


def _player(conn: StubConnection, **kwargs: object) -> OutboundAudio:
    return OutboundAudio(conn, clock=conn.clock, **kwargs)  # type: ignore[arg-type]


async def test_playbacks_play_in_order_then_silence_fills_the_line() -> None:
    conn = StubConnection(stop_after=10)
    player = _player(conn, record_timing=True)
    first = player.play(_tone(1, 2), label="a")
    second = player.play(_tone(2, 2.5), label="b")
    await player.run()
    assert _values(conn.frames) == [1, 1, 2, 2, 2, 0, 0, 0, 0, 0]
    assert all(len(f) == FRAME for f in conn.frames) and conn.rates == {8000}
    assert conn.frames[4][160:] == bytes(160)  # last partial frame padded with silence
    assert await first.done == PlaybackResult("a", 2, 2, False, 0.0, 0.04)
    result = await second.done
    assert (result.frames_total, result.frames_played, result.interrupted) == (3, 3, False)
    assert first.started.is_set() and second.started.is_set()
    assert [kind for _, kind in player.frame_log or []] == ["audio"] * 5 + ["silence"] * 5
    assert player.silence_frames_sent == 5 and not player.is_playing


async def test_interrupt_switches_to_silence_on_the_next_tick_and_drops_queued() -> None:
    conn = StubConnection(stop_after=8)
    player = _player(conn)
    long = player.play(_tone(3, 100), label="prompt")
    queued = player.play(_tone(4, 5))
    keep = player.play(_tone(5, 1), interruptible=False)
    stopped: list[bool] = []
    conn.on_frame[3] = lambda: stopped.append(player.interrupt())
    await player.run()
    assert stopped == [True]
    assert _values(conn.frames) == [3, 3, 3, 5, 0, 0, 0, 0]
    long_result, queued_result = await long.done, await queued.done
    assert long_result.interrupted and long_result.frames_played == 3 and long_result.frames_total == 100
    assert queued_result.interrupted and queued_result.frames_played == 0 and queued_result.started_at is None
    assert not (await keep.done).interrupted


async def test_non_interruptible_current_playback_keeps_playing() -> None:
    conn = StubConnection(stop_after=4)
    player = _player(conn)
    notice = player.play(_tone(6, 3), interruptible=False)
    conn.on_frame[1] = lambda: player.interrupt()
    await player.run()
    assert _values(conn.frames) == [6, 6, 6, 0]
    assert not (await notice.done).interrupted


async def test_interrupt_with_nothing_interruptible_returns_false() -> None:
    conn = StubConnection(stop_after=1)
    player = _player(conn)
    assert player.interrupt() is False


async def test_run_ending_resolves_unfinished_playbacks_as_interrupted() -> None:
    conn = StubConnection(stop_after=2)
    player = _player(conn)
    current = player.play(_tone(7, 5))
    pending = player.play(_tone(8, 5), interruptible=False)
    await player.run()
    assert (await current.done).interrupted and (await current.done).frames_played == 2
    assert (await pending.done).interrupted and not player.is_playing


async def test_clear_drops_non_interruptible_too() -> None:
    conn = StubConnection(stop_after=1)
    player = _player(conn)
    pending = player.play(_tone(9, 5), interruptible=False)
    assert player.is_playing
    player.clear()
    assert (await pending.done).interrupted and not player.is_playing


async def test_empty_playback_is_done_at_once_and_odd_pcm_is_refused() -> None:
    conn = StubConnection(stop_after=1)
    player = _player(conn)
    empty = player.play(b"", label="nothing")
    assert empty.done.done() and empty.done.result().frames_total == 0
    with pytest.raises(LocalProtocolError):
        player.play(b"\x00\x00\x00")


async def test_frame_size_follows_rate_and_frame_ms() -> None:
    conn = StubConnection(stop_after=2)
    player = _player(conn, rate=16000, frame_ms=10)
    await player.run()
    assert [len(f) for f in conn.frames] == [320, 320] and conn.rates == {16000}
    with pytest.raises(LocalProtocolError):
        _player(conn, rate=11025)
