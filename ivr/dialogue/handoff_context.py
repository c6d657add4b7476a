"""What a transfer carries: the spoken notice, the two-line summary and the JSON context for the agent.

Templates use `{name}` placeholders filled from a flat dict in one pass: a value the caller controls
(a transcript, a caller name) is inserted as plain text and never expanded again, so it cannot inject
placeholders or markup.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ivr.dialogue.text import is_chinese
from ivr.routing import RouteDecision

_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_.]*)\}")

REASON_DESCRIPTIONS = {
    "caller-request": "caller asked for a person",
    "keypad-0": "caller pressed 0",
    "no-match": "bot did not understand",
    "no-input": "caller stayed silent",
    "repeated-request": "caller repeated the request",
    "sentiment": "caller sounded upset",
    "sensitive": "sensitive topic",
    "vip": "VIP caller",
    "flow": "flow hand-off",
    "flow-error": "flow error",
}


def fill(template: str, values: Mapping[str, Any]) -> str:
    """Replace each `{name}` by its value (unknown names become empty); values are not re-expanded."""
    return _PLACEHOLDER.sub(lambda m: _show(values.get(m.group(1))), template)


def _show(value: Any) -> str:
    """How a value reads in a sentence."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def wait_words(seconds: float, language: str) -> str:
    """An expected wait in words: whole minutes, at least one."""
    minutes = max(1, round(seconds / 60))
    if is_chinese(language):
        return f"{minutes}分钟"
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def join_sentences(parts: list[str], language: str) -> str:
    """Sentences joined the way the language writes them (no spaces in Chinese)."""
    parts = [p.strip() for p in parts if p and p.strip()]
    return ("" if is_chinese(language) else " ").join(parts)


@dataclass(frozen=True)
class HandoffFacts:
    """Everything the dialogue knows at transfer time, for the summary and the context."""

    flow: str
    flow_version: int
    language: str
    caller_number: str | None
    tier: str | None
    intent: str | None
    intent_title: str | None
    intent_score: float | None
    slots: Mapping[str, Any]
    answers_tried: list[str]
    reason: str
    sentiment_scores: list[float]
    sentiment_trend: str
    steps: list[str]
    sentiment_words: list[str] = field(default_factory=list)  # what made the caller's turns negative


def summary(facts: HandoffFacts) -> str:
    """Two lines: who wants what; what the bot did and why it hands over."""
    who = facts.caller_number or "unknown number"
    tags = facts.language + (f", VIP {facts.tier}" if facts.tier else "")
    wants = f"wants {facts.intent_title}" if facts.intent_title else "did not say what they need"
    details = ", ".join(f"{k} {_show(v)}" for k, v in facts.slots.items())
    line1 = f"Caller {who} ({tags}) {wants}" + (f"; {details}" if details else "") + "."
    tried = (
        "Bot answered " + ", ".join(f"'{a}'" for a in facts.answers_tried)
        if facts.answers_tried
        else "No answer tried"
    )
    because = REASON_DESCRIPTIONS.get(facts.reason, facts.reason)
    mood = facts.sentiment_trend
    if facts.sentiment_scores and facts.sentiment_words:
        mood += f" ({facts.sentiment_scores[-1]:+.2f}: {', '.join(facts.sentiment_words[:5])})"
    line2 = f"{tried}; transferred: {because}; sentiment {mood}."
    return f"{line1}\n{line2}"


def context(facts: HandoffFacts, decision: RouteDecision | None = None) -> dict[str, Any]:
    """The JSON-able hand-off context stored with the transfer."""
    out: dict[str, Any] = {
        "intent": facts.intent,
        "intent_score": None if facts.intent_score is None else round(facts.intent_score, 3),
        "slots": {k: _json_value(v) for k, v in facts.slots.items()},
        "answers_tried": list(facts.answers_tried),
        "reason": facts.reason,
        "sentiment": {
            "scores": list(facts.sentiment_scores),
            "trend": facts.sentiment_trend,
            "score": facts.sentiment_scores[-1] if facts.sentiment_scores else None,
            "words": list(facts.sentiment_words),
        },
        "steps": list(facts.steps),
        "language": facts.language,
        "tier": facts.tier,
        "flow": facts.flow,
        "flow_version": facts.flow_version,
    }
    if decision is not None:
        out["queue"] = decision.queue
        out["skill"] = decision.skill
        out["expected_wait"] = decision.expected_wait
        out["position"] = decision.position
        out["overflowed_from"] = decision.overflowed_from
    return out


def _json_value(value: Any) -> Any:
    """Slot values as JSON: dates become ISO strings."""
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    iso = getattr(value, "isoformat", None)
    return iso() if iso else str(value)
