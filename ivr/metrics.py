"""Prometheus metrics of the hotline, in a registry of their own (tests and several services never clash).

Everything is fed by the code that sees the event (session, conversation, ACD, screen-pop, survey) and
read by Prometheus through GET /metrics (ivr.web.metrics_view). Label values are bounded by design:
outcomes, transfer reasons and queue names come from our code and config, never from the caller.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from ivr.vocabulary import CallOutcome, reason_key

# Seconds: from sub-second hand-offs to long queue waits.
WAIT_BUCKETS = (1, 5, 10, 20, 30, 45, 60, 90, 120, 180, 300, 600, 1200)
# Seconds: speech pipeline and web push latencies.
FAST_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0)
PUSH_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
SCORE_BUCKETS = (1, 2, 3, 4, 5)
# Reasons such as "bot-error: KeyError" carry a detail after the colon: keep label cardinality bounded.
MAX_LABEL = 64


def _label(value: str | None) -> str:
    """A bounded label value: the part before any ':' detail, cut to MAX_LABEL characters."""
    return reason_key(value)[:MAX_LABEL] or "none"


class Metrics:
    """The service's counters, gauges and histograms; one instance per service."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.calls_total = Counter("ivr_calls", "Calls ended, by outcome", ["outcome"], registry=r)
        self.calls_active = Gauge("ivr_calls_active", "Calls in the bot right now", registry=r)
        self.transfers_total = Counter(
            "ivr_transfers", "Hand-offs to a human queue", ["reason", "queue"], registry=r
        )
        self.queue_wait_seconds = Histogram(
            "ivr_queue_wait_seconds", "Wait in queue until an agent answered", ["queue"],
            buckets=WAIT_BUCKETS, registry=r,
        )  # fmt: skip
        self.abandoned_total = Counter(
            "ivr_queue_abandoned", "Callers who hung up while waiting", ["queue"], registry=r
        )
        self.abandoned_wait_seconds = Histogram(
            "ivr_queue_abandoned_wait_seconds", "Wait before abandoning", ["queue"],
            buckets=WAIT_BUCKETS, registry=r,
        )  # fmt: skip
        self.asr_decode_seconds = Histogram(
            "ivr_asr_decode_seconds", "ASR decode time per utterance", ["engine"],
            buckets=FAST_BUCKETS, registry=r,
        )  # fmt: skip
        self.turn_latency_seconds = Histogram(
            "ivr_turn_latency_seconds", "End of caller speech to first bot audio",
            buckets=FAST_BUCKETS, registry=r,
        )  # fmt: skip
        self.barge_ins_total = Counter("ivr_barge_ins", "Prompts interrupted by the caller", registry=r)
        self.survey_score = Histogram(
            "ivr_survey_score", "After-call survey scores (1-5)", buckets=SCORE_BUCKETS, registry=r
        )
        self.survey_none_total = Counter("ivr_survey_unanswered", "Surveys without a score", registry=r)
        self.screenpop_latency_seconds = Histogram(
            "ivr_screenpop_latency_seconds", "AMI AgentCalled in to screen-pop WebSocket message out",
            buckets=PUSH_BUCKETS, registry=r,
        )  # fmt: skip
        self.warm_offers_total = Counter(
            "ivr_warm_offers", "Warm hand-off offers to agents, by their choice", ["choice"], registry=r
        )
        self.briefing_first_frame_seconds = Histogram(
            "ivr_briefing_first_frame_seconds", "Agent answered to first briefing frame sent",
            buckets=FAST_BUCKETS, registry=r,
        )  # fmt: skip
        self.storage_pending_writes = Gauge(
            "ivr_storage_pending_writes", "Writes waiting for the database", registry=r
        )
        self.calls_admitted_total = Counter("ivr_calls_admitted", "Calls admitted to the bot", registry=r)
        self.calls_refused_total = Counter(
            "ivr_calls_refused", "Calls refused at answer (overload), sent to the fallback queue",
            ["reason"], registry=r,
        )  # fmt: skip
        self.asr_backlog_seconds = Gauge(
            "ivr_asr_backlog_seconds", "Estimated wait of an utterance for a free decoder", registry=r
        )
        self.asr_pending = Gauge("ivr_asr_pending", "Utterance decodes waiting or running", registry=r)
        self.web_sessions = Gauge("ivr_web_sockets", "Open agent desktop WebSockets", ["role"], registry=r)

    def call_started(self) -> None:
        """A call reached the bot."""
        self.calls_active.inc()

    def call_ended(self, outcome: str, reason: str | None = None, queue: str | None = None) -> None:
        """A call left the bot: contained, transferred (then counted by reason and queue), abandoned..."""
        self.calls_active.dec()
        self.calls_total.labels(outcome=_label(outcome)).inc()
        if outcome == CallOutcome.TRANSFERRED:
            self.transfers_total.labels(reason=_label(reason), queue=_label(queue)).inc()

    def turn(self, latency_s: float) -> None:
        """One bot answer, `latency_s` after the caller stopped speaking."""
        self.turn_latency_seconds.observe(max(0.0, latency_s))

    def asr_decode(self, engine: str, seconds: float) -> None:
        """One utterance decoded by `engine`."""
        self.asr_decode_seconds.labels(engine=_label(engine)).observe(max(0.0, seconds))

    def barge_in(self) -> None:
        """The caller interrupted a prompt."""
        self.barge_ins_total.inc()

    def queue_answered(self, queue: str, wait_s: float) -> None:
        """An agent answered a caller who waited `wait_s` in `queue`."""
        self.queue_wait_seconds.labels(queue=_label(queue)).observe(max(0.0, wait_s))

    def queue_abandoned(self, queue: str, wait_s: float) -> None:
        """A caller hung up after waiting `wait_s` in `queue`."""
        self.abandoned_total.labels(queue=_label(queue)).inc()
        self.abandoned_wait_seconds.labels(queue=_label(queue)).observe(max(0.0, wait_s))

    def survey(self, score: int | None) -> None:
        """An after-call survey ended with `score` (None: the caller did not rate)."""
        if score is None:
            self.survey_none_total.inc()
        else:
            self.survey_score.observe(score)

    def screenpop(self, seconds: float) -> None:
        """A screen-pop left for the agent `seconds` after its AMI event arrived."""
        self.screenpop_latency_seconds.observe(max(0.0, seconds))

    def warm_offer(self, choice: str, first_frame_s: float | None) -> None:
        """An agent was briefed and chose (accept, back, pass, timeout, hangup)."""
        self.warm_offers_total.labels(choice=_label(choice)).inc()
        if first_frame_s is not None:
            self.briefing_first_frame_seconds.observe(max(0.0, first_frame_s))

    def track_pending_writes(self, pending: Callable[[], int]) -> None:
        """Read the storage backlog at scrape time (e.g. `lambda: store.pending_writes`)."""
        self.storage_pending_writes.set_function(pending)

    def admission(self, refused: str | None) -> None:
        """A call was admitted (None) or refused for `refused` (max-calls, backlog)."""
        if refused is None:
            self.calls_admitted_total.inc()
        else:
            self.calls_refused_total.labels(reason=_label(refused)).inc()

    def track_decoders(self, backlog: Callable[[], float], pending: Callable[[], int]) -> None:
        """Read the decode backlog (seconds) and the decodes in flight at scrape time."""
        self.asr_backlog_seconds.set_function(backlog)
        self.asr_pending.set_function(pending)

    def track_web_sockets(self, role: str, count: Callable[[], int]) -> None:
        """Read the number of open WebSockets of `role` at scrape time."""
        self.web_sessions.labels(role=_label(role)).set_function(count)

    def render(self) -> tuple[bytes, str]:
        """The exposition text and its content type, for GET /metrics."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
