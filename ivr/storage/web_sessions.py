"""Server-side records of desktop logins: the cookie names a session, the database says if it still holds.

Why in the database: logout, a disabled user or a changed password must end a session on every worker
at once, and a copied cookie must stop working the moment its owner logs out. Only a hash of the session
id is stored, so the table cannot be used to log in.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from ivr.storage.desk import User, user_snapshot
from ivr.storage.desk_models import DeskUser, LoginAttempt, WebSession
from ivr.storage.ops import require_aware


def new_session_id() -> str:
    """A fresh random session id for a cookie."""
    return secrets.token_urlsafe(32)


def session_key(session_id: str) -> str:
    """What the table stores for a session id."""
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


class SessionStore:
    """Create, check and end desktop sessions."""

    def __init__(self, sessions: async_sessionmaker) -> None:
        self._sessions = sessions

    async def create(self, session_id: str, user_id: int, *, now: datetime, expires: datetime) -> None:
        """Record a new login."""
        require_aware(now=now, expires=expires)
        async with self._sessions.begin() as session:
            await session.execute(delete(WebSession).where(WebSession.expires_at <= now))  # tidy up
            session.add(
                WebSession(id=session_key(session_id), user_id=user_id, created_at=now, expires_at=expires)
            )

    async def user_of(self, session_id: str, now: datetime) -> User | None:
        """The enabled user of a live session, or None (ended, expired, unknown, user disabled)."""
        query = (
            select(DeskUser)
            .join(WebSession, WebSession.user_id == DeskUser.id)
            .where(WebSession.id == session_key(session_id), WebSession.expires_at > now)
        )
        async with self._sessions() as session:
            row = await session.scalar(query)
        return user_snapshot(row) if row is not None and not row.disabled else None

    async def end(self, session_id: str) -> None:
        """Logout: the session stops working everywhere."""
        async with self._sessions.begin() as session:
            await session.execute(delete(WebSession).where(WebSession.id == session_key(session_id)))

    async def live(self, keys: Iterable[str], now: datetime) -> set[str]:
        """Which of these session keys still hold (for open WebSockets)."""
        wanted = list(set(keys))
        if not wanted:
            return set()
        query = (
            select(WebSession.id)
            .join(DeskUser, WebSession.user_id == DeskUser.id)
            .where(WebSession.id.in_(wanted), WebSession.expires_at > now, DeskUser.disabled.is_(False))
        )
        async with self._sessions() as session:
            return set(await session.scalars(query))

    async def login_attempted(
        self, username: str, address: str, now: datetime, forget_before: datetime
    ) -> None:
        """Record a login attempt for `username` (the login guard's key) before its password is checked."""
        require_aware(now=now, forget_before=forget_before)
        async with self._sessions.begin() as session:
            await session.execute(delete(LoginAttempt).where(LoginAttempt.at < forget_before))  # tidy up
            session.add(LoginAttempt(username=username[:64], address=address[:64], at=now))

    async def recent_attempts(self, username: str, since: datetime) -> tuple[int, datetime | None]:
        """How many attempts `username` had since `since`, on any worker, and the oldest one's time."""
        require_aware(since=since)
        query = select(func.count(), func.min(LoginAttempt.at)).where(
            LoginAttempt.username == username[:64], LoginAttempt.at > since
        )
        async with self._sessions() as session:
            count, oldest = (await session.execute(query)).one()
        return int(count), oldest

    async def login_succeeded(self, username: str, before: datetime) -> None:
        """The right password: that username's attempts go (and everybody's older than `before`)."""
        require_aware(before=before)
        async with self._sessions.begin() as session:
            gone = (LoginAttempt.username == username[:64]) | (LoginAttempt.at < before)
            await session.execute(delete(LoginAttempt).where(gone))
