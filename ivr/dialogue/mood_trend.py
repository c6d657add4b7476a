"""A call's sentiment over its turns: the per-turn scores and the summaries the policy and hand-off use."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class SentimentTrend:
    """Per-turn sentiment scores of one call, oldest first, with summaries the flow and hand-off use."""

    scores: list[float] = field(default_factory=list)

    def add(self, score: float) -> None:
        """Append the latest turn's score."""
        self.scores.append(score)

    def latest(self) -> float | None:
        """The most recent score, None before the first."""
        return self.scores[-1] if self.scores else None

    def mean(self, last: int = 3) -> float | None:
        """The mean of the last `last` scores, None when there are none."""
        window = self.scores[-last:] if last > 0 else []
        return sum(window) / len(window) if window else None

    def direction(self, margin: float = 0.15) -> str:
        """ "worsening", "improving" or "steady": the mean of the later half against the earlier half."""
        if len(self.scores) < 2:
            return "steady"
        half = len(self.scores) // 2
        earlier, later = self.scores[:half], self.scores[-half:]
        delta = sum(later) / len(later) - sum(earlier) / len(earlier)
        if delta <= -margin:
            return "worsening"
        if delta >= margin:
            return "improving"
        return "steady"

    def is_negative(self, threshold: float = -0.5, consecutive: int = 1) -> bool:
        """True when each of the last `consecutive` scores is at or below `threshold`."""
        if consecutive < 1 or len(self.scores) < consecutive:
            return False
        return all(s <= threshold for s in self.scores[-consecutive:])
