"""The agent's JSON API: status, the current pop, dispositions, back to the bot, knowledge drafts."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from ivr.storage.desk import DeskError, User
from ivr.web.app import read_json
from ivr.web.auth import current_user, json_error, require_role
from ivr.web.deps import DEPS, HUB
from ivr.web.screenpop import SCREENPOP
from queues.call_control import CallControlError

log = logging.getLogger(__name__)

CATEGORIES = ("billing", "technical", "account", "sales", "complaint", "information", "other")
STATUSES = ("ready", "paused", "logged_out")
RETURN_MODES = ("self-service", "survey")
MAX_NOTES, MAX_QUESTION, MAX_ANSWER, MAX_REASON = 4000, 500, 4000, 64

AGENT_STATUS: web.AppKey[dict[str, dict[str, Any]]] = web.AppKey("agent_status", dict)


def _now() -> datetime:
    """The time a desktop action is recorded at."""
    return datetime.now(UTC)


def _text(body: dict[str, Any], key: str, limit: int, *, required: bool = True) -> str:
    """A string field of a request body, trimmed and bounded; 400 when missing or too long."""
    value = body.get(key, "")
    if not isinstance(value, str):
        raise json_error(400, f"{key} must be a string")
    value = value.strip()
    if required and not value:
        raise json_error(400, f"{key} is required")
    if len(value) > limit:
        raise json_error(400, f"{key} is longer than {limit} characters")
    return value


def _agent_id(user: User) -> str:
    """The agent id of an agent user; 403 for a user who is not an agent."""
    if user.agent_id is None:
        raise json_error(403, "this user has no agent id")
    return user.agent_id


async def _may_act_on(request: web.Request, user: User, call_uuid: str) -> None:
    """Agents act on calls popped to them or handed to their interface; supervisors on any."""
    if user.role in ("supervisor", "admin"):
        return
    agent_id = _agent_id(user)
    if request.app[SCREENPOP].popped_to(agent_id, call_uuid):
        return
    interfaces = _interfaces(request, agent_id)
    if interfaces and await request.app[DEPS].desk.agent_handled(call_uuid, interfaces):
        return
    raise json_error(403, "this call was not handed to you")


def _interfaces(request: web.Request, agent_id: str | None) -> list[str]:
    """The agent's Asterisk interface as queue events name it: as configured, and as a Local `/n` member."""
    interface = request.app[DEPS].interface_of(agent_id) if agent_id else None
    return [interface, f"{interface}/n"] if interface else []


async def _call_action(request: web.Request) -> tuple[User, str, dict[str, Any]]:
    """The user, the call they act on (403 unless they may) and the JSON body of a call action."""
    user = current_user(request)
    call_uuid = request.match_info["call_uuid"]
    await _may_act_on(request, user, call_uuid)
    return user, call_uuid, await read_json(request)


@require_role("agent", "supervisor", "admin")
async def get_status(request: web.Request) -> web.StreamResponse:
    """The agent's status, as last set on this desktop (or as Asterisk's queues have it)."""
    agent_id = _agent_id(current_user(request))
    return web.json_response(_known_status(request, agent_id))


@require_role("agent", "supervisor", "admin")
async def set_status(request: web.Request) -> web.StreamResponse:
    """POST {status: ready|paused|logged_out, reason}: log in, pause, resume or log out of the queues."""
    user = current_user(request)
    agent_id = _agent_id(user)
    body = await read_json(request)
    status = body.get("status")
    if status not in STATUSES:
        raise json_error(400, f"status must be one of {', '.join(STATUSES)}")
    reason = _text(body, "reason", MAX_REASON, required=False) if status == "paused" else ""
    previous = _known_status(request, agent_id)["status"]
    applied = await _apply_status(request, agent_id, previous, status, reason)
    entry = {"status": status, "reason": reason}
    request.app[AGENT_STATUS][agent_id] = entry
    message = {"type": "status", "agent_id": agent_id, **entry}
    request.app[HUB].send_to_agent(agent_id, message)
    request.app[HUB].broadcast("supervisor", message)
    return web.json_response({**entry, "applied": applied})


def _known_status(request: web.Request, agent_id: str | None) -> dict[str, str]:
    """As last set on this worker's desktop; else (the browser came from another worker, or this one
    restarted) as Asterisk's queues have it, so a paused agent who clicks Ready is really unpaused."""
    status = request.app[AGENT_STATUS].get(agent_id) if agent_id else None
    live = request.app[DEPS].live
    if status is None and live is not None and hasattr(live, "presence_of"):
        status = live.presence_of(_interfaces(request, agent_id))
    return status or {"status": "logged_out", "reason": ""}


async def _apply_status(request: web.Request, agent_id: str, previous: str, status: str, reason: str) -> bool:
    """Tell the queues; False when no presence service is wired (the status is only shown)."""
    presence = request.app[DEPS].presence
    if presence is None:
        return False
    try:
        if status == "ready":
            results = [
                await (presence.resume(agent_id) if previous == "paused" else presence.login(agent_id))
            ]
        elif status == "paused":
            results = [await presence.login(agent_id)] if previous == "logged_out" else []
            results.append(await presence.pause(agent_id, reason or "paused"))
        else:
            results = [await presence.logout(agent_id)]
    except Exception as exc:
        log.warning("desktop: status %s for agent %s failed: %s", status, agent_id, exc)
        raise json_error(409, f"the queues refused: {exc}") from None
    # queues.presence returns a PresenceResult (ok, errors) instead of raising.
    refused = [r for r in results if getattr(r, "ok", True) is False]
    if refused:
        raise json_error(409, f"the queues refused: {getattr(refused[0], 'errors', '')}")
    return True


@require_role("agent", "supervisor", "admin")
async def get_current(request: web.Request) -> web.StreamResponse:
    """The agent's current screen-pop (also pushed over the WebSocket), or null."""
    agent_id = current_user(request).agent_id
    return web.json_response(request.app[HUB].current(agent_id) if agent_id else None)


@require_role("agent", "supervisor", "admin")
async def dismiss(request: web.Request) -> web.StreamResponse:
    """The agent closes the pop of a finished call."""
    agent_id = _agent_id(current_user(request))
    request.app[HUB].set_current(agent_id, None)
    return web.json_response({"ok": True})


@require_role("agent", "supervisor", "admin")
async def recent_calls(request: web.Request) -> web.StreamResponse:
    """The latest calls handed to this agent or disposed by them."""
    user = current_user(request)
    interfaces = _interfaces(request, user.agent_id)
    calls = await request.app[DEPS].desk.calls_of_agent(interfaces=interfaces, user_id=user.id)
    return web.json_response({"calls": calls})


async def categories(request: web.Request) -> web.StreamResponse:
    """The disposition categories."""
    current_user(request)
    return web.json_response({"categories": list(CATEGORIES)})


@require_role("agent", "supervisor", "admin")
async def disposition(request: web.Request) -> web.StreamResponse:
    """POST {category, notes, resolved}: save the agent's disposition of a call."""
    user, call_uuid, body = await _call_action(request)
    category = body.get("category")
    if category not in CATEGORIES:
        raise json_error(400, f"category must be one of {', '.join(CATEGORIES)}")
    resolved = body.get("resolved")
    if not isinstance(resolved, bool):
        raise json_error(400, "resolved must be true or false")
    notes = _text(body, "notes", MAX_NOTES, required=False)
    try:
        await request.app[DEPS].desk.add_disposition(
            call_uuid=call_uuid,
            user_id=user.id,
            category=category,
            notes=notes,
            resolved=resolved,
            now=_now(),
        )
    except DeskError as exc:
        raise json_error(404, str(exc)) from None
    return web.json_response({"ok": True})


@require_role("agent", "supervisor", "admin")
async def back_to_bot(request: web.Request) -> web.StreamResponse:
    """POST {mode: self-service|survey}: send the caller back into the bot (queues' call control)."""
    _, call_uuid, body = await _call_action(request)
    mode = body.get("mode", "survey")
    if mode not in RETURN_MODES:
        raise json_error(400, f"mode must be one of {', '.join(RETURN_MODES)}")
    deps = request.app[DEPS]
    channel = await deps.desk.call_channel(call_uuid)
    if channel is None:
        raise json_error(404, "no such call")
    if deps.calls is None:
        raise json_error(409, "no AMI connection is configured")
    try:
        await deps.calls.return_to_bot(channel, mode)
    except CallControlError as exc:  # the reason is written for the agent
        raise json_error(409, str(exc)) from None
    return web.json_response({"ok": True, "mode": mode})


@require_role("agent", "supervisor", "admin")
async def knowledge_draft(request: web.Request) -> web.StreamResponse:
    """POST {question, answer, language}: propose the call's resolution as a knowledge-base draft."""
    user, call_uuid, body = await _call_action(request)
    question = _text(body, "question", MAX_QUESTION)
    answer = _text(body, "answer", MAX_ANSWER)
    language = _text(body, "language", 16, required=False) or "en"
    deps = request.app[DEPS]
    if await deps.desk.call_channel(call_uuid) is None:
        raise json_error(404, "no such call")
    entry_id = await deps.desk.add_knowledge_draft(
        language=language,
        question=question,
        answer=answer,
        now=_now(),
        source_call_uuid=call_uuid,
        created_by=user.id,
    )
    return web.json_response({"ok": True, "id": entry_id})


def add_routes(app: web.Application) -> None:
    """Mount the agent API."""
    app[AGENT_STATUS] = {}
    app.router.add_get("/api/agent/status", get_status)
    app.router.add_post("/api/agent/status", set_status)
    app.router.add_get("/api/agent/current", get_current)
    app.router.add_post("/api/agent/dismiss", dismiss)
    app.router.add_get("/api/agent/calls", recent_calls)
    app.router.add_get("/api/dispositions/categories", categories)
    app.router.add_post("/api/calls/{call_uuid}/disposition", disposition)
    app.router.add_post("/api/calls/{call_uuid}/back-to-bot", back_to_bot)
    app.router.add_post("/api/calls/{call_uuid}/knowledge-draft", knowledge_draft)
