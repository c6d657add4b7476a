"""OutboundAudio on a real socket, measured at the fake Asterisk: pacing, interrupt, keep-alive, hangup."""

import asyncio
import itertools

from ivr.audiosocket.codec import Audio, Hangup
from ivr.audiosocket.player import OutboundAudio
from ivr.fakepbx.audiosocket import AudioSocketCaller, HangUp, Pause
from tests.integration.audiosocket.conftest import WAIT

FRAME_S = 0.02
MAX_LAG_FRAMES = 3  # FramePacer's default catch-up allowance


def _tone(value: int, frames: int) -> bytes:
    return value.to_bytes(2, "little", signed=True) * (160 * frames)


def _frame_values(caller: AudioSocketCaller) -> list[int]:
    return [
        int.from_bytes(m.pcm[:2], "little", signed=True) for _, m in caller.received if isinstance(m, Audio)
    ]


async def _call(harness, script=(), **stream_kwargs):
    caller = AudioSocketCaller("127.0.0.1", harness.port, harness.expect())
    task = asyncio.create_task(caller.stream(list(script), **stream_kwargs))
    conn = await harness.next_connection()
    return caller, task, conn


async def test_frames_are_320_bytes_paced_20ms(harness) -> None:
    caller, caller_task, conn = await _call(harness, max_seconds=WAIT)
    player = OutboundAudio(conn, record_timing=True)
    player_task = asyncio.create_task(player.run())
    prompt = player.play(_tone(1000, 60), label="welcome")
    result = await asyncio.wait_for(prompt.done, WAIT)
    assert (result.frames_played, result.interrupted, result.label) == (60, False, "welcome")
    await conn.hangup()
    assert await asyncio.wait_for(caller_task, WAIT) == 0
    await asyncio.wait_for(player_task, WAIT)

    audio = [m for _, m in caller.received if isinstance(m, Audio)]
    assert len(audio) >= 60 and all(len(m.pcm) == 320 and m.rate == 8000 for m in audio)
    assert _frame_values(caller).count(1000) == 60
    # The pacing is checked on the player's own send times: arrival times at the caller add the delays of
    # a busy event loop. Under any load the player never runs ahead of real time by more than the 3 frames
    # it may catch up; when it was never so late that it restarted its schedule, it also kept the pace.
    sends = [t for t, _ in player.frame_log or []]
    assert len(sends) == player.frames_sent >= 60
    for i, j in itertools.combinations(range(0, len(sends), 5), 2):
        assert sends[j] - sends[i] >= (j - i - MAX_LAG_FRAMES) * FRAME_S - 1e-6
    span = sends[-1] - sends[0]
    assert span >= (len(sends) - 1 - MAX_LAG_FRAMES) * FRAME_S
    if player.reanchors == 0:
        assert span <= (len(sends) - 1 + MAX_LAG_FRAMES) * FRAME_S


async def test_interrupt_stops_the_prompt_within_one_frame(harness) -> None:
    caller, caller_task, conn = await _call(harness, max_seconds=WAIT)
    player = OutboundAudio(conn, record_timing=True)
    player_task = asyncio.create_task(player.run())
    intro = player.play(_tone(111, 8), interruptible=False)
    prompt = player.play(_tone(222, 250), label="menu")
    await asyncio.wait_for(prompt.started.wait(), WAIT)
    assert player.interrupt() is True
    marker = player.play(_tone(333, 3))
    stopped = await asyncio.wait_for(prompt.done, WAIT)
    await asyncio.wait_for(marker.done, WAIT)
    await conn.hangup()
    await asyncio.wait_for(asyncio.gather(caller_task, player_task), WAIT)

    assert stopped.interrupted and stopped.frames_played <= 2 and stopped.frames_total == 250
    assert not (await intro.done).interrupted
    values = [v for v in _frame_values(caller) if v]
    assert values == [111] * 8 + [222] * stopped.frames_played + [333] * 3
    log = list(player.frame_log or [])
    assert all(kind == "audio" for _, kind in log[:8])
    # The marker starts on the very next tick after the interrupt (on the player's clock: how late that
    # tick comes depends on how busy the machine is).
    marker_start = (await marker.done).started_at
    assert marker_start is not None and marker_start >= stopped.ended_at
    assert [t for t, _ in log if stopped.ended_at < t < marker_start] == []


async def test_silence_keeps_an_idle_line_alive_past_two_seconds(harness) -> None:
    caller, caller_task, conn = await _call(harness, [Pause(2.4), HangUp()])
    player = OutboundAudio(conn, record_timing=True)
    player_task = asyncio.create_task(player.run())
    assert await asyncio.wait_for(caller_task, WAIT) == -1
    assert caller.end_reason == "caller-hangup"  # not "idle-timeout"
    assert await asyncio.wait_for(conn.receive(), WAIT) is None
    await asyncio.wait_for(player_task, WAIT)
    values = _frame_values(caller)
    assert len(values) >= 100 and set(values) == {0}
    assert player.silence_frames_sent == player.frames_sent >= 100
    assert {kind for _, kind in player.frame_log or []} == {"silence"}


async def test_without_frames_either_way_the_call_drops_after_two_seconds(harness) -> None:
    caller, caller_task, conn = await _call(harness, [Pause(3.0)])
    assert await asyncio.wait_for(caller_task, WAIT) == -1
    assert caller.end_reason == "idle-timeout"
    assert await asyncio.wait_for(conn.receive(), WAIT) is None
    assert conn.close_reason == "peer-closed"


async def test_hangup_gives_result_zero_and_ends_the_player(harness) -> None:
    caller, caller_task, conn = await _call(harness, max_seconds=WAIT)
    player = OutboundAudio(conn)
    player_task = asyncio.create_task(player.run())
    pending = player.play(_tone(5, 500), interruptible=False)
    await asyncio.wait_for(pending.started.wait(), WAIT)
    await conn.hangup()
    assert await asyncio.wait_for(caller_task, WAIT) == 0
    assert caller.end_reason == "server-hangup" and caller.received[-1][1] == Hangup()
    await asyncio.wait_for(player_task, WAIT)
    assert (await pending.done).interrupted
    assert await conn.receive() is None and conn.close_reason == "local-hangup"
    assert await conn.send_audio(bytes(320), 8000) is False
