"""compute_figures on hand-made rows: every rate, average and percentile, and the day's local bounds."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from ivr.storage.figures import (
    CallRow,
    DispositionRow,
    TransferRow,
    compute_figures,
    day_bounds,
    is_follow_up,
    percentile,
)

DAY = date(2026, 3, 10)
UTC_TZ = ZoneInfo("UTC")
T0 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def call(cid: int, outcome: str | None, number: str | None = "100", score: int | None = None, m: float = 0):
    return CallRow(cid, number, at(m), outcome, score)


def transfer(cid: int, reason: str = "caller-request", **stamps: float | None) -> TransferRow:
    def get(name: str) -> datetime | None:
        value = stamps.get(name)
        return None if value is None else at(value)

    return TransferRow(cid, reason, at(stamps.get("created", 0)), get("queued"), get("answered"),
                       get("completed"), get("abandoned"))  # fmt: skip


def test_empty_day_has_counts_zero_and_rates_none() -> None:
    f = compute_figures(DAY, UTC_TZ, [], [], [], {})
    assert (f.calls, f.transfers, f.survey_count) == (0, 0, 0)
    assert f.containment is None and f.asa_avg_s is None and f.fcr_disposition is None
    assert len(f.hourly) == 24 and all(h.calls == 0 for h in f.hourly)


def test_containment_and_transfer_rate_count_finished_calls_only() -> None:
    calls = [call(1, "contained"), call(2, "contained"), call(3, "transferred"), call(4, "abandoned"),
             call(5, None)]  # fmt: skip
    f = compute_figures(DAY, UTC_TZ, calls, [transfer(3)], [], {})
    assert f.calls == 5 and f.finished == 4
    assert f.containment == 0.5 and f.transfer_rate == 0.25


def test_transfers_by_reason_group_details_and_sort_by_count() -> None:
    calls = [call(i, "transferred") for i in range(1, 5)]
    ts = [transfer(1, "bot-error: KeyError"), transfer(2, "bot-error: OSError"), transfer(3, "keypad-0"),
          transfer(4, "angry")]  # fmt: skip
    f = compute_figures(DAY, UTC_TZ, calls, ts, [], {})
    assert [(r.reason, r.count, r.rate) for r in f.transfers_by_reason] == [
        ("bot-error", 2, 0.5), ("angry", 1, 0.25), ("keypad-0", 1, 0.25)
    ]  # fmt: skip


def test_speed_of_answer_handle_time_and_abandonment() -> None:
    calls = [call(i, "transferred") for i in range(1, 5)]
    ts = [
        transfer(1, queued=0, answered=0.5, completed=5.5),  # 30 s wait, 300 s handled
        transfer(2, queued=0, answered=1.5, completed=3.5),  # 90 s wait, 120 s handled
        transfer(3, queued=0, abandoned=2),  # gave up after 120 s
        transfer(4, created=1, answered=2),  # no queued stamp: waits from the hand-off, 60 s
    ]
    f = compute_figures(DAY, UTC_TZ, calls, ts, [], {})
    assert f.answered == 3 and f.asa_avg_s == 60.0 and f.asa_p90_s == 90.0
    assert f.aht_avg_s == 210.0
    assert f.abandoned == 1 and f.abandonment_rate == 0.25 and f.abandoned_avg_wait_s == 120.0


def test_out_of_order_stamps_are_ignored_not_negative() -> None:
    f = compute_figures(DAY, UTC_TZ, [call(1, "transferred")], [transfer(1, queued=5, answered=1)], [], {})
    assert f.answered == 0 and f.asa_avg_s is None


def test_satisfaction_mean_share_and_count() -> None:
    calls = [call(1, "transferred", score=4), call(2, "contained", score=5), call(3, "contained", score=2),
             call(4, "contained")]  # fmt: skip
    f = compute_figures(DAY, UTC_TZ, calls, [], [], {})
    assert f.survey_count == 3
    assert f.satisfaction_avg == 11 / 3
    assert f.satisfaction_share_4_5 == 2 / 3


def test_fcr_by_disposition_uses_the_latest_one_per_call() -> None:
    calls = [call(1, "transferred"), call(2, "transferred")]
    ds = [DispositionRow(1, 1, False, at(5)), DispositionRow(2, 1, True, at(6)),
          DispositionRow(3, 2, False, at(5))]  # fmt: skip
    f = compute_figures(DAY, UTC_TZ, calls, [], ds, {})
    assert (f.dispositioned, f.resolved, f.fcr_disposition) == (2, 1, 0.5)


def test_fcr_no_repeat_looks_24_hours_ahead_and_skips_anonymous() -> None:
    calls = [call(1, "contained", "111"), call(2, "transferred", "222"), call(3, "contained", "anonymous"),
             call(4, "abandoned", "444")]  # fmt: skip
    later = {
        "111": [at(0), at(60 * 23)],  # its own start, then again 23 h later: a repeat
        "222": [at(0), at(60 * 25)],  # again 25 h later: still first-contact resolved
    }
    f = compute_figures(DAY, UTC_TZ, calls, [], [], later)
    assert (f.fcr_base, f.fcr_no_repeat, f.fcr_no_repeat_rate) == (2, 1, 0.5)


def test_hourly_series_in_local_time() -> None:
    tz = ZoneInfo("Asia/Shanghai")  # UTC+8: 09:00 UTC is 17:00 there
    f = compute_figures(DAY, tz, [call(1, "transferred")], [transfer(1, queued=0, abandoned=70)], [], {})
    assert f.hourly[17].calls == 1 and f.hourly[17].transfers == 1 and f.hourly[18].abandoned == 1
    assert f.as_dict()["hourly"][17] == {"hour": 17, "calls": 1, "transfers": 1, "abandoned": 0}


def test_day_bounds_follow_the_time_zone_and_dst() -> None:
    start, end = day_bounds(date(2026, 3, 29), ZoneInfo("Europe/Paris"))  # spring forward: 23 h
    assert start == datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    assert end - start == timedelta(hours=23)


def test_percentile_nearest_rank() -> None:
    assert percentile([], 90) is None
    assert percentile([5.0], 90) == 5.0
    assert percentile([float(i) for i in range(1, 11)], 90) == 9.0
    assert percentile([float(i) for i in range(1, 11)], 100) == 10.0


def test_follow_up_legs_are_recognised() -> None:
    assert is_follow_up({"kind": "survey"}) and is_follow_up({"returning_to_bot": True})
    assert not is_follow_up({}) and not is_follow_up(None) and not is_follow_up({"kind": "call"})


def test_as_dict_is_json_able() -> None:
    import json

    calls = [call(1, "transferred", score=4)]
    text = json.dumps(compute_figures(DAY, UTC_TZ, calls, [transfer(1, "x")], [], {}).as_dict())
    assert '"transfers_by_reason": [{"reason": "x", "count": 1, "rate": 1.0}]' in text
