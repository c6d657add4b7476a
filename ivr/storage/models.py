"""Database schema of the hotline: calls, their turns and their hand-offs to human agents."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Explicit constraint names keep migrations identical on SQLite and PostgreSQL and let batch mode
# (SQLite ALTER) find constraints again later.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SPEAKERS = ("caller", "bot", "system")


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite stores naive UTC text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive datetimes and store UTC."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware UTC timestamp")
        value = value.astimezone(UTC)
        # SQLite's DATETIME format has no offset: keep the wall clock of UTC, drop the tzinfo.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Give back aware UTC datetimes whatever the backend returned."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base holding the storage metadata."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


class Call(Base):
    """One inbound call, from the AGI request to its end."""

    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    agi_uniqueid: Mapped[str] = mapped_column(String(64))
    linkedid: Mapped[str | None] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(128))
    caller_number: Mapped[str | None] = mapped_column(String(64))
    caller_name: Mapped[str | None] = mapped_column(String(128))
    language: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(255))
    outcome: Mapped[str | None] = mapped_column(String(32))
    queue: Mapped[str | None] = mapped_column(String(64))
    survey_score: Mapped[int | None] = mapped_column(Integer)
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The worker process that served the call: on restart it closes only its own calls left open.
    worker: Mapped[str | None] = mapped_column(String(128))

    turns: Mapped[list[Turn]] = relationship(
        back_populates="call", order_by="Turn.seq", cascade="all, delete-orphan", passive_deletes=True
    )
    transfers: Mapped[list[Transfer]] = relationship(
        back_populates="call",
        order_by="(Transfer.created_at, Transfer.id)",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    # Caller history for the screen-pop: the latest calls of one number.
    __table_args__ = (
        Index("ix_calls_caller_number_started_at", "caller_number", "started_at"),
        Index("ix_calls_worker_ended_at", "worker", "ended_at"),
    )


class Turn(Base):
    """One utterance of the caller, the bot or the system, numbered per call from 1."""

    __tablename__ = "turns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    speaker: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime]
    confidence: Mapped[float | None] = mapped_column(Float)
    dtmf: Mapped[str | None] = mapped_column(String(32))
    interrupted: Mapped[bool] = mapped_column(Boolean, default=False)
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)

    call: Mapped[Call] = relationship(back_populates="turns")

    __table_args__ = (
        Index("ix_turns_call_id_seq", "call_id", "seq", unique=True),
        CheckConstraint("speaker IN ('caller', 'bot', 'system')", name="speaker"),
        CheckConstraint("seq >= 1", name="seq_positive"),
    )


class Transfer(Base):
    """A hand-off of the call to a skill queue, with the context shown to the agent."""

    __tablename__ = "transfers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(255))
    queue: Mapped[str] = mapped_column(String(64))
    priority: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(Text)
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    queued_at: Mapped[datetime | None]
    agent_called_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    abandoned_at: Mapped[datetime | None]
    agent_interface: Mapped[str | None] = mapped_column(String(128))
    agent_name: Mapped[str | None] = mapped_column(String(128))
    # Written from AMI events by queues.transfer_timings (migration 0002).
    ring_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    hold_seconds: Mapped[float | None] = mapped_column(Float)
    talk_seconds: Mapped[float | None] = mapped_column(Float)
    abandon_position: Mapped[int | None] = mapped_column(Integer)
    end_party: Mapped[str | None] = mapped_column(String(16))
    queue_uniqueid: Mapped[str | None] = mapped_column(String(64))

    call: Mapped[Call] = relationship(back_populates="transfers")
