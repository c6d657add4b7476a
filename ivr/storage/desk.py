"""DeskStore: users, dispositions, knowledge drafts and the call look-ups the agent desktop needs.

Unlike CallStore writes, these run at once and raise: the person at the desktop must see a failure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker

from ivr.storage.desk_models import ROLES, DeskUser, Disposition, KnowledgeEntry, WebSession
from ivr.storage.models import Call, Transfer
from ivr.storage.ops import require_aware
from ivr.storage.records import snapshot


class DeskError(ValueError):
    """A desktop write was refused (duplicate user, unknown call, bad role)."""


@dataclass(frozen=True, slots=True)
class User:
    """A desktop user as the web app sees it."""

    id: int
    username: str
    role: str
    agent_id: str | None
    display_name: str
    disabled: bool
    password_hash: str


@dataclass(frozen=True, slots=True)
class DispositionRecord:
    """One saved disposition."""

    call_uuid: str
    user_id: int
    category: str
    notes: str
    resolved: bool
    created_at: datetime


def user_snapshot(row: DeskUser) -> User:
    """Snapshot a user row."""
    return snapshot(User, row)


class DeskStore:
    """Reads and writes of the desktop tables, on the session factory of the CallStore's database."""

    def __init__(self, sessions: async_sessionmaker) -> None:
        self._sessions = sessions

    # -- users -----------------------------------------------------------------------------------------

    async def create_user(
        self,
        *,
        username: str,
        password_hash: str,
        role: str,
        now: datetime,
        agent_id: str | None = None,
        display_name: str | None = None,
    ) -> User:
        """Add a user; DeskError when the name or agent id is taken or the role unknown."""
        if role not in ROLES:
            raise DeskError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        if not username or len(username) > 64:
            raise DeskError("username must be 1 to 64 characters")
        require_aware(now=now)
        row = DeskUser(
            username=username,
            password_hash=password_hash,
            role=role,
            agent_id=agent_id or None,
            display_name=display_name or username,
            disabled=False,
            created_at=now,
        )
        try:
            async with self._sessions.begin() as session:
                session.add(row)
                await session.flush()
                return user_snapshot(row)
        except IntegrityError:
            raise DeskError(f"user {username!r} or agent id {agent_id!r} already exists") from None

    async def get_user(self, user_id: int) -> User | None:
        """The user with this id, or None."""
        async with self._sessions() as session:
            row = await session.get(DeskUser, user_id)
            return user_snapshot(row) if row is not None else None

    async def user_by_name(self, username: str) -> User | None:
        """The user with this username, or None."""
        return await self._one_user(DeskUser.username == username)

    async def user_by_agent(self, agent_id: str) -> User | None:
        """The user bound to this agent id, or None."""
        return await self._one_user(DeskUser.agent_id == agent_id)

    async def list_users(self) -> list[User]:
        """Every user, by username."""
        async with self._sessions() as session:
            rows = await session.scalars(select(DeskUser).order_by(DeskUser.username))
            return [user_snapshot(row) for row in rows]

    async def set_password(self, username: str, password_hash: str) -> None:
        """Replace a user's password hash; every session of theirs ends, on every worker."""
        await self._update_user(username, end_sessions=True, password_hash=password_hash)

    async def set_disabled(self, username: str, disabled: bool = True) -> None:
        """Disable (or enable again) a user; disabling ends every session of theirs, on every worker."""
        await self._update_user(username, end_sessions=disabled, disabled=disabled)

    async def _one_user(self, condition: Any) -> User | None:
        """The single user matching a condition."""
        async with self._sessions() as session:
            row = await session.scalar(select(DeskUser).where(condition))
            return user_snapshot(row) if row is not None else None

    async def _update_user(self, username: str, *, end_sessions: bool = False, **values: Any) -> None:
        """Update one user by name (and delete their sessions); DeskError when there is none."""
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(DeskUser).where(DeskUser.username == username).values(**values)
            )
            if result.rowcount != 1:
                raise DeskError(f"no user {username!r}")
            if end_sessions:
                user_id = select(DeskUser.id).where(DeskUser.username == username).scalar_subquery()
                await session.execute(delete(WebSession).where(WebSession.user_id == user_id))

    # -- calls -----------------------------------------------------------------------------------------

    async def call_channel(self, call_uuid: str) -> str | None:
        """The caller's channel name of a stored call, or None for an unknown call."""
        async with self._sessions() as session:
            return await session.scalar(select(Call.channel).where(Call.call_uuid == call_uuid))

    async def calls_of_agent(
        self, *, interfaces: Iterable[str], user_id: int, limit: int = 20
    ) -> list[dict[str, Any]]:
        """The latest calls handed to these agent interfaces or disposed by this user, newest first."""
        interfaces = [i for i in interfaces if i]
        handled = select(Transfer.call_id).where(Transfer.agent_interface.in_(interfaces))
        disposed = select(Disposition.call_id).where(Disposition.user_id == user_id)
        query = (
            select(Call)
            .where(or_(Call.id.in_(handled), Call.id.in_(disposed)))
            .order_by(Call.started_at.desc())
            .limit(limit)
        )
        async with self._sessions() as session:
            rows = (await session.scalars(query)).all()
            return [
                {
                    "call_uuid": row.call_uuid,
                    "caller_number": row.caller_number,
                    "caller_name": row.caller_name,
                    "started_at": row.started_at.isoformat(),
                    "outcome": row.outcome,
                    "queue": row.queue,
                }
                for row in rows
            ]

    # -- dispositions ----------------------------------------------------------------------------------

    async def add_disposition(
        self, *, call_uuid: str, user_id: int, category: str, notes: str, resolved: bool, now: datetime
    ) -> DispositionRecord:
        """Save a disposition for a call; DeskError when the call is unknown."""
        require_aware(now=now)
        async with self._sessions.begin() as session:
            call_id = await session.scalar(select(Call.id).where(Call.call_uuid == call_uuid))
            if call_id is None:
                raise DeskError(f"no call {call_uuid!r}")
            session.add(
                Disposition(
                    call_id=call_id,
                    user_id=user_id,
                    category=category,
                    notes=notes,
                    resolved=resolved,
                    created_at=now,
                )
            )
        return DispositionRecord(call_uuid, user_id, category, notes, resolved, now)

    async def dispositions_for(self, call_uuids: Iterable[str]) -> dict[str, list[DispositionRecord]]:
        """Dispositions of these calls, oldest first, by call uuid."""
        wanted = list(call_uuids)
        result: dict[str, list[DispositionRecord]] = {uuid: [] for uuid in wanted}
        if not wanted:
            return result
        query = (
            select(Call.call_uuid, Disposition)
            .join(Disposition, Disposition.call_id == Call.id)
            .where(Call.call_uuid.in_(wanted))
            .order_by(Disposition.created_at, Disposition.id)
        )
        async with self._sessions() as session:
            for uuid, row in (await session.execute(query)).all():
                result[uuid].append(
                    DispositionRecord(
                        uuid, row.user_id, row.category, row.notes, row.resolved, row.created_at
                    )
                )
        return result

    # -- knowledge -------------------------------------------------------------------------------------

    async def add_knowledge_draft(
        self,
        *,
        language: str,
        question: str,
        answer: str,
        now: datetime,
        source_call_uuid: str | None = None,
        created_by: int | None = None,
        keywords: list[str] | None = None,
    ) -> int:
        """Save a draft knowledge entry proposed from a call; returns its id."""
        require_aware(now=now)
        row = KnowledgeEntry(
            language=language,
            questions=[question],
            answer=answer,
            keywords=list(keywords or []),
            status="draft",
            source_call_uuid=source_call_uuid,
            created_by=created_by,
            created_at=now,
            updated_at=now,
        )
        async with self._sessions.begin() as session:
            session.add(row)
            await session.flush()
            return row.id

    async def knowledge_drafts(self) -> list[dict[str, Any]]:
        """Every draft entry, oldest first (the admin view reads these through its own store)."""
        query = select(KnowledgeEntry).where(KnowledgeEntry.status == "draft").order_by(KnowledgeEntry.id)
        async with self._sessions() as session:
            return [
                {
                    "id": row.id,
                    "language": row.language,
                    "questions": list(row.questions),
                    "answer": row.answer,
                    "source_call_uuid": row.source_call_uuid,
                    "created_by": row.created_by,
                }
                for row in await session.scalars(query)
            ]

    async def agent_handled(self, call_uuid: str, interfaces: Iterable[str]) -> bool:
        """Whether a transfer of this call reached one of these agent interfaces."""
        query = (
            select(Transfer.id)
            .join(Call, Call.id == Transfer.call_id)
            .where(Call.call_uuid == call_uuid, Transfer.agent_interface.in_([i for i in interfaces if i]))
            .limit(1)
        )
        async with self._sessions() as session:
            return await session.scalar(query) is not None
