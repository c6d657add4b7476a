"""A router with fixed answers, recording what the bot asked, for conversation tests."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from ivr.routing import RouteDecision, RouteRequest


@dataclass
class FixedRouter:
    """Every skill goes to the queue of that name with the given wait, opening and callback offer."""

    position: int | None = None
    expected_wait: float | None = None
    is_open: bool = True
    offer_callback: bool = False
    priority: int = 0
    tiers: dict[str, str] = field(default_factory=dict)
    requests: list[RouteRequest] = field(default_factory=list)

    def tier_of(self, caller_number: str | None) -> str | None:
        """The VIP tier from the fixed list."""
        return self.tiers.get(caller_number or "")

    def route(self, request: RouteRequest) -> RouteDecision:
        """The fixed decision for the requested skill."""
        self.requests.append(request)
        return RouteDecision(
            queue=request.skill or "support",
            priority=self.priority,
            skill=request.skill,
            is_open=self.is_open,
            position=self.position,
            expected_wait=self.expected_wait,
            offer_callback=self.offer_callback,
        )

    def with_(self, **changes) -> FixedRouter:
        """A copy with some answers changed."""
        return dataclasses.replace(self, requests=[], **changes)
