"""A hung database at login: the agent gets a clear answer in seconds, not a page that hangs (issue 14)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.engine import make_url

from tests.integration.storage.tcp_gate import TcpGate
from tests.integration.web_core.conftest import login, open_desk
from tests.integration.web_core.seed import add_user
from tests.support.postgres import free_port

# Generous for a loaded machine; the login's own deadlines add up to a few seconds, and without them a
# login on a hung server never returns.
ANSWER_DEADLINE_S = 60


@pytest.fixture
async def gate(fresh_postgres_url: str) -> AsyncIterator[TcpGate]:
    """An open gate in front of a fresh PostgreSQL database."""
    target = make_url(fresh_postgres_url)
    tcp = TcpGate(free_port(), target.host or "127.0.0.1", target.port or 5432)
    await tcp.open()
    yield tcp
    tcp.release()
    await tcp.close()


@pytest.mark.postgres
async def test_a_login_while_the_database_hangs_is_told_so_and_works_once_it_answers(
    gate: TcpGate, fresh_postgres_url: str
) -> None:
    url = make_url(fresh_postgres_url).set(host="127.0.0.1", port=gate.port)
    async with open_desk(url.render_as_string(hide_password=False)) as env:
        await add_user(env.desk, "alice", "agent", "A1")
        gate.hold()
        hung = await asyncio.wait_for(login(env.client, "alice"), ANSWER_DEADLINE_S)
        assert hung == {"status": 503, "body": {"error": "the database is unavailable; try again shortly"}}
        gate.release()
        back = await asyncio.wait_for(login(env.client, "alice"), ANSWER_DEADLINE_S)
        assert back["status"] == 200 and back["body"]["role"] == "agent", back
