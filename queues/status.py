"""The read-only view of live queue state that routing and wait announcements use.

queues.live.LiveQueues implements it from AMI events; tests implement it with a few fixed numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class WaitEstimate:
    """Where a new caller would stand in a queue and how long they would probably wait."""

    position: int  # 1-based
    seconds: float


class QueueStatusView(Protocol):
    """What the router may ask about a queue right now."""

    def queues(self) -> list[str]:
        """Names of the queues live state knows; empty while AMI has not answered (state unknown)."""

    def member_interfaces(self, queue: str) -> list[str]:
        """Interfaces of the queue's logged-in members (who is there, for their languages)."""

    def agents_logged_in(self, queue: str) -> int:
        """Members of the queue that are logged in (paused or not)."""

    def agents_available(self, queue: str) -> int:
        """Members that could take a call now: logged in, not paused, not ringing or talking."""

    def estimate(self, queue: str, priority: int) -> WaitEstimate | None:
        """Position and expected wait for a new caller with this priority; None when nothing is known."""
