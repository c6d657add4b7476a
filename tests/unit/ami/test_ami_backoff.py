"""Backoff: exponential, capped, jittered downwards only, reset after a login."""

import pytest

from ivr.ami.backoff import Backoff


def test_doubles_up_to_the_cap_without_jitter() -> None:
    backoff = Backoff(0.5, 4.0, rng=lambda: 0.0)
    assert [backoff.next_delay() for _ in range(6)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]


def test_jitter_shortens_by_at_most_its_share() -> None:
    backoff = Backoff(1.0, 8.0, jitter=0.5, rng=lambda: 1.0)
    assert [backoff.next_delay() for _ in range(4)] == [0.5, 1.0, 2.0, 4.0]


def test_reset_starts_again_from_initial() -> None:
    backoff = Backoff(0.5, 30.0, rng=lambda: 0.0)
    for _ in range(5):
        backoff.next_delay()
    backoff.reset()
    assert backoff.next_delay() == 0.5


def test_real_randomness_stays_in_bounds() -> None:
    backoff = Backoff(0.5, 30.0)
    for attempt in range(20):
        base = min(30.0, 0.5 * 2**attempt)
        assert base / 2 <= backoff.next_delay() <= base


@pytest.mark.parametrize(
    ("initial", "maximum", "jitter"), [(0, 1, 0.5), (2, 1, 0.5), (1, 2, 1.0), (1, 2, -0.1)]
)
def test_bad_parameters_are_refused(initial: float, maximum: float, jitter: float) -> None:
    with pytest.raises(ValueError):
        Backoff(initial, maximum, jitter=jitter)
