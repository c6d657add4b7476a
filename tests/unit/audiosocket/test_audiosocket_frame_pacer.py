"""FramePacer: drift-free deadlines, catch-up for small lags, re-anchoring instead of bursts."""

import pytest

from ivr.audiosocket.pacer import FramePacer
from ivr.errors import LocalProtocolError


def test_deadlines_are_start_plus_n_frames_despite_jittery_wakeups() -> None:
    pacer = FramePacer(0.02)
    pacer.start(100.0)
    jitter = [0.004, 0.0, 0.009, 0.001, 0.013, 0.002] * 100
    for n, late in enumerate(jitter):
        due = pacer.next_send_at()
        assert due == pytest.approx(100.0 + n * 0.02, abs=1e-9)
        pacer.sent(due + late)
    assert pacer.next_send_at() == pytest.approx(100.0 + len(jitter) * 0.02, abs=1e-9)
    assert pacer.reanchors == 0


def test_small_lag_is_caught_up_by_keeping_the_schedule() -> None:
    pacer = FramePacer(0.02, max_lag_frames=5)
    pacer.start(0.0)
    pacer.sent(0.0)
    pacer.sent(0.02 + 0.09)  # 4.5 frames late: still within the allowed lag
    assert pacer.next_send_at() == pytest.approx(0.04)
    assert pacer.lag(0.11) == pytest.approx(0.07)
    assert pacer.reanchors == 0


def test_large_lag_reanchors_instead_of_bursting() -> None:
    pacer = FramePacer(0.02, max_lag_frames=5)
    pacer.start(0.0)
    pacer.sent(0.0)
    pacer.sent(0.5)  # a 480 ms stall: catching up would burst 24 frames
    assert pacer.reanchors == 1
    assert pacer.next_send_at() == pytest.approx(0.52)
    pacer.sent(0.52)
    assert pacer.next_send_at() == pytest.approx(0.54)
    assert pacer.frames_sent == 3


def test_zero_allowed_lag_reanchors_on_any_late_frame() -> None:
    pacer = FramePacer(0.02, max_lag_frames=0)
    pacer.start(0.0)
    pacer.sent(0.001)
    assert pacer.next_send_at() == pytest.approx(0.021)
    pacer.sent(0.021)
    assert pacer.reanchors == 1


def test_restart_reanchors_the_schedule() -> None:
    pacer = FramePacer(0.02)
    pacer.start(0.0)
    pacer.sent(0.0)
    pacer.start(10.0)
    assert pacer.next_send_at() == 10.0


def test_misuse_is_a_local_error() -> None:
    with pytest.raises(LocalProtocolError):
        FramePacer(0.0)
    with pytest.raises(LocalProtocolError):
        FramePacer(0.02, max_lag_frames=-1)
    with pytest.raises(LocalProtocolError):
        FramePacer().next_send_at()


def test_aligned_schedules_of_different_calls_fall_on_the_same_instants() -> None:
    first, second = FramePacer(0.02, align=True), FramePacer(0.02, align=True)
    first.start(100.003)
    second.start(100.0171)
    assert first.next_send_at() == second.next_send_at() == pytest.approx(100.02, abs=1e-9)
    for pacer in (first, second):
        pacer.sent(pacer.next_send_at() + 0.004)
    assert first.next_send_at() == second.next_send_at() == pytest.approx(100.04, abs=1e-9)
    on_grid = FramePacer(0.02, align=True)
    on_grid.start(100.04)
    assert on_grid.next_send_at() == pytest.approx(100.04, abs=1e-9)


def test_aligned_reanchoring_moves_to_a_grid_point_half_a_frame_or_more_away() -> None:
    pacer = FramePacer(0.02, max_lag_frames=3, align=True)
    pacer.start(0.0)
    pacer.sent(0.0)
    pacer.sent(0.02 + 0.095)  # 4.75 frames late: re-anchored, no burst to catch up
    assert pacer.reanchors == 1
    assert pacer.next_send_at() == pytest.approx(0.14)  # not 0.12: that is only 5 ms away
    pacer.sent(0.14)
    assert pacer.next_send_at() == pytest.approx(0.16)
