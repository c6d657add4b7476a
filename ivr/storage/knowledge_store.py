"""Knowledge-base entries in the database: drafts proposed by agents, reviewed, published to the bot.

How this works: an agent's "propose as knowledge" stores a `draft` (ivr.storage.desk). An admin lists
drafts, edits them, then publishes (`published`) or rejects (`rejected`) each. Status changes are one
conditional UPDATE (`... WHERE status IN (allowed)`), so two admins racing cannot publish a rejected
entry. The dialogue manager reads `published_entries()` when it builds the next call's knowledge base.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from ivr.storage.desk_models import KNOWLEDGE_STATUSES, KnowledgeEntry
from ivr.storage.ops import require_aware
from ivr.storage.records import snapshot

MAX_QUESTIONS, MAX_QUESTION_CHARS = 20, 500
MAX_KEYWORDS, MAX_KEYWORD_CHARS = 30, 64
MAX_ANSWER_CHARS = 4000
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
EDITABLE = ("draft", "published")
ID_PREFIX = "db-"  # published ids are "db-<row id>": they never clash with flow YAML entry ids


class KnowledgeError(ValueError):
    """An edit or status change that is not allowed (the message is safe to show to the admin)."""


class KnowledgeNotFound(KnowledgeError):
    """No entry with that id."""


@dataclass(frozen=True)
class KnowledgeItem:
    """One stored entry as the admin view shows it."""

    id: int
    language: str
    questions: tuple[str, ...]
    answer: str
    keywords: tuple[str, ...]
    status: str
    source_call_uuid: str | None
    created_by: int | None
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form (timestamps as ISO 8601)."""
        stamp = lambda t: t.isoformat() if t else None  # noqa: E731
        return {
            "id": self.id,
            "language": self.language,
            "questions": list(self.questions),
            "answer": self.answer,
            "keywords": list(self.keywords),
            "status": self.status,
            "source_call_uuid": self.source_call_uuid,
            "created_by": self.created_by,
            "created_at": stamp(self.created_at),
            "updated_at": stamp(self.updated_at),
            "published_at": stamp(self.published_at),
        }


def _item(row: KnowledgeEntry) -> KnowledgeItem:
    """Snapshot one row."""
    questions = tuple(str(q) for q in row.questions or ())
    return snapshot(
        KnowledgeItem, row, questions=questions, keywords=tuple(str(k) for k in row.keywords or ())
    )


def _texts(values: Iterable[Any], what: str, most: int, chars: int) -> list[str]:
    """Trimmed, de-duplicated non-empty strings, within bounds."""
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise KnowledgeError(f"{what} must be a list of texts")
    out: list[str] = []
    for value in values:
        if not isinstance(value, str):
            raise KnowledgeError(f"{what} must be a list of texts")
        text = " ".join(value.split())
        if len(text) > chars:
            raise KnowledgeError(f"each of {what} must be at most {chars} characters")
        if text and text not in out:
            out.append(text)
    if len(out) > most:
        raise KnowledgeError(f"at most {most} {what}")
    return out


def validate_edit(
    language: str | None = None,
    questions: Iterable[str] | None = None,
    answer: str | None = None,
    keywords: Iterable[str] | None = None,
) -> dict[str, Any]:
    """The column values of an edit, cleaned; KnowledgeError for anything out of bounds."""
    values: dict[str, Any] = {}
    if language is not None:
        if not isinstance(language, str) or not LANGUAGE.match(language):
            raise KnowledgeError("language must be a code such as 'en' or 'zh-CN'")
        values["language"] = language
    if questions is not None:
        values["questions"] = _texts(questions, "questions", MAX_QUESTIONS, MAX_QUESTION_CHARS)
        if not values["questions"]:
            raise KnowledgeError("at least one question is needed")
    if answer is not None:
        if not isinstance(answer, str) or not answer.strip():
            raise KnowledgeError("the answer must not be empty")
        if len(answer) > MAX_ANSWER_CHARS:
            raise KnowledgeError(f"the answer must be at most {MAX_ANSWER_CHARS} characters")
        values["answer"] = answer.strip()
    if keywords is not None:
        values["keywords"] = _texts(keywords, "keywords", MAX_KEYWORDS, MAX_KEYWORD_CHARS)
    return values


class KnowledgeStore:
    """Review and publication of knowledge entries, on the CallStore's session factory."""

    def __init__(self, sessions: async_sessionmaker) -> None:
        self._sessions = sessions

    async def list(self, status: str = "draft") -> list[KnowledgeItem]:
        """Entries with this status, oldest first."""
        if status not in KNOWLEDGE_STATUSES:
            raise KnowledgeError(f"status must be one of {', '.join(KNOWLEDGE_STATUSES)}")
        query = select(KnowledgeEntry).where(KnowledgeEntry.status == status).order_by(KnowledgeEntry.id)
        async with self._sessions() as session:
            return [_item(row) for row in await session.scalars(query)]

    async def drafts(self) -> list[KnowledgeItem]:
        """Entries waiting for review, oldest first."""
        return await self.list("draft")

    async def get(self, entry_id: int) -> KnowledgeItem | None:
        """One entry, or None."""
        async with self._sessions() as session:
            row = await session.get(KnowledgeEntry, entry_id)
            return _item(row) if row is not None else None

    async def edit(
        self,
        entry_id: int,
        *,
        now: datetime,
        language: str | None = None,
        questions: Iterable[str] | None = None,
        answer: str | None = None,
        keywords: Iterable[str] | None = None,
    ) -> KnowledgeItem:
        """Change a draft or published entry (a published one is live for the next call)."""
        require_aware(now=now)
        values = validate_edit(language, questions, answer, keywords)
        return await self._change(entry_id, EDITABLE, {**values, "updated_at": now}, "edited")

    async def publish(self, entry_id: int, *, now: datetime) -> KnowledgeItem:
        """Make a draft live for the bot."""
        require_aware(now=now)
        values = {"status": "published", "updated_at": now, "published_at": now}
        return await self._change(entry_id, ("draft",), values, "published")

    async def reject(self, entry_id: int, *, now: datetime) -> KnowledgeItem:
        """Refuse a draft, or withdraw a published entry."""
        require_aware(now=now)
        return await self._change(entry_id, EDITABLE, {"status": "rejected", "updated_at": now}, "rejected")

    async def published_entries(self) -> list:
        """Published entries as the dialogue's KnowledgeEntry values (ids 'db-<n>'), oldest first."""
        from ivr.dialogue.knowledge import KnowledgeEntry as BotEntry

        return [
            BotEntry(
                id=f"{ID_PREFIX}{item.id}",
                language=item.language,
                questions=item.questions,
                answer=item.answer,
                keywords=item.keywords,
            )
            for item in await self.list("published")
            if item.questions and item.answer
        ]

    async def _change(
        self, entry_id: int, allowed: tuple[str, ...], values: dict[str, Any], verb: str
    ) -> KnowledgeItem:
        """One conditional UPDATE; tells apart 'no such entry' from 'not in a status that allows it'."""
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(KnowledgeEntry)
                .where(KnowledgeEntry.id == entry_id, KnowledgeEntry.status.in_(allowed))
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            row = await session.get(KnowledgeEntry, entry_id, populate_existing=True)
            if row is None:
                raise KnowledgeNotFound(f"no knowledge entry {entry_id}")
            if result.rowcount != 1:
                raise KnowledgeError(f"entry {entry_id} is {row.status}: it cannot be {verb}")
            return _item(row)
