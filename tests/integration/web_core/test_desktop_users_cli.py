"""`ivr users` against a real SQLite file: add, list, passwd, disable."""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ivr.storage.desk import DeskStore
from ivr.storage.store import CallStore
from ivr.web.auth import verify_password
from ivr.web.users_cli import add_arguments, main_users


def _run(url: str, *argv: str, agents: set[str] | None = frozenset({"A1", "B2"})) -> int:
    """Parse and run one `ivr users` command line (the queue YAML's agents are A1 and B2)."""
    parser = argparse.ArgumentParser(prog="ivr users")
    add_arguments(parser)
    return main_users(parser.parse_args(list(argv)), database_url=url, agents=agents)


async def _user(url: str, name: str):
    """The stored user."""
    store = await CallStore.open(url)
    try:
        return await DeskStore(store.session_factory).user_by_name(name)
    finally:
        await store.close()


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A new SQLite file; the password `ivr users` is given is "first password" (IVR_NEW_PASSWORD)."""
    monkeypatch.setenv("IVR_NEW_PASSWORD", "first password")
    return f"sqlite:///{tmp_path / 'ivr.db'}"


def test_users_commands(url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    assert _run(url, "add", "alice", "--role", "agent", "--agent-id", "A1") == 0
    assert _run(url, "add", "alice", "--agent-id", "B2") == 1
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


def test_agent_id_must_name_an_agent_of_the_queue_yaml(url: str, capsys: pytest.CaptureFixture) -> None:
    assert _run(url, "add", "carol", "--role", "agent", "--agent-id", "A3") == 1
    assert "no agent 'A3' under `agents:` in config/queues.yaml (known: A1, B2)" in capsys.readouterr().err
    assert _run(url, "add", "carol", "--agent-id", "alise", agents={"alice", "bob"}) == 1
    assert (
        "no agent 'alise' under `agents:` in config/queues.yaml; did you mean 'alice'?"
        in capsys.readouterr().err
    )
    assert _run(url, "add", "carol", "--role", "agent") == 1
    assert "an agent needs --agent-id" in capsys.readouterr().err
    assert _run(url, "add", "carol", "--agent-id", "A1", agents=None) == 1
    assert "there is no config/queues.yaml" in capsys.readouterr().err
    assert asyncio.run(_user(url, "carol")) is None  # nothing was stored
    assert _run(url, "add", "sam", "--role", "supervisor") == 0  # only agents need an agent id
    assert _run(url, "add", "carol", "--agent-id", "B2") == 0


def test_password_from_standard_input_without_a_terminal(tmp_path: Path) -> None:
    """`printf 'secret\\n' | ivr users add ...` in a real process: no prompt, no EOFError."""
    config = tmp_path / "ivr.yaml"
    config.write_text(
        f"database: {{url: 'sqlite:///{tmp_path / 'ivr.db'}'}}\n"
        f"paths: {{queues: {Path('config/queues.yaml').resolve()}}}\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "IVR_NEW_PASSWORD"}
    command = [sys.executable, "-m", "ivr", "users", "-c", str(config), "add", "bob", "--agent-id", "bob"]
    added = subprocess.run(command, input="piped password\n", capture_output=True, text=True, env=env)
    assert (added.returncode, added.stdout, added.stderr) == (0, "added agent bob\n", "")
    url = f"sqlite:///{tmp_path / 'ivr.db'}"
    assert verify_password("piped password", asyncio.run(_user(url, "bob")).password_hash)
    empty = subprocess.run(
        [*command[:-3], "carol", "--role", "admin"], input="", capture_output=True, text=True, env=env
    )
    assert empty.returncode == 1
    assert (
        empty.stderr
        == "error: no password: set IVR_NEW_PASSWORD, type it at a terminal or give one line on stdin\n"
    )
