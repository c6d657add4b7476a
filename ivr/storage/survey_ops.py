"""The write of an after-call survey score, as an outbox-safe op on the original call's row."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from ivr.storage.models import Call
from ivr.storage.ops import Write, _call_id
from ivr.storage.records import CallHandle


@dataclass(frozen=True, slots=True)
class SetSurveyScore(Write):
    """Set calls.survey_score (1-5); naturally idempotent, so a retry is harmless."""

    kind: ClassVar[str] = "set_survey_score"

    @classmethod
    def for_call(cls, call_uuid: str, score: int) -> SetSurveyScore:
        """The op for the call `call_uuid` (a handle built by hand finds the row by uuid)."""
        if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
            raise ValueError(f"survey score {score!r} is not an integer from 1 to 5")
        return cls(CallHandle(call_uuid), {"survey_score": score})

    async def apply(self, session: AsyncSession, retried: bool) -> int | None:
        """Update the score of the call row (MissingCall if the call was never stored)."""
        call_id = await _call_id(session, self.handle)
        score = self.values["survey_score"]
        await session.execute(update(Call).where(Call.id == call_id).values(survey_score=score))
        return None
