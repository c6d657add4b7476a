"""The records queues.live keeps per queue: callers waiting, members and their derived state."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ivr.ami.codec import AmiMessage
from queues.live_views import PAUSED, READY, RINGING, TALKING, UNAVAILABLE

UNREACHABLE_STATUS = frozenset({4, 5})  # AST_DEVICE_INVALID, AST_DEVICE_UNAVAILABLE
BUSY_STATUS = frozenset({2, 3, 7, 8})  # in use, busy, ring+in use, on hold
RINGING_STATUS = 6


def ami_int(value: str | None, default: int = 0) -> int:
    """An AMI number header as an int (Asterisk may send `0.0`); `default` when absent or not a number."""
    try:
        return int(float(value)) if value not in (None, "") else default
    except ValueError:
        return default


@dataclass
class LiveCaller:
    """A caller waiting in a queue."""

    uniqueid: str
    position: int
    joined_at: datetime
    priority: int = 0
    channel: str | None = None
    caller_number: str | None = None


@dataclass
class LiveMember:
    """A queue member as the last events described it."""

    interface: str
    name: str
    state_interface: str = ""
    membership: str = "dynamic"
    penalty: int = 0
    calls_taken: int = 0
    paused: bool = False
    paused_reason: str = ""
    status: int = 1
    in_call: bool = False
    wrapup: int = 0
    ringing_for: str | None = None
    talking_with: str | None = None

    @property
    def state(self) -> str:
        """What the member is doing, most telling first (see queues.live)."""
        if self.status in UNREACHABLE_STATUS:
            return UNAVAILABLE
        if self.talking_with or self.in_call or self.status in BUSY_STATUS:
            return TALKING
        if self.ringing_for or self.status == RINGING_STATUS:
            return RINGING
        return PAUSED if self.paused else READY

    def update(self, m: AmiMessage) -> None:
        """Take the fields of a QueueMember* event or QueueStatus QueueMember item."""
        self.name = m.get("MemberName") or m.get("Name") or self.name
        self.state_interface = m.get("StateInterface") or self.state_interface
        self.membership = m.get("Membership") or self.membership
        self.penalty = ami_int(m.get("Penalty"), self.penalty)
        self.calls_taken = ami_int(m.get("CallsTaken"), self.calls_taken)
        self.paused = ami_int(m.get("Paused"), int(self.paused)) == 1
        self.paused_reason = m.get("PausedReason", self.paused_reason) or ""
        self.status = ami_int(m.get("Status"), self.status)
        self.in_call = ami_int(m.get("InCall"), int(self.in_call)) == 1
        self.wrapup = ami_int(m.get("Wrapuptime"), self.wrapup)


@dataclass
class LiveQueue:
    """One queue: its callers by Uniqueid, its members by interface and today's counts."""

    name: str
    callers: dict[str, LiveCaller] = field(default_factory=dict)
    members: dict[str, LiveMember] = field(default_factory=dict)
    completed: int = 0
    abandoned: int = 0
