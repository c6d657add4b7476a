"""Warm hand-off figures for supervisors: offers made to agents, acceptance rate, time to accept.

Read from `context["warm"]["offers"]` of the day's transfers (ivr.storage.warm_ops). A pass, a silent
agent and a send-back are all offers that were not accepted; a caller whose agent sent them back to
the bot did not abandon the queue, even though app_queue reports the redirect as QueueCallerAbandon.
"""

from __future__ import annotations

from typing import Any


def warm_of(context: dict[str, Any] | None) -> dict[str, Any]:
    """The warm hand-off part of a transfer context ({} when there was none)."""
    warm = (context or {}).get("warm")
    return warm if isinstance(warm, dict) else {}


def sent_back(context: dict[str, Any] | None) -> bool:
    """True when an agent sent this transfer's caller back to the bot at the briefing."""
    return any(o.get("choice") == "back" for o in warm_of(context).get("offers") or [])


def warm_figures(contexts: list[dict[str, Any] | None]) -> dict[str, Any]:
    """Offers, accepted offers, acceptance rate and mean seconds from answer to acceptance."""
    offers = [o for c in contexts for o in warm_of(c).get("offers") or [] if isinstance(o, dict)]
    accepted = [o for o in offers if o.get("choice") == "accept"]
    seconds = [float(o["seconds"]) for o in accepted if isinstance(o.get("seconds"), int | float)]
    return {
        "warm_offers": len(offers),
        "warm_accepted": len(accepted),
        "acceptance_rate": len(accepted) / len(offers) if offers else None,
        "accept_avg_s": sum(seconds) / len(seconds) if seconds else None,
    }
