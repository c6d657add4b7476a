"""Metrics: each method moves the right series, labels stay bounded, render() is Prometheus text."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from ivr.metrics import Metrics


def samples(metrics: Metrics) -> dict[tuple[str, tuple], float]:
    body, content_type = metrics.render()
    assert content_type.startswith("text/plain")
    found = {}
    for family in text_string_to_metric_families(body.decode()):
        for s in family.samples:
            found[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return found


def test_a_transferred_call_counts_by_outcome_reason_and_queue() -> None:
    m = Metrics()
    m.call_started()
    m.call_started()
    m.call_ended("transferred", "bot-error: KeyError('x')", "billing")
    got = samples(m)
    assert got[("ivr_calls_active", ())] == 1
    assert got[("ivr_calls_total", (("outcome", "transferred"),))] == 1
    assert got[("ivr_transfers_total", (("queue", "billing"), ("reason", "bot-error")))] == 1


def test_a_contained_call_is_not_a_transfer() -> None:
    m = Metrics()
    m.call_started()
    m.call_ended("contained")
    got = samples(m)
    assert got[("ivr_calls_total", (("outcome", "contained"),))] == 1
    assert not any(name == "ivr_transfers_total" for name, _ in got)


def test_histograms_observe_waits_latencies_and_scores() -> None:
    m = Metrics()
    m.queue_answered("support", 12.0)
    m.queue_abandoned("support", 40.0)
    m.asr_decode("whisper", 0.3)
    m.turn(0.45)
    m.survey(4)
    m.survey(None)
    m.screenpop(0.004)
    m.barge_in()
    got = samples(m)
    assert got[("ivr_queue_wait_seconds_count", (("queue", "support"),))] == 1
    assert got[("ivr_queue_wait_seconds_sum", (("queue", "support"),))] == 12.0
    assert got[("ivr_queue_abandoned_total", (("queue", "support"),))] == 1
    assert got[("ivr_asr_decode_seconds_bucket", (("engine", "whisper"), ("le", "0.5")))] == 1
    assert got[("ivr_asr_decode_seconds_bucket", (("engine", "whisper"), ("le", "0.2")))] == 0
    assert got[("ivr_turn_latency_seconds_sum", ())] == 0.45
    assert got[("ivr_survey_score_bucket", (("le", "3.0"),))] == 0
    assert got[("ivr_survey_score_bucket", (("le", "4.0"),))] == 1
    assert got[("ivr_survey_unanswered_total", ())] == 1
    assert got[("ivr_screenpop_latency_seconds_bucket", (("le", "0.005"),))] == 1
    assert got[("ivr_barge_ins_total", ())] == 1


def test_pending_writes_are_read_at_scrape_time() -> None:
    m = Metrics()
    backlog = [3]
    m.track_pending_writes(lambda: backlog[0])
    assert samples(m)[("ivr_storage_pending_writes", ())] == 3
    backlog[0] = 0
    assert samples(m)[("ivr_storage_pending_writes", ())] == 0


def test_two_instances_do_not_share_series() -> None:
    a, b = Metrics(), Metrics()
    a.call_started()
    assert samples(b)[("ivr_calls_active", ())] == 0


def test_long_or_empty_labels_are_bounded() -> None:
    m = Metrics()
    m.call_started()
    m.call_ended("transferred", "x" * 500, None)
    labels = [dict(lab) for name, lab in samples(m) if name == "ivr_transfers_total"]
    assert labels == [{"reason": "x" * 64, "queue": "none"}]
