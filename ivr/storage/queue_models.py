"""Queue tables: callback requests (ORM), and which transfer columns the queue events may write."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ivr.storage.models import Base, Transfer

CALLBACK_STATES = ("requested", "originating", "connected", "failed", "expired", "cancelled")
PENDING_STATES = ("requested", "originating")

# The transfers columns this package writes: 0001's timing columns plus 0002's phase details.
transfer_phases = Transfer.__table__

# Timestamps are set once: a replayed or duplicated event must not move them.
WRITE_ONCE = frozenset(
    {"queued_at", "agent_called_at", "answered_at", "completed_at", "abandoned_at", "queue_uniqueid"}
)
PHASE_COLUMNS = WRITE_ONCE | {
    "agent_interface",
    "agent_name",
    "ring_attempts",
    "hold_seconds",
    "talk_seconds",
    "abandon_position",
    "end_party",
}


class CallbackRequest(Base):
    """A caller's request to be called back when their turn in a queue comes."""

    __tablename__ = "callbacks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    callback_id: Mapped[str] = mapped_column(String(36), unique=True)
    call_uuid: Mapped[str | None] = mapped_column(String(36), index=True)
    number: Mapped[str] = mapped_column(String(64))
    queue: Mapped[str] = mapped_column(String(64))
    priority: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(255))
    summary: Mapped[str] = mapped_column(Text)
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    caller_id: Mapped[str | None] = mapped_column(String(128))
    state: Mapped[str] = mapped_column(String(16), index=True)
    position: Mapped[int] = mapped_column(Integer)
    ahead: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"uniqueids": [...]} callers ahead
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    requested_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    originated_at: Mapped[datetime | None]
    connected_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(255))

    __table_args__ = (
        CheckConstraint(f"state IN ({', '.join(repr(s) for s in CALLBACK_STATES)})", name="state"),
    )
