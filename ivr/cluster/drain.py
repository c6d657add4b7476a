"""What a call still on the line at the drain deadline gets: the queue it would be routed to, or a goodbye.

How this works: the hotline caller hears the transfer notice and goes to the queue the call itself would
reach. A queue the bot already decided and told the caller about (a pending callback offer after a
long-wait estimate) is kept, with its priority; otherwise the router is asked for the caller's language,
intent and tier now, as the bot would at a transfer. A queue outside its hours is not one the bot would
send anybody to (it offers a callback instead, which a draining worker cannot wait for): such a call goes
to the fallback queue, as it does with no queue configuration. A survey call just ends with the goodbye.

`drain_sessions` is the drain itself, used by `IvrService.drain` (SIGTERM: the other workers take the new
calls) and by `IvrService.stop` (no grace: each call still running is handed over at once), so a stop
never drops a caller in silence.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ivr.bot import Action, Hangup, Transfer
from ivr.prompts import GOODBYE, TRANSFER_NOTICE
from ivr.routing import Router, RouteRequest
from ivr.vocabulary import TransferReason

if TYPE_CHECKING:
    from ivr.session import CallSession

log = logging.getLogger("ivr.cluster")

DRAINING = TransferReason.WORKER_DRAINING
HANDOVER_GRACE_SECONDS = 30.0  # for the notice after the turn in progress; then stop() ends what is left


async def drain_sessions(
    sessions: Mapping[uuid.UUID, CallSession],
    idle: asyncio.Event,
    router: Router,
    fallback_queue: str,
    seconds: float,
    grace: float = HANDOVER_GRACE_SECONDS,
) -> None:
    """Give the calls `seconds` to end, hand over the rest, and wait up to `grace` for them to go."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(idle.wait(), seconds)
    if not sessions:
        return
    log.warning("drain: %d calls still running after %.0fs: handing over", len(sessions), seconds)
    for session in list(sessions.values()):
        try:
            action = handover_action(session, router, fallback_queue)
        except Exception:  # one call's routing or notice must not keep the others on a stopping worker
            log.exception("drain: no hand-over for call %s: the fallback queue", session.call_uuid)
            action = Transfer(queue=fallback_queue, reason=DRAINING, notice=TRANSFER_NOTICE)
        session.hand_over(action)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(idle.wait(), grace)


def handover_action(session: CallSession, router: Router, fallback_queue: str) -> Action:
    """The transfer (hotline) or goodbye (survey) that ends a call still running at the drain deadline."""
    if session.settings.uuid_variable != "IVR_CALL_UUID":
        return Hangup(goodbye=GOODBYE, reason=DRAINING)
    queue, priority, skill = _handover(session.bot, session.channel.env, router, fallback_queue)
    meta = session._call_meta() or {}
    in_language = getattr(session.bot, "handover_notice", None)  # flows speak the caller's language
    return Transfer(
        queue=queue,
        reason=DRAINING,
        notice=in_language(DRAINING, skill) if callable(in_language) else TRANSFER_NOTICE,
        priority=priority,
        summary="The bot's worker restarted during the call.",
        context={**meta, "reason": DRAINING},
    )


def handover_route(bot: Any, env: Any, router: Router, fallback_queue: str) -> tuple[str, int]:
    """(queue, priority): the one the bot already announced, else routing for the caller's language."""
    queue, priority, _skill = _handover(bot, env, router, fallback_queue)
    return queue, priority


def _handover(bot: Any, env: Any, router: Router, fallback_queue: str) -> tuple[str, int, str | None]:
    """(queue, priority, skill named in the notice; None: the bot's own choice) of a drained call."""
    announced = getattr(bot, "announced_route", None)
    decided = announced() if announced is not None else None
    if decided is not None:
        return *decided, None
    language = getattr(bot, "language", None) or env.language or "en"
    tier = getattr(bot, "tier", None)
    request = RouteRequest(
        reason=DRAINING,
        language=language,
        intent=getattr(bot, "intent", None),
        caller_number=env.caller_number,
        tier=tier,
    )
    decision = router.route(request)
    if not decision.is_open:
        return fallback_queue, decision.priority, None
    return decision.queue, decision.priority, decision.skill
