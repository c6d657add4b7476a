"""GET /metrics: Prometheus text without login, 404 when not wired, bearer token when configured."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient, TestServer

from ivr.metrics import Metrics
from ivr.web.app import make_app
from ivr.web.metrics_view import TOKEN_ENV, authorized
from tests.integration.web_supervision.conftest import SECRET, Site


async def test_not_wired_is_404(site: Site) -> None:
    client = await site.client_as(None)
    assert (await client.get("/metrics")).status == 404


async def test_scraped_without_login(site: Site) -> None:
    site.deps.metrics = metrics = Metrics()
    metrics.call_started()
    metrics.call_ended("transferred", "keypad-0", "support")
    response = await (await site.client_as(None)).get("/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    body = await response.text()
    assert 'ivr_transfers_total{queue="support",reason="keypad-0"} 1.0' in body


async def test_bearer_token(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, "scrape-me")
    site.deps.metrics = Metrics()
    server = TestServer(make_app(site.deps, secret=SECRET))
    async with TestClient(server) as client:
        assert (await client.get("/metrics")).status == 401
        assert (await client.get("/metrics", headers={"Authorization": "Bearer nope"})).status == 401
        ok = await client.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
        assert ok.status == 200 and "ivr_calls_active" in await ok.text()


def test_authorized() -> None:
    assert authorized(None, "")
    assert not authorized(None, "t") and not authorized("Basic t", "t") and authorized("Bearer t", "t")
