"""Tables of the agent desktop: desktop users, agents' dispositions and knowledge-base entries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ivr.storage.models import Base, Call

ROLES = ("agent", "supervisor", "admin")
KNOWLEDGE_STATUSES = ("draft", "published", "rejected")

# The screen-pop finds our call from AgentCalled's Uniqueid, which is the channel the AGI ran on.
CALLS_AGI_UNIQUEID_INDEX = Index("ix_calls_agi_uniqueid", Call.__table__.c.agi_uniqueid)


class DeskUser(Base):
    """A person who logs in to the desktop; agents carry the agent id of config/queues.yaml."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    agent_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]

    __table_args__ = (CheckConstraint("role IN ('agent', 'supervisor', 'admin')", name="role"),)


class Disposition(Base):
    """What the agent recorded after a call: category, notes and whether it was resolved."""

    __tablename__ = "dispositions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    category: Mapped[str] = mapped_column(String(32))
    notes: Mapped[str] = mapped_column(Text)
    resolved: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime]


class KnowledgeEntry(Base):
    """A knowledge-base answer: drafted from a resolved call, reviewed, then published to the bot."""

    __tablename__ = "knowledge_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    language: Mapped[str] = mapped_column(String(16))
    questions: Mapped[list[Any]] = mapped_column(JSON)
    answer: Mapped[str] = mapped_column(Text)
    keywords: Mapped[list[Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), index=True)
    source_call_uuid: Mapped[str | None] = mapped_column(String(36))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    published_at: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint("status IN ('draft', 'published', 'rejected')", name="status"),
        Index("ix_knowledge_entries_language_status", "language", "status"),
    )


class WebSession(Base):
    """A desktop login: the cookie names it, logout or a disabled user deletes it (on every worker)."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the cookie's session id
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class LoginAttempt(Base):
    """A desktop login attempt for a username, recorded before the password check, seen by every worker."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))  # the login guard's key: stripped, lower case
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(index=True)  # the tidy-up deletes by time alone

    __table_args__ = (Index("ix_login_attempts_username_at", "username", "at"),)
