"""The desktop web application: middlewares, login, pages, the WebSocket, and every feature's routes."""

from __future__ import annotations

import asyncio
import importlib
import logging
import math
import secrets
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web

from ivr.netguard import FdBudget, GuardedListener, Limits
from ivr.storage.web_sessions import SessionStore, new_session_id, session_key
from ivr.web.auth import (
    AUTH,
    SESSION,
    USER,
    AuthSettings,
    Session,
    SessionCodec,
    clear_session_cookies,
    csrf_ok,
    current_session,
    current_user,
    dummy_verify,
    ensure_csrf_cookie,
    is_api,
    json_error,
    password_tag,
    require_role,
    set_session_cookies,
    verify_password,
)
from ivr.web.deps import DEPS, HUB, WebDeps
from ivr.web.hub import Hub, Peer
from ivr.web.login_guard import Refusal, Ticket, client_address, parse_networks
from ivr.web.session_watch import REVALIDATE_S, SESSIONS, sessions_of, watch_sessions

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
FEATURES = ["ivr.web.agent_api", "ivr.web.supervisor", "ivr.web.admin", "ivr.web.metrics_view"]
FEATURES.append("ivr.web.health")  # /healthz, /readyz: no login
HOME_BY_ROLE = {"agent": "/agent", "supervisor": "/supervisor", "admin": "/admin"}
MAX_BODY_BYTES = 64 * 1024
KEEPALIVE_S = 15.0
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


@web.middleware
async def security_headers(request: web.Request, handler: web.Handler) -> web.StreamResponse:
    """Every response (errors included) forbids framing, sniffing and foreign scripts."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        exc.headers.update(SECURITY_HEADERS)
        raise
    if not response.prepared:
        response.headers.update(SECURITY_HEADERS)
        if is_api(request):
            response.headers["Cache-Control"] = "no-store"
    return response


@web.middleware
async def authenticate(request: web.Request, handler: web.Handler) -> web.StreamResponse:
    """Resolve the session's user (dropping stale sessions) and refuse non-GET requests without CSRF."""
    settings = request.app[AUTH]
    session = None
    if cookie := request.cookies.get("ivr_session"):
        session = settings.codec.decode(cookie, now=settings.clock())
    if session is not None and session.sid:
        # The server-side record decides: logout, a disabled user or a new password end it everywhere.
        now = _utc(settings.clock())
        user = await sessions_of(request.app).user_of(session.sid, now)
        tag = password_tag(user.password_hash) if user is not None else None
        if user is None or user.id != session.user_id or tag != session.password_tag:
            session = None
        else:
            request[USER], request[SESSION] = user, session
    elif session is not None:
        session = None  # a cookie from before server-side sessions: log in again
    if not csrf_ok(request, session):
        raise json_error(403, "missing or wrong CSRF token")
    return await handler(request)


def serve_page(name: str) -> web.FileResponse:
    """One of the static HTML pages (they hold no data: scripts fetch it as JSON)."""
    return web.FileResponse(STATIC_DIR / name, headers={"Cache-Control": "no-store"})


async def home(request: web.Request) -> web.StreamResponse:
    """Send the user to the page of their role, or to the login page."""
    user = current_user(request)
    raise web.HTTPFound(HOME_BY_ROLE.get(user.role, "/login"))


async def login_page(request: web.Request) -> web.StreamResponse:
    """The login form, with a pre-login CSRF cookie."""
    response = serve_page("login.html")
    ensure_csrf_cookie(request, response, request.app[AUTH])
    return response


async def login(request: web.Request) -> web.StreamResponse:
    """POST {username, password}: start a session, or 401 (429 after too many failures)."""
    settings = request.app[AUTH]
    body = await read_json(request)
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        raise json_error(400, "username and password are required")
    address = client_address(request.remote, request.headers.get("X-Forwarded-For"), settings.trusted_proxies)
    now = settings.clock()
    # Counted before the password is checked, with no await in between (see ivr.web.login_guard).
    ticket = settings.guard.begin(username, address, now)
    if isinstance(ticket, Refusal):
        log.warning("desktop: login for %r from %s refused: %s", username[:64], address, ticket.reason)
        error = json_error(429, "too many login attempts; try again later")
        error.headers["Retry-After"] = str(max(1, math.ceil(ticket.retry_after)))
        raise error
    await refuse_if_locked_elsewhere(request.app, ticket, username)
    try:
        async with asyncio.timeout(settings.database_deadline_s * 2):
            user = await request.app[DEPS].desk.user_by_name(username)
    except Exception as exc:  # down or hung: a clear answer, not a 500 or a hanging page
        log.warning("desktop: login of %r: users unreadable: %s", username[:64], type(exc).__name__)
        raise json_error(503, "the database is unavailable; try again shortly") from None
    if user is None or user.disabled:
        ok = await asyncio.to_thread(dummy_verify, password)
    else:
        ok = await asyncio.to_thread(verify_password, password, user.password_hash)
    if not ok or user is None:
        raise json_error(401, "wrong username or password")
    settings.guard.succeeded(ticket)
    await forget_attempts(request.app, ticket)
    sid = new_session_id()
    expires = now + settings.session_ttl_s
    try:
        await sessions_of(request.app).create(sid, user.id, now=_utc(now), expires=_utc(expires))
    except Exception as exc:  # the database is down: no session can be recorded, say so plainly
        log.warning("desktop: login of %s not recorded: %s", user.username, type(exc).__name__)
        raise json_error(503, "the database is unavailable; try again shortly") from None
    session = Session(user.id, secrets.token_urlsafe(24), expires, password_tag(user.password_hash), sid)
    response = web.json_response({"ok": True, "role": user.role, "home": HOME_BY_ROLE[user.role]})
    set_session_cookies(response, settings, session)
    return response


async def refuse_if_locked_elsewhere(app: web.Application, ticket: Ticket, username: str) -> None:
    """Record the attempt for every worker, then 429 if the username had too many on all of them together."""
    guard, now = app[AUTH].guard, ticket.at
    store, since = sessions_of(app), _utc(ticket.at - app[AUTH].guard.window_s)
    try:  # recorded before counting: concurrent guesses on several workers each see the others'
        async with asyncio.timeout(app[AUTH].database_deadline_s):
            await store.login_attempted(ticket.username, ticket.address, _utc(now), since)
            count, oldest = await store.recent_attempts(ticket.username, since)
    except Exception as exc:  # the database is down or hung: this worker's own limit still holds
        log.warning("desktop: shared login attempts unavailable (%s): own limit only", type(exc).__name__)
        return
    if count > guard.max_per_user:
        log.warning("desktop: login for %r refused: %d attempts on all workers", username[:64], count)
        error = json_error(429, "too many login attempts; try again later")
        wait = guard.window_s - (now - oldest.timestamp()) if oldest is not None else guard.window_s
        error.headers["Retry-After"] = str(max(1, math.ceil(wait)))
        raise error


async def forget_attempts(app: web.Application, ticket: Ticket) -> None:
    """The right password: the username's shared attempts go (every worker sees it)."""
    try:
        async with asyncio.timeout(app[AUTH].database_deadline_s):
            await sessions_of(app).login_succeeded(
                ticket.username, before=_utc(ticket.at - app[AUTH].guard.window_s)
            )
    except Exception as exc:  # kept: they age out of the window
        log.warning("desktop: shared login attempts not cleared: %s", type(exc).__name__)


def _utc(seconds: float) -> datetime:
    """Epoch seconds as an aware UTC datetime (what storage takes)."""
    return datetime.fromtimestamp(seconds, UTC)


async def logout(request: web.Request) -> web.StreamResponse:
    """End the browser's session everywhere: the record goes, and so do its open WebSockets."""
    session = current_session(request)
    if session is not None:
        await sessions_of(request.app).end(session.sid)
        await request.app[HUB].close_sessions({session_key(session.sid)}, "logged out")
    response = web.json_response({"ok": True})
    clear_session_cookies(response)
    return response


@require_role("agent", "supervisor", "admin")
async def me(request: web.Request) -> web.StreamResponse:
    """Who is logged in."""
    user = current_user(request)
    return web.json_response(
        {
            "username": user.username,
            "display_name": user.display_name,
            "role": user.role,
            "agent_id": user.agent_id,
        }
    )


@require_role("agent", "supervisor", "admin")
async def agent_page(request: web.Request) -> web.StreamResponse:
    """The agent desktop page."""
    return serve_page("agent.html")


@require_role("agent", "supervisor", "admin")
async def websocket(request: web.Request) -> web.StreamResponse:
    """The browser's one WebSocket; refused from a foreign origin (cross-site WebSocket hijacking)."""
    origin = request.headers.get("Origin")
    if origin is not None and urlsplit(origin).netloc != request.host:
        raise json_error(403, "foreign origin")
    user = current_user(request)
    hello = {
        "type": "hello",
        "user": {"username": user.username, "display_name": user.display_name, "role": user.role},
        "agent_id": user.agent_id,
    }
    session = current_session(request)
    peer = Peer(user.id, user.role, user.agent_id, session_key(session.sid) if session else None)
    return await request.app[HUB].serve(request, peer, hello)


async def read_json(request: web.Request) -> dict:
    """The JSON object body of a request; 400 for anything else."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise json_error(400, "body too large")
    try:
        body = await request.json()
    except ValueError:
        raise json_error(400, "body must be JSON") from None
    if not isinstance(body, dict):
        raise json_error(400, "body must be a JSON object")
    return body


def _feature_modules() -> list:
    """Import every feature module."""
    return [importlib.import_module(name) for name in FEATURES]


def make_app(
    deps: WebDeps,
    *,
    secret: bytes,
    secure_cookies: bool = False,
    trusted_proxies: tuple[str, ...] = (),
    revalidate_s: float = REVALIDATE_S,
    database_deadline_s: float = 1.0,
) -> web.Application:
    """The desktop application with every feature mounted."""
    from ivr.web import screenpop

    app = web.Application(middlewares=[security_headers, authenticate], client_max_size=MAX_BODY_BYTES)
    app[DEPS] = deps
    app[HUB] = Hub(tasks=deps.tasks)
    app[AUTH] = AuthSettings(
        SessionCodec(secret),
        secure_cookies=secure_cookies,
        trusted_proxies=parse_networks(trusted_proxies),
        database_deadline_s=database_deadline_s,
    )
    app[SESSIONS] = SessionStore(deps.store.session_factory)
    watch_sessions(app, revalidate_s)
    app.router.add_get("/", home)
    app.router.add_get("/login", login_page)
    app.router.add_post("/api/login", login)
    app.router.add_post("/api/logout", logout)
    app.router.add_get("/api/me", me)
    app.router.add_get("/agent", agent_page)
    app.router.add_get("/ws", websocket)
    app.router.add_static("/static/", STATIC_DIR, follow_symlinks=False)
    screenpop.add_routes(app)
    for module in _feature_modules():
        module.add_routes(app)
    app.on_shutdown.append(_close_sockets)
    return app


async def _close_sockets(app: web.Application) -> None:
    """Close browsers' WebSockets so shutdown does not wait for them."""
    await app[HUB].close_all()


class WebServer:
    """Runs a desktop application on a TCP port, within connection limits (see ivr.netguard)."""

    def __init__(self, app: web.Application, *, limits: Limits | None = None, budget: FdBudget | None = None):
        self.app = app
        self._limits = limits or Limits(max_connections=256, max_per_peer=64, reserve_fds=64)
        self._budget = budget
        self._runner: web.AppRunner | None = None
        self._listener: GuardedListener | None = None

    async def start(self, host: str, port: int) -> None:
        """Listen on host:port (0 picks a free port)."""
        # An idle connection (no request yet, or between requests) is closed after KEEPALIVE_S.
        self._runner = web.AppRunner(
            self.app, access_log=None, shutdown_timeout=2.0, keepalive_timeout=KEEPALIVE_S
        )
        await self._runner.setup()
        budget = self._budget or FdBudget()
        self._listener = GuardedListener("desktop", self._runner.server, self._limits, budget)
        await self._listener.start(host, port)

    @property
    def port(self) -> int:
        """The port listened on."""
        assert self._listener is not None, "start() first"
        return self._listener.port

    async def stop(self) -> None:
        """Stop listening and close every connection."""
        if self._listener is not None:
            await self._listener.close()
            self._listener = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
