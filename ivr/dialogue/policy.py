"""Transfer policy counters, pure: fed what happened in each turn, they say when a person must take over.

How this works: no-match and no-input count consecutive failures (any understood turn resets both);
requests count how often the caller asked for the same thing (an intent or a knowledge answer) in the
whole call; the sentiment trend keeps one score per caller turn, and one strongly negative turn (a
strong word, or a score at or below `sentiment.strong`) fires at once. Each `on_*` returns True when its
trigger fires, and the dialogue engine turns that into a transfer with the matching reason.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ivr.dialogue.mood_trend import SentimentTrend
from ivr.dialogue.schema import Policy
from ivr.dialogue.sentiment import Reading


@dataclass
class PolicyState:
    """One call's counters against the flow's transfer policy."""

    policy: Policy
    trend: SentimentTrend | None = None  # made on first use
    no_match: int = 0
    no_input: int = 0
    requests: Counter[str] = field(default_factory=Counter)
    scores: list[float] = field(default_factory=list)

    def understood(self) -> None:
        """The caller was understood: the failure streaks start again."""
        self.no_match = 0
        self.no_input = 0

    def on_no_match(self, limit: int | None = None) -> bool:
        """One more turn not understood; True at the limit (the step's, else the policy's)."""
        self.no_match += 1
        self.no_input = 0
        return self.no_match >= (limit or self.policy.no_match_limit)

    def on_no_input(self, limit: int | None = None) -> bool:
        """One more silence; True at the limit (the step's, else the policy's)."""
        self.no_input += 1
        return self.no_input >= (limit or self.policy.no_input_limit)

    def on_request(self, key: str) -> bool:
        """The caller asked for `key` again; True when that makes `repeat_limit` times (0: never)."""
        self.requests[key] += 1
        limit = self.policy.repeat_limit
        return limit > 0 and self.requests[key] >= limit

    def on_sentiment(self, mood: Reading) -> str | None:
        """Add one turn's sentiment: "strong" (hand over now), "sustained" (upset long enough), or None."""
        if self.trend is None:
            self.trend = SentimentTrend()
        self.trend.add(mood.score)
        self.scores.append(round(mood.score, 3))
        rule = self.policy.sentiment
        if rule.strong is not None and mood.is_strong(rule.strong):
            return "strong"
        if rule.turns > 0 and self.trend.is_negative(threshold=rule.threshold, consecutive=rule.turns):
            return "sustained"
        return None

    def direction(self) -> str:
        """ "worsening", "improving" or "steady" (steady before any caller turn)."""
        return "steady" if self.trend is None else self.trend.direction()

    def is_sensitive(self, intent: str | None) -> bool:
        """Whether an intent must go to a person at once."""
        return intent is not None and intent in self.policy.sensitive_intents
