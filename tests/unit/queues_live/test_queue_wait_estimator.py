"""WaitEstimator: the documented formula, the rolling window and the seed, in numbers."""

import pytest

from queues.status import WaitEstimate
from queues.wait import QueueLoad, WaitEstimator


def test_free_agent_means_no_wait() -> None:
    estimator = WaitEstimator(default_handle_seconds=120)
    assert estimator.estimate("q", QueueLoad(ahead=1, available=2, staffed=3)) == WaitEstimate(2, 0.0)


def test_formula_with_busy_agents_uses_default_handle_time() -> None:
    estimator = WaitEstimator(default_handle_seconds=120)
    # H * (N - A + 1/2) / S = 120 * (3 - 0 + 0.5) / 2
    assert estimator.estimate("q", QueueLoad(ahead=3, available=0, staffed=2)) == WaitEstimate(4, 210.0)
    # alone behind one busy agent: half a call on average
    assert estimator.estimate("q", QueueLoad(ahead=0, available=0, staffed=1)) == WaitEstimate(1, 60.0)


def test_nobody_staffed_is_unknown() -> None:
    assert WaitEstimator().estimate("q", QueueLoad(ahead=0, available=0, staffed=0)) is None


def test_rolling_window_of_talk_plus_wrapup_overrides_the_seed() -> None:
    estimator = WaitEstimator(window=2, default_handle_seconds=500)
    estimator.seed("q", talk_seconds=100, wrapup_seconds=20)
    assert estimator.handle_seconds("q") == 120
    estimator.record("q", 50, 10)
    estimator.record("q", 70, 10)
    estimator.record("q", 90, 10)  # pushes the first one out of the window of 2
    assert estimator.handle_seconds("q") == pytest.approx(90.0)
    assert estimator.handle_seconds("other") == 500
    assert estimator.estimate("q", QueueLoad(ahead=1, available=0, staffed=1)) == WaitEstimate(2, 135.0)


def test_zero_talk_time_seed_falls_back_to_default() -> None:
    estimator = WaitEstimator(default_handle_seconds=200)
    estimator.seed("q", 30)
    estimator.seed("q", 0)
    assert estimator.handle_seconds("q") == 200


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        WaitEstimator(window=0)
