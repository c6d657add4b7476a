"""`ivr users` against a real SQLite file: add, list, passwd, disable."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import pytest

from ivr.storage.desk import DeskStore
from ivr.storage.store import CallStore
from ivr.web.auth import verify_password
from ivr.web.users_cli import add_arguments, main_users


def _run(url: str, *argv: str) -> int:
    """Parse and run one `ivr users` command line."""
    parser = argparse.ArgumentParser(prog="ivr users")
    add_arguments(parser)
    return main_users(parser.parse_args(list(argv)), database_url=url)


async def _user(url: str, name: str):
    """The stored user."""
    store = await CallStore.open(url)
    try:
        return await DeskStore(store.session_factory).user_by_name(name)
    finally:
        await store.close()


def test_users_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path / 'ivr.db'}"
    monkeypatch.setenv("IVR_NEW_PASSWORD", "first password")
    assert _run(url, "add", "alice", "--role", "agent", "--agent-id", "A1") == 0
    assert _run(url, "add", "alice") == 1
    assert "already exists" in capsys.readouterr().err
    user = asyncio.run(_user(url, "alice"))
    assert (user.role, user.agent_id) == ("agent", "A1")
    assert verify_password("first password", user.password_hash)

    monkeypatch.setenv("IVR_NEW_PASSWORD", "second password")
    assert _run(url, "passwd", "alice") == 0
    assert verify_password("second password", asyncio.run(_user(url, "alice")).password_hash)
    monkeypatch.setenv("IVR_NEW_PASSWORD", "short")
    assert _run(url, "passwd", "alice") == 1

    assert _run(url, "disable", "alice") == 0
    assert asyncio.run(_user(url, "alice")).disabled is True
    assert _run(url, "disable", "nobody") == 1
    capsys.readouterr()
    assert _run(url, "list") == 0
    assert capsys.readouterr().out == "alice\tagent\tA1\talice (disabled)\n"
