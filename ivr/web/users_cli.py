"""`ivr users add|list|passwd|disable`: manage the desktop's users from the command line."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from datetime import UTC, datetime

from ivr.storage.desk import DeskError, DeskStore
from ivr.storage.desk_models import ROLES
from ivr.storage.store import CallStore
from ivr.web.auth import hash_password

PASSWORD_ENV = "IVR_NEW_PASSWORD"
MIN_PASSWORD = 8


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the `users` sub-commands to the `ivr users` parser."""
    sub = parser.add_subparsers(dest="users_command", required=True)
    add = sub.add_parser("add", help=f"add a user (password from {PASSWORD_ENV} or a prompt)")
    add.add_argument("name")
    add.add_argument("--role", choices=ROLES, default="agent")
    add.add_argument("--agent-id", help="the agent id of config/queues.yaml (agents)")
    add.add_argument("--display-name")
    sub.add_parser("list", help="list the users")
    passwd = sub.add_parser("passwd", help=f"set a new password (from {PASSWORD_ENV} or a prompt)")
    passwd.add_argument("name")
    disable = sub.add_parser("disable", help="disable a user (their sessions end)")
    disable.add_argument("name")
    enable = sub.add_parser("enable", help="enable a disabled user again")
    enable.add_argument("name")


def read_password(env: dict[str, str] | None = None) -> str:
    """The new password: IVR_NEW_PASSWORD, else typed twice at a prompt."""
    value = (os.environ if env is None else env).get(PASSWORD_ENV)
    if value is None:
        value = getpass.getpass("new password: ")
        if getpass.getpass("again: ") != value:
            raise DeskError("the passwords differ")
    if len(value) < MIN_PASSWORD:
        raise DeskError(f"a password needs at least {MIN_PASSWORD} characters")
    return value


def main_users(args: argparse.Namespace, *, database_url: str) -> int:
    """Run one `ivr users` command against the database; 0 on success, 1 with a message on error."""
    try:
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
