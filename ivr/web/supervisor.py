"""Supervisor view: the hotline live (in the bot, waiting, with agents, queues, agents) and the day's figures.

How this works: GET /api/supervisor/live builds one snapshot from three sources: the calls in the bot
(deps.active_calls, from the service), the live queue state (deps.live.snapshot(now), from AMI) and the
open hand-offs in the database (answered ones are "with agents"; unanswered ones are "waiting" when no
live queue state is wired). A push task owned by the app rebuilds the snapshot at once after every event
of the ACD event stream (deps.queue_events) or `poke(app)`, and every PUSH_SECONDS for the calls in the bot
(which have no event stream), and broadcasts it to supervisors and admins over their WebSocket only when it
changed. GET /api/supervisor/figures and /api/supervisor/calls read the day's figures and hand-offs.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web

from ivr.storage.figures import day_calls, day_figures, open_transfers
from ivr.web.app import serve_page
from ivr.web.auth import json_error, require_role
from ivr.web.deps import DEPS, HUB, WebDeps

log = logging.getLogger(__name__)

ROLES = ("supervisor", "admin")
PUSH_SECONDS = 2.0
OPEN_WINDOW = timedelta(hours=12)  # a hand-off older than this with no end stamp is stale, not live
MAX_IN_BOT = 500


@dataclasses.dataclass
class _Push:
    """The push task's state: wake-up event and the last snapshot sent."""

    wake: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)
    last: str | None = None
    task: asyncio.Task[None] | None = None


PUSH = web.AppKey("supervisor_push", _Push)


def add_routes(app: web.Application) -> None:
    """Mount the supervisor page, its APIs and its push task."""
    app.router.add_get("/supervisor", page)
    app.router.add_get("/api/supervisor/live", live)
    app.router.add_get("/api/supervisor/figures", figures)
    app.router.add_get("/api/supervisor/calls", calls)
    app[PUSH] = _Push()
    app.cleanup_ctx.append(_push_context)


def poke(app: web.Application) -> None:
    """Ask for a snapshot now (call it on AMI queue events, call start and end)."""
    app[PUSH].wake.set()


@require_role(*ROLES)
async def page(request: web.Request) -> web.StreamResponse:
    """The supervisor page."""
    return serve_page("supervisor.html")


@require_role(*ROLES)
async def live(request: web.Request) -> web.StreamResponse:
    """The hotline right now."""
    return web.json_response(await live_snapshot(request.app[DEPS], datetime.now(UTC)))


@require_role(*ROLES)
async def figures(request: web.Request) -> web.StreamResponse:
    """The figures of ?day=YYYY-MM-DD (default today) in ?tz=Area/City (default UTC)."""
    day, tz = _day_and_zone(request)
    result = await day_figures(request.app[DEPS].store.session_factory, day, tz)
    return web.json_response(result.as_dict())


@require_role(*ROLES)
async def calls(request: web.Request) -> web.StreamResponse:
    """The day's hand-offs with timings and survey scores, newest first."""
    day, tz = _day_and_zone(request)
    rows = await day_calls(request.app[DEPS].store.session_factory, day, tz)
    return web.json_response({"day": day.isoformat(), "calls": rows})


def _day_and_zone(request: web.Request) -> tuple[date, ZoneInfo]:
    """Parse ?day and ?tz; 400 for garbage."""
    tz_name = request.query.get("tz", "UTC")
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise json_error(400, "tz must be an IANA time zone such as Europe/Paris") from None
    raw = request.query.get("day")
    if raw is None:
        return datetime.now(tz).date(), tz
    try:
        return date.fromisoformat(raw), tz
    except ValueError:
        raise json_error(400, "day must be YYYY-MM-DD") from None


# -- the snapshot --------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """Dataclasses (QueueView...) and datetimes as JSON-able values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def queue_rows(queues: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One summary row per queue."""
    return [
        {
            "name": q.get("name"),
            "waiting": len(q.get("callers") or ()),
            "logged_in": q.get("logged_in", 0),
            "available": q.get("available", 0),
            "longest_wait": q.get("longest_wait", 0),
            "completed": q.get("completed", 0),
            "abandoned": q.get("abandoned", 0),
        }
        for q in queues
    ]


def agent_rows(queues: list[dict[str, Any]], agent_of: Callable[[str], str | None]) -> list[dict[str, Any]]:
    """Every member once, with the queues they serve (the most telling state wins across queues)."""
    rank = {"talking": 0, "ringing": 1, "paused": 2, "ready": 3, "unavailable": 4}
    agents: dict[str, dict[str, Any]] = {}
    for q in queues:
        for m in q.get("members") or ():
            interface = m.get("interface") or ""
            row = agents.setdefault(
                interface,
                {"interface": interface, "name": m.get("name"), "agent_id": agent_of(interface),
                 "state": m.get("state"), "paused_reason": m.get("paused_reason", ""), "queues": [],
                 "calls_taken": 0},
            )  # fmt: skip
            row["queues"].append(q.get("name"))
            row["calls_taken"] += int(m.get("calls_taken") or 0)
            if rank.get(m.get("state"), 9) < rank.get(row["state"], 9):
                row["state"] = m.get("state")
    return sorted(agents.values(), key=lambda a: (str(a["name"]), a["interface"]))


def waiting_rows(queues: list[dict[str, Any]], known: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Callers waiting in queues, longest wait first, with what the database knows of their call."""
    rows = []
    for q in queues:
        for c in q.get("callers") or ():
            facts = known.get(c.get("call_uuid") or "", {})
            rows.append({**facts, **{k: v for k, v in c.items() if v is not None}, "queue": q.get("name")})
    return sorted(rows, key=lambda r: -float(r.get("waited_seconds") or 0))


async def live_snapshot(deps: WebDeps, now: datetime) -> dict[str, Any]:
    """Calls in the bot, waiting and with agents; queues and agents (JSON-able)."""
    try:
        in_bot = _plain(list(deps.active_calls())[:MAX_IN_BOT])
    except Exception:  # the service's view must not take the supervisor page down
        log.exception("supervisor: active_calls failed")
        in_bot = []
    open_ = await open_transfers(deps.store.session_factory, now - OPEN_WINDOW)
    queues: list[dict[str, Any]] = []
    if deps.live is not None:
        queues = _plain(deps.live.snapshot(now))
        known = {row["call_uuid"]: row for row in open_["waiting"]}
        waiting = waiting_rows(queues, known)
    else:
        waiting = open_["waiting"]
    for row in open_["with_agents"]:
        row["agent_id"] = deps.agent_of(row["agent_interface"]) if row.get("agent_interface") else None
    return {
        "at": now.isoformat(),
        "in_bot": in_bot,
        "waiting": waiting,
        "with_agents": open_["with_agents"],
        "queues": queue_rows(queues),
        "agents": agent_rows(queues, deps.agent_of),
        "live_queues": deps.live is not None,
    }


# -- the push task ---------------------------------------------------------------------------------------


def _watchers(app: web.Application) -> bool:
    """True when a supervisor or admin has the desktop open."""
    return any(peer.role in ROLES for peer in app[HUB].peers())


async def push_once(app: web.Application, now: datetime) -> bool:
    """Broadcast the snapshot if it changed since the last one sent; True if sent."""
    state = app[PUSH]
    snapshot = await live_snapshot(app[DEPS], now)
    body = json.dumps({k: v for k, v in snapshot.items() if k != "at"}, sort_keys=True, default=str)
    if body == state.last:
        return False
    state.last = body
    message = {"type": "supervisor", "live": snapshot}
    for role in ROLES:
        app[HUB].broadcast(role, message)
    return True


async def _push_loop(app: web.Application) -> None:
    """Every PUSH_SECONDS, or when poked, push a changed snapshot to the watchers."""
    state = app[PUSH]
    while True:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(state.wake.wait(), PUSH_SECONDS)
        state.wake.clear()
        if not _watchers(app):
            state.last = None  # whoever connects next fetches /live and then gets every change
            continue
        try:
            await push_once(app, datetime.now(UTC))
        except Exception:  # a database hiccup must not end live updates for good
            log.exception("supervisor: live push failed")


async def _push_context(app: web.Application) -> AsyncIterator[None]:
    """Run the push task for the app's lifetime; cancelled on cleanup."""
    state = app[PUSH]
    tasks = app[DEPS].tasks
    state.task = tasks.spawn(_push_loop(app), name="supervisor-push")
    events = app[DEPS].queue_events
    unsubscribe = events.subscribe(lambda _event: poke(app)) if events is not None else None
    yield
    if unsubscribe is not None:
        unsubscribe()
    await tasks.cancel(state.task)
