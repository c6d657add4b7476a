"""`/healthz` (the process answers) and `/readyz` (this worker can take a call now): no login, no secrets.

Both are plain GETs for container health checks and load balancers; `/readyz` answers 503 with the
failing checks while the worker drains, the database is gone with a full outbox, AMI is down, or a
speech worker cannot run (see ivr.health).
"""

from __future__ import annotations

from aiohttp import web

from ivr.web.deps import DEPS

NO_STORE = {"Cache-Control": "no-store"}


async def healthz(request: web.Request) -> web.StreamResponse:
    """The process is up and its event loop answers."""
    return web.json_response({"status": "ok"}, headers=NO_STORE)


async def readyz(request: web.Request) -> web.StreamResponse:
    """200 when the worker can take a call, else 503; the body lists every check."""
    probe = request.app[DEPS].readiness
    if probe is None:
        return web.json_response({"ready": True, "checks": {}}, headers=NO_STORE)
    report = await probe()
    return web.json_response(report, status=200 if report["ready"] else 503, headers=NO_STORE)


def add_routes(app: web.Application) -> None:
    """Mount the two probes."""
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
