"""The contract between the dialogue (who should take this call?) and the ACD (which queue, how long?).

The bot stays pure: at transfer time it asks a `Router` for a decision. The router reads only in-memory
state (queue configuration and live AMI state), so the call is synchronous and cheap. `StaticRouter` is
the router used when no queue configuration is loaded: every skill is a queue of the same name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class RouteRequest:
    """What the dialogue knows when it decides to hand the caller over."""

    reason: str  # the transfer trigger: caller-request, keypad-0, no-match, sentiment, sensitive, vip...
    language: str
    skill: str | None = None  # the flow's skill for this step, if it names one
    intent: str | None = None
    caller_number: str | None = None
    tier: str | None = None


@dataclass(frozen=True)
class RouteDecision:
    """Where the caller goes and what they should be told."""

    queue: str
    priority: int = 0
    skill: str | None = None
    is_open: bool = True  # False outside the queue's business hours: closed message + callback offer
    position: int | None = None  # 1-based place the caller would take in the queue
    expected_wait: float | None = None  # seconds, None when unknown
    offer_callback: bool = False  # the wait is above the queue's callback threshold
    overflowed_from: str | None = None  # the first-choice queue, when nobody with that skill is logged in


class Router(Protocol):
    """Chooses a queue for a caller; implemented by queues.routing.QueueRouter."""

    def tier_of(self, caller_number: str | None) -> str | None:
        """The caller's VIP tier (None for ordinary callers)."""

    def route(self, request: RouteRequest) -> RouteDecision:
        """The queue, priority, opening state and wait estimate for this caller now."""


@dataclass(frozen=True)
class StaticRouter:
    """Every skill is a queue of that name; no tiers, always open, wait unknown."""

    fallback_queue: str

    def tier_of(self, caller_number: str | None) -> str | None:
        """No VIP list without a queue configuration."""
        return None

    def route(self, request: RouteRequest) -> RouteDecision:
        """The skill's queue, or the fallback queue."""
        return RouteDecision(queue=request.skill or self.fallback_queue, skill=request.skill)
