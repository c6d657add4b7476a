"""Queue tables: callback requests (ORM) and the phase columns that migration 0002 added to transfers.

ivr.storage.models stays the lead's: the transfer phase columns are reached through a lightweight
table clause instead of the Transfer class, so the shared metadata is not changed behind its back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Float, Integer, String, Text, column, table
from sqlalchemy.orm import Mapped, mapped_column

from ivr.storage.models import Base, UTCDateTime

CALLBACK_STATES = ("requested", "originating", "connected", "failed", "expired", "cancelled")
PENDING_STATES = ("requested", "originating")

# The transfers columns this package writes (0001's timing columns plus 0002's phase details).
transfer_phases = table(
    "transfers",
    column("id", Integer),
    column("call_id", Integer),
    column("created_at", UTCDateTime()),
    column("queue", String),
    column("queued_at", UTCDateTime()),
    column("agent_called_at", UTCDateTime()),
    column("answered_at", UTCDateTime()),
    column("completed_at", UTCDateTime()),
    column("abandoned_at", UTCDateTime()),
    column("agent_interface", String),
    column("agent_name", String),
    column("ring_attempts", Integer),
    column("hold_seconds", Float),
    column("talk_seconds", Float),
    column("abandon_position", Integer),
    column("end_party", String),
    column("queue_uniqueid", String),
)

# Timestamps are set once: a replayed or duplicated event must not move them.
WRITE_ONCE = frozenset(
    {"queued_at", "agent_called_at", "answered_at", "completed_at", "abandoned_at", "queue_uniqueid"}
)
PHASE_COLUMNS = frozenset(c.name for c in transfer_phases.columns) - {"id", "call_id", "created_at", "queue"}


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
