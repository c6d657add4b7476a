"""Desktop authentication: scrypt password hashes, signed session cookies, CSRF tokens, roles.

How this works: a successful login sets two cookies. `ivr_session` (HttpOnly, SameSite=Strict) holds
the user id, a CSRF token, an expiry and a tag of the password hash, signed with HMAC-SHA256; a password
change or a disabled account ends every session at once. `ivr_csrf` (readable by our scripts) holds the
same CSRF token, and every non-GET request must echo it in `X-CSRF-Token` (before login, the token of the
`ivr_csrf` cookie that the login page set). The middleware resolves the user for every request; handlers
state who may call them with `@require_role(...)`. Each cookie also names a server-side session record
(ivr.storage.web_sessions) that logout deletes; logins are throttled by ivr.web.login_guard.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from aiohttp import web

from ivr.config import WEB_SECRET_ENV
from ivr.errors import ConfigError
from ivr.storage.desk import User
from ivr.web.login_guard import LoginGuard, Network

log = logging.getLogger(__name__)

SECRET_ENV = WEB_SECRET_ENV
SESSION_COOKIE = "ivr_session"
CSRF_COOKIE = "ivr_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_TTL_S = 12 * 3600
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MAX_PASSWORD_BYTES = 1024
MIN_SECRET_BYTES = 16

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


# -- passwords --------------------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    """URL-safe base64 without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    """Inverse of _b64; ValueError on garbage."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    """The scrypt key of a password (blocking, ~16 MiB, tens of ms: call from a thread in asyncio)."""
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024, dklen=32
    )


def hash_password(password: str) -> str:
    """A self-describing scrypt hash with a random per-user salt: `scrypt$n$r$p$salt$key`."""
    if not password or len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        raise ValueError(f"a password must be 1 to {MAX_PASSWORD_BYTES} bytes")
    salt = secrets.token_bytes(16)
    key = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, stored: str) -> bool:
    """True when the password matches the stored hash (constant-time compare); False for any garbage."""
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt" or len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
            return False
        candidate = _scrypt(password, _unb64(salt), int(n), int(r), int(p))
        return hmac.compare_digest(candidate, _unb64(key))
    except (ValueError, TypeError):
        return False


# A hash to verify against when the username is unknown, so the reply takes as long as for a known one.
_DUMMY_HASH = f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(b'0' * 16)}${_b64(b'0' * 32)}"


def dummy_verify(password: str) -> bool:
    """Spend the time of one verification, always False."""
    verify_password(password, _DUMMY_HASH)
    return False


# -- session cookies ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Session:
    """What a session cookie carries."""

    user_id: int
    csrf: str
    expires: float  # epoch seconds
    password_tag: str
    sid: str = ""  # the server-side session record (ivr.storage.web_sessions); "" is never valid


def password_tag(password_hash: str) -> str:
    """A short tag of the password hash: a new password makes old session cookies invalid."""
    return hashlib.sha256(password_hash.encode("utf-8")).hexdigest()[:16]


class SessionCodec:
    """Signs and checks session cookies with HMAC-SHA256."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < MIN_SECRET_BYTES:
            raise ValueError(f"the web secret must be at least {MIN_SECRET_BYTES} bytes")
        self._key = hashlib.sha256(b"ivr-session\0" + secret).digest()

    def encode(self, session: Session) -> str:
        """The cookie value: base64 JSON payload, a dot, base64 signature."""
        payload = json.dumps(
            {
                "u": session.user_id,
                "c": session.csrf,
                "e": session.expires,
                "p": session.password_tag,
                "s": session.sid,
            },
            separators=(",", ":"),
        ).encode("utf-8")
        body = _b64(payload)
        return f"{body}.{self._sign(body)}"

    def decode(self, value: str, *, now: float) -> Session | None:
        """The session of a cookie value, or None when forged, malformed or expired."""
        if not value.isascii():  # our cookies are base64url: anything else is forged
            return None
        body, _, signature = value.partition(".")
        if not body or not hmac.compare_digest(signature.encode(), self._sign(body).encode()):
            return None
        try:
            data = json.loads(_unb64(body))
            session = Session(
                int(data["u"]), str(data["c"]), float(data["e"]), str(data["p"]), str(data["s"])
            )
        except (ValueError, KeyError, TypeError):
            return None
        return session if session.expires > now else None

    def _sign(self, body: str) -> str:
        """The signature of a payload."""
        return _b64(hmac.new(self._key, body.encode("ascii"), hashlib.sha256).digest())


def check_secret(env: Mapping[str, str] | None = None) -> None:
    """A ConfigError (one clear line at start-up) when IVR_WEB_SECRET is set but too short."""
    size = len((os.environ if env is None else env).get(SECRET_ENV, "").encode("utf-8"))
    if 0 < size < MIN_SECRET_BYTES:
        raise ConfigError(
            "environment",
            SECRET_ENV,
            None,
            f"must be at least {MIN_SECRET_BYTES} bytes (a long random string), not {size}",
        )


def secret_from_env(env: Mapping[str, str] | None = None) -> bytes:
    """IVR_WEB_SECRET, or a random secret (with a warning: sessions end when the service restarts)."""
    check_secret(env)
    value = (os.environ if env is None else env).get(SECRET_ENV, "")
    if value:
        return value.encode("utf-8")
    log.warning("desktop: %s is not set; using a random secret, sessions end at restart", SECRET_ENV)
    return secrets.token_bytes(32)


# -- requests ----------------------------------------------------------------------------------------------


@dataclass
class AuthSettings:
    """The app's authentication state."""

    codec: SessionCodec
    secure_cookies: bool = False
    guard: LoginGuard = field(default_factory=LoginGuard)
    trusted_proxies: tuple[Network, ...] = ()  # X-Forwarded-For is believed from these peers only
    session_ttl_s: float = SESSION_TTL_S
    clock: Callable[[], float] = time.time  # wall clock for session expiry and the login guard
    # how long a login waits on the database for the shared attempt count: a hung one must not hang the page
    database_deadline_s: float = 1.0


AUTH = web.AppKey("auth", AuthSettings)
USER = web.RequestKey("user", User)
SESSION = web.RequestKey("session", Session)


def is_api(request: web.Request) -> bool:
    """API and WebSocket requests get JSON errors; pages get redirects."""
    return request.path.startswith("/api/") or request.path == "/ws"


def json_error(status: int, error: str) -> web.HTTPException:
    """An HTTP error with a small JSON body."""
    classes = {400: web.HTTPBadRequest, 401: web.HTTPUnauthorized, 403: web.HTTPForbidden}
    classes |= {404: web.HTTPNotFound, 409: web.HTTPConflict, 429: web.HTTPTooManyRequests}
    classes |= {503: web.HTTPServiceUnavailable}
    return classes[status](text=json.dumps({"error": error}), content_type="application/json")


def current_user(request: web.Request) -> User:
    """The logged-in user of this request; 401 (or a redirect to /login for pages) when there is none."""
    user = request.get(USER)
    if user is None:
        if is_api(request):
            raise json_error(401, "login required")
        raise web.HTTPFound("/login")
    return user


def current_session(request: web.Request) -> Session | None:
    """The verified session of this request, or None."""
    return request.get(SESSION)


def require_role(*roles: str) -> Callable[[Handler], Handler]:
    """Let a handler run only for a logged-in user with one of these roles (403 for another role)."""

    def decorate(handler: Handler) -> Handler:
        @wraps(handler)
        async def checked(request: web.Request) -> web.StreamResponse:
            user = current_user(request)
            if user.role not in roles:
                if is_api(request):
                    raise json_error(403, "forbidden")
                raise web.HTTPForbidden(text="403: your role may not open this page")
            return await handler(request)

        return checked

    return decorate


def set_session_cookies(response: web.StreamResponse, settings: AuthSettings, session: Session) -> None:
    """Set the signed session cookie and the readable CSRF cookie."""
    max_age = int(settings.session_ttl_s)
    common: dict[str, Any] = {"path": "/", "samesite": "Strict", "secure": settings.secure_cookies}
    response.set_cookie(
        SESSION_COOKIE, settings.codec.encode(session), httponly=True, max_age=max_age, **common
    )
    response.set_cookie(CSRF_COOKIE, session.csrf, httponly=False, max_age=max_age, **common)


def ensure_csrf_cookie(request: web.Request, response: web.StreamResponse, settings: AuthSettings) -> None:
    """Give a browser without one a pre-login CSRF cookie (the login form echoes it)."""
    if not request.cookies.get(CSRF_COOKIE):
        response.set_cookie(
            CSRF_COOKIE,
            secrets.token_urlsafe(24),
            path="/",
            samesite="Strict",
            secure=settings.secure_cookies,
            httponly=False,
        )


def clear_session_cookies(response: web.StreamResponse) -> None:
    """Log the browser out."""
    response.del_cookie(SESSION_COOKIE, path="/")
    response.del_cookie(CSRF_COOKIE, path="/")


def csrf_ok(request: web.Request, session: Session | None) -> bool:
    """A non-GET request must echo the session's CSRF token (before login: the CSRF cookie's)."""
    if request.method in SAFE_METHODS:
        return True
    expected = session.csrf if session is not None else request.cookies.get(CSRF_COOKIE, "")
    given = request.headers.get(CSRF_HEADER, "")
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())
