"""Back from the agent: a caller redirected to [ivr-return] is taken up in the SAME stored call.

How this works: [ivr-bot] runs the hotline script with the one argument `return:<call uuid>:<mode>`
for a returning caller (IVR_RETURN=1, set by [ivr-return]; one argument because [ivr-agi], which
rotates over the workers, passes one). `return_request` reads those arguments; mode is `self-service` (the
agent's desktop: "help them finish"), `declined` (the agent pressed 2 at the briefing) or `survey` (the
desktop: "rate the call"). The service then opens the session on the original call uuid and row (turns
continue after the last one, the outcome is overwritten at the end: one call in the figures), and
`load_resume` gives the bot the hand-off context of the newest transfer and the agent's disposition
notes, so it says why the caller is back and continues with their intent and details.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from ivr.storage.desk import DeskStore
from ivr.storage.models import Call, Transfer

log = logging.getLogger(__name__)

MODES = ("self-service", "declined", "survey")
_LOAD_SECONDS = 1.0  # the caller is on the line: a slow database means "no context", not a wait


@dataclass(frozen=True)
class ReturnRequest:
    """A caller sent back to the bot: which call, and why."""

    call_uuid: str
    mode: str = "self-service"


def return_request(args: list[str] | tuple[str, ...]) -> ReturnRequest | None:
    """The return named by the AGI arguments, None for a new call.

    [ivr-agi] passes one argument (`return:<uuid>:<mode>`); `return,<uuid>,<mode>` is accepted too.
    """
    if len(args) == 1 and args[0].startswith("return:"):
        args = args[0].split(":", 2)
    if len(args) < 2 or args[0] != "return":
        return None
    try:
        call_uuid = str(uuid.UUID(args[1]))
    except ValueError:
        log.warning("return to the bot with a bad call uuid %r: treated as a new call", args[1])
        return None
    mode = args[2] if len(args) > 2 and args[2] in MODES else "self-service"
    return ReturnRequest(call_uuid, mode)


async def load_resume(session_factory: Any, request: ReturnRequest) -> dict[str, Any]:
    """What the bot needs to continue: {mode, context (newest transfer), notes (dispositions)}."""
    resume: dict[str, Any] = {"mode": request.mode, "context": {}, "notes": []}
    query = (
        select(Transfer.context)
        .join(Call, Call.id == Transfer.call_id)
        .where(Call.call_uuid == request.call_uuid)
        .order_by(Transfer.created_at.desc(), Transfer.id.desc())
        .limit(1)
    )
    try:
        async with asyncio.timeout(_LOAD_SECONDS):
            async with session_factory() as session:
                resume["context"] = dict(await session.scalar(query) or {})
            found = await DeskStore(session_factory).dispositions_for([request.call_uuid])
        resume["notes"] = [d.notes for d in found.get(request.call_uuid, []) if d.notes]
    except Exception as exc:  # the bot then starts over, politely
        log.warning("call %s: hand-off context not loaded (%s)", request.call_uuid, type(exc).__name__)
    return resume
