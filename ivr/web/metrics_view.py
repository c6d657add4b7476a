"""GET /metrics for Prometheus: no login (scrapers have none), optional bearer token.

Firewall the desktop port so that only the Prometheus server reaches /metrics, or set the environment
variable IVR_METRICS_TOKEN and configure the scrape job with `authorization: {credentials: <token>}`.
When deps.metrics is not wired the endpoint answers 404.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Mapping

from aiohttp import web

from ivr.web.deps import DEPS

TOKEN_ENV = "IVR_METRICS_TOKEN"
METRICS_TOKEN = web.AppKey("metrics_token", str)


def add_routes(app: web.Application, env: Mapping[str, str] | None = None) -> None:
    """Mount GET /metrics; the token is read once, at start."""
    app[METRICS_TOKEN] = (env if env is not None else os.environ).get(TOKEN_ENV, "")
    app.router.add_get("/metrics", metrics)


def authorized(header: str | None, token: str) -> bool:
    """True without a configured token, else only for `Bearer <token>` (constant-time compare)."""
    if not token:
        return True
    if not header or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header.removeprefix("Bearer ").encode(), token.encode())


async def metrics(request: web.Request) -> web.StreamResponse:
    """The exposition text of the service's Metrics."""
    if not authorized(request.headers.get("Authorization"), request.app[METRICS_TOKEN]):
        raise web.HTTPUnauthorized(
            text="bearer token required", headers={"WWW-Authenticate": 'Bearer realm="metrics"'}
        )
    source = request.app[DEPS].metrics
    if source is None or not hasattr(source, "render"):
        raise web.HTTPNotFound(text="metrics are not enabled")
    body, content_type = source.render()
    response = web.Response(body=body, headers={"Cache-Control": "no-store"})
    # aiohttp refuses a content_type with parameters; Prometheus' carries version and charset.
    response.headers["Content-Type"] = content_type
    return response
