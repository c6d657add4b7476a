"""`ivr users add|list|passwd|disable`: manage the desktop's users from the command line."""

from __future__ import annotations

import argparse
import asyncio
import difflib
import getpass
import os
import sys
from collections.abc import Collection
from datetime import UTC, datetime
from typing import TextIO

from ivr.storage.desk import DeskError, DeskStore
from ivr.storage.desk_models import ROLES
from ivr.storage.store import CallStore
from ivr.web.auth import hash_password

PASSWORD_ENV = "IVR_NEW_PASSWORD"
MIN_PASSWORD = 8


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the `users` sub-commands to the `ivr users` parser."""
    sub = parser.add_subparsers(dest="users_command", required=True)
    add = sub.add_parser(
        "add", help=f"add a user (password from {PASSWORD_ENV}, a prompt, or one line on standard input)"
    )
    add.add_argument("name")
    add.add_argument("--role", choices=ROLES, default="agent")
    add.add_argument("--agent-id", help="the agent's id under `agents:` of config/queues.yaml (role agent)")
    add.add_argument("--display-name")
    sub.add_parser("list", help="list the users")
    passwd = sub.add_parser("passwd", help=f"set a new password (from {PASSWORD_ENV} or a prompt)")
    passwd.add_argument("name")
    disable = sub.add_parser("disable", help="disable a user (their sessions end)")
    disable.add_argument("name")
    enable = sub.add_parser("enable", help="enable a disabled user again")
    enable.add_argument("name")


def read_password(env: dict[str, str] | None = None, stdin: TextIO | None = None) -> str:
    """The new password: IVR_NEW_PASSWORD, else typed twice at a prompt, else one line of standard input."""
    value = (os.environ if env is None else env).get(PASSWORD_ENV)
    stdin = sys.stdin if stdin is None else stdin
    if value is None and stdin.isatty():
        value = getpass.getpass("new password: ")
        if getpass.getpass("again: ") != value:
            raise DeskError("the passwords differ")
    elif value is None:  # piped or redirected: `printf '%s\\n' "$pw" | ivr users add ...`
        line = stdin.readline()
        if not line:
            raise DeskError(
                f"no password: set {PASSWORD_ENV}, type it at a terminal or give one line on stdin"
            )
        value = line.removesuffix("\n").removesuffix("\r")
    if len(value) < MIN_PASSWORD:
        raise DeskError(f"a password needs at least {MIN_PASSWORD} characters")
    return value


def check_agent_id(role: str, agent_id: str | None, agents: Collection[str] | None, source: str) -> None:
    """An agent account needs the id of an agent in the queue YAML (`agents` None: no such file)."""
    if agent_id is None:
        if role == "agent":
            known = f" (one of: {', '.join(sorted(agents))})" if agents else ""
            raise DeskError(
                f"an agent needs --agent-id, the id of their entry under `agents:` in {source}{known}"
            )
        return
    if agents is None:
        raise DeskError(f"--agent-id {agent_id!r}: there is no {source} whose `agents:` could name it")
    if agent_id not in agents:
        close = difflib.get_close_matches(agent_id, sorted(agents), n=1)
        hint = (
            f"; did you mean {close[0]!r}?" if close else f" (known: {', '.join(sorted(agents)) or 'none'})"
        )
        raise DeskError(f"no agent {agent_id!r} under `agents:` in {source}{hint}")


def main_users(
    args: argparse.Namespace,
    *,
    database_url: str,
    agents: Collection[str] | None,
    agents_source: str = "config/queues.yaml",
) -> int:
    """Run one `ivr users` command against the database; 0 on success, 1 with a message on error.

    `agents` are the agent ids of the queue YAML (None when there is none), which `add` checks against.
    """
    try:
        if args.users_command == "add":
            check_agent_id(args.role, args.agent_id, agents, agents_source)
        return asyncio.run(_run(args, database_url))
    except DeskError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


async def _run(args: argparse.Namespace, database_url: str) -> int:
    """Open the store (migrating it), run the command, close."""
    store = await CallStore.open(database_url)
    try:
        desk = DeskStore(store.session_factory)
        command = args.users_command
        if command == "list":
            for user in await desk.list_users():
                state = " (disabled)" if user.disabled else ""
                print(f"{user.username}\t{user.role}\t{user.agent_id or '-'}\t{user.display_name}{state}")
        elif command == "add":
            password_hash = await asyncio.to_thread(hash_password, read_password())
            await desk.create_user(
                username=args.name,
                password_hash=password_hash,
                role=args.role,
                agent_id=args.agent_id,
                display_name=args.display_name,
                now=datetime.now(UTC),
            )
            print(f"added {args.role} {args.name}")
        elif command == "passwd":
            await desk.set_password(args.name, await asyncio.to_thread(hash_password, read_password()))
            print(f"password of {args.name} changed")
        else:
            await desk.set_disabled(args.name, command == "disable")
            print(f"{args.name} {command}d")
        return 0
    finally:
        await store.close()
