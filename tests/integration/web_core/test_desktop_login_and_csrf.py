"""Login, session cookies, CSRF refusal, roles, security headers and the login rate limit, over HTTP."""

from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from ivr.web.app import make_app
from ivr.web.auth import hash_password, require_role
from ivr.web.deps import DEPS
from tests.integration.web_core.conftest import SECRET, Desk, csrf_of, login, post
from tests.integration.web_core.seed import add_user


async def test_login_sets_a_signed_httponly_strict_session_and_me_answers(desk_env: Desk) -> None:
    await add_user(desk_env.desk, "alice", "agent", "A1")
    result = await login(desk_env.client, "alice")
    assert result == {"status": 200, "body": {"ok": True, "role": "agent", "home": "/agent"}}
    me = await desk_env.client.get("/api/me")
    assert await me.json() == {
        "username": "alice",
        "display_name": "Alice",
        "role": "agent",
        "agent_id": "A1",
    }
    home = await desk_env.client.get("/", allow_redirects=False)
    assert home.headers["Location"] == "/agent"


async def test_session_cookie_flags(desk_env: Desk) -> None:
    await add_user(desk_env.desk, "alice", "agent", "A1")
    client = desk_env.client
    await client.get("/login")
    response = await client.post(
        "/api/login",
        json={"username": "alice", "password": "correct horse battery"},
        headers={"X-CSRF-Token": csrf_of(client)},
    )
    cookies = response.cookies
    assert cookies["ivr_session"]["httponly"] and cookies["ivr_session"]["samesite"] == "Strict"
    assert not cookies["ivr_csrf"]["httponly"] and cookies["ivr_csrf"]["samesite"] == "Strict"


async def test_a_wrong_password_is_401_and_repeated_failures_lock_the_username(desk_env: Desk) -> None:
    await add_user(desk_env.desk, "alice", "agent", "A1")
    for _ in range(5):
        assert (await login(desk_env.client, "alice", "wrong"))["status"] == 401
    assert (await login(desk_env.client, "nobody", "wrong"))["status"] == 401  # the address is not locked
    assert (await login(desk_env.client, "alice"))["status"] == 429  # alice is, even with her password


async def test_requests_without_the_csrf_token_are_refused(desk_env: Desk) -> None:
    await add_user(desk_env.desk, "alice", "agent", "A1")
    client = desk_env.client
    await client.get("/login")
    bare = await client.post("/api/login", json={"username": "alice", "password": "correct horse battery"})
    assert bare.status == 403
    assert (await login(client, "alice"))["status"] == 200
    no_header = await client.post("/api/agent/status", json={"status": "ready"})
    assert no_header.status == 403 and (await no_header.json())["error"] == "missing or wrong CSRF token"
    wrong = await client.post("/api/agent/status", json={"status": "ready"}, headers={"X-CSRF-Token": "x"})
    assert wrong.status == 403
    assert (await post(client, "/api/agent/status", {"status": "ready"}))[0] == 200


async def test_without_a_session_apis_are_401_and_pages_redirect_to_login(desk_env: Desk) -> None:
    assert (await desk_env.client.get("/api/me")).status == 401
    page = await desk_env.client.get("/agent", allow_redirects=False)
    assert page.status == 302 and page.headers["Location"] == "/login"
    forged = await desk_env.client.get("/api/me", cookies={"ivr_session": "eyJ1IjoxfQ.AAAA"})
    assert forged.status == 401


async def test_disabled_users_and_changed_passwords_end_sessions(desk_env: Desk) -> None:
    await add_user(desk_env.desk, "alice", "agent", "A1")
    assert (await login(desk_env.client, "alice"))["status"] == 200
    await desk_env.desk.set_password("alice", hash_password("a new one"))
    assert (await desk_env.client.get("/api/me")).status == 401
    assert (await login(desk_env.client, "alice", "a new one"))["status"] == 200
    await desk_env.desk.set_disabled("alice")
    assert (await desk_env.client.get("/api/me")).status == 401
    assert (await login(desk_env.client, "alice", "a new one"))["status"] == 401


async def test_every_response_carries_the_security_headers(desk_env: Desk) -> None:
    for path in ("/login", "/static/agent.js", "/api/me"):
        response = await desk_env.client.get(path)
        assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "no-referrer"


async def test_a_websocket_from_a_foreign_origin_is_refused(desk_env: Desk) -> None:
    await add_user(desk_env.desk, "alice", "agent", "A1")
    await login(desk_env.client, "alice")
    response = await desk_env.client.get(
        "/ws", headers={"Origin": "https://evil.example", "Upgrade": "websocket", "Connection": "Upgrade"}
    )
    assert response.status == 403


async def test_require_role_refuses_other_roles_with_403(desk_env: Desk) -> None:
    @require_role("supervisor")
    async def supervisors_only(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = desk_env.client.server.app
    # A second app on the same deps shows the decorator on its own, as the supervision modules use it.
    other = make_app(app[DEPS], secret=SECRET)
    other.router.add_get("/api/only-supervisors", supervisors_only)
    other.router.add_get("/only-supervisors", supervisors_only)
    await add_user(desk_env.desk, "alice", "agent", "A1")
    await add_user(desk_env.desk, "sue", "supervisor")
    async with TestClient(TestServer(other)) as client:
        await login(client, "alice")
        assert (await client.get("/api/only-supervisors")).status == 403
        assert (await client.get("/only-supervisors")).status == 403
        await post(client, "/api/logout", {})
        await login(client, "sue")
        assert (await client.get("/api/only-supervisors")).status == 200
