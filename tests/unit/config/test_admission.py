"""Admission control: the configured cap, the automatic limit from the decode backlog, and its recovery."""

from __future__ import annotations

import pytest

from asr.pool import DecodeLoad
from ivr.admission import OVERLOAD_REASON, Admission, OverloadBot, check_busy_notice
from ivr.bot import CallInfo, Transfer
from ivr.config import ServiceConfig


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def behind(load: DecodeLoad, seconds: float) -> None:
    """Make `load` report a backlog of `seconds`: one request queued per worker, decodes that long."""
    load.decodes, load.decode_average = 1, seconds
    load.pending = 2 * load.workers


def test_max_calls_caps_the_calls_with_the_bot() -> None:
    admission = Admission(DecodeLoad(2), max_calls=2)
    assert [admission.admit() for _ in range(3)] == [None, None, "max-calls"]
    admission.release()
    assert admission.admit() is None
    assert (admission.admitted, admission.refused["max-calls"], admission.active) == (3, 1, 2)


def test_a_backlog_refuses_new_calls_and_sets_the_automatic_limit() -> None:
    load, clock = DecodeLoad(2), Clock()
    admission = Admission(load, max_backlog=0.3, relax_seconds=2.0, clock=clock)
    for _ in range(5):
        assert admission.admit() is None
    behind(load, 1.0)
    assert load.backlog_seconds() == pytest.approx(1.0)
    assert admission.admit() == "backlog"
    assert admission.auto_limit == 5
    load.pending = 0  # the decoders caught up, but not for long enough yet
    assert admission.admit() == "backlog"
    clock.now += 2.0
    assert admission.admit() is None  # one more call per relax period
    assert admission.auto_limit == 6
    assert admission.admit() == "backlog"
    admission.release()
    admission.release()
    assert admission.admit() is None  # below the limit: admitted without waiting
    assert admission.refused == {"max-calls": 0, "capacity": 0, "backlog": 3}


def test_the_limit_does_not_rise_while_the_backlog_is_only_just_under_its_bound() -> None:
    load, clock = DecodeLoad(1), Clock()
    admission = Admission(load, max_backlog=0.4, clock=clock)
    assert admission.admit() is None
    behind(load, 1.0)
    assert admission.admit() == "backlog"
    behind(load, 0.3)  # under the bound, over half of it
    clock.now += 60
    assert admission.admit() == "backlog"
    assert admission.auto_limit == 1


def test_the_decoder_time_a_call_needs_is_measured_and_caps_the_calls() -> None:
    load, clock = DecodeLoad(2), Clock()
    admission = Admission(load, busy_share=0.7, sample_seconds=10.0, clock=clock)
    for _ in range(4):
        assert admission.admit() is None  # nothing measured yet: no capacity limit
    assert admission.capacity() is None
    clock.now += 10
    assert admission.admit() is None  # the greetings are playing: nothing decoded, nothing learned
    assert admission.demand_per_call is None
    load.finished(decode=2.5)  # 5 calls kept the decoders busy 5 s in 10 s: 0.1 decoder-s/s per call
    load.finished(decode=2.5)
    clock.now += 10
    assert admission.admit() is None
    assert admission.demand_per_call == pytest.approx(0.1)
    assert admission.capacity() == 14  # 2 decoders x 70 % / 0.1
    admission.active = 14
    assert admission.admit() == "capacity"
    admission.release()
    assert admission.admit() is None
    # A later sample with calls needing twice as much moves the estimate part of the way.
    load.finished(decode=2.8 * 14)  # 14 calls, 0.2 decoder-s/s each, over 14 s
    clock.now += 14
    assert admission.admit() == "capacity"
    assert admission.demand_per_call == pytest.approx(0.1 + 0.3 * 0.1)
    assert admission.capacity() == 10


def test_backlog_estimate_counts_only_requests_beyond_the_workers() -> None:
    load = DecodeLoad(2)
    load.finished(decode=0.4)
    load.pending = 2
    assert load.backlog_seconds() == 0.0
    load.pending = 6
    assert load.backlog_seconds() == pytest.approx(4 * 0.4 / 2)
    for wait in (0.1, 0.2, 0.3, 0.4):
        load.finished(queue_wait=wait)
    assert load.wait_percentile(50) == pytest.approx(0.3)


def test_the_overload_bot_says_the_notice_and_transfers_at_once() -> None:
    bot = OverloadBot("All busy.", "support-en", "backlog")
    [action] = bot.start(CallInfo("c", None, None, "en"))
    assert isinstance(action, Transfer)
    assert (action.queue, action.reason, action.notice) == ("support-en", OVERLOAD_REASON, "All busy.")
    assert action.context["refused"] == "backlog"


def test_config_keys_and_their_bounds() -> None:
    config = ServiceConfig.model_validate(
        {"bot": {"max_calls": 24}, "asr": {"workers": 2, "max_backlog": 0.5}}
    )
    assert (config.bot.max_calls, config.asr.workers, config.asr.max_backlog) == (24, 2, 0.5)
    assert ServiceConfig.model_validate({}).bot.max_calls is None
    for bad in ({"bot": {"max_calls": 0}}, {"asr": {"max_backlog": 0}}, {"asr": {"workers": 0}}):
        with pytest.raises(ValueError):
            ServiceConfig.model_validate(bad)


def test_a_busy_notice_too_long_for_a_two_second_hand_over_is_warned_about(caplog) -> None:
    rate = 8000
    short, long = bytes(2 * int(rate * 1.3)), bytes(2 * int(rate * 3.2))
    with caplog.at_level("WARNING", logger="ivr.admission"):
        assert check_busy_notice(short, rate) == pytest.approx(1.3)
        assert not caplog.records
        assert check_busy_notice(long, rate) == pytest.approx(3.2)
    assert "bot.busy_notice lasts 3.2 s" in caplog.text
