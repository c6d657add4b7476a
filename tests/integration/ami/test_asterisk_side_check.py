"""The check of Asterisk's side over a real AMI connection: what is missing, refused, and on every login."""

from __future__ import annotations

import logging

from ivr.ami.codec import AmiMessage
from ivr.asterisk_check import CONTEXTS, MODULES, AsteriskCheck, watch_asterisk
from ivr.fakepbx.ami import FakeAmiServer
from ivr.fakepbx.ami_core import Context


def with_contexts(server: FakeAmiServer, *missing: str) -> None:
    """Every context the bot needs (empty ones do: ShowDialPlan lists them), except `missing`."""
    server.dialplan = {c.name: Context() for c in CONTEXTS if c.name not in missing}


async def test_one_warning_names_each_missing_module_and_context(ami_server, start_client, caplog):
    with_contexts(ami_server, "ivr-settings")
    ami_server.modules -= {"func_dialplan", "app_stack"}
    client = await start_client(action_timeout=30.0)  # a loaded CI machine
    await client.wait_connected(30)
    with caplog.at_level(logging.INFO, logger="ivr.asterisk"):
        problems = await AsteriskCheck(client).check()
    assert problems == [
        "module app_stack is not loaded (Gosub, GosubIf, Return, LOCAL: callers are hung up before the bot "
        "answers)",
        "module func_dialplan is not loaded (DIALPLAN_EXISTS: the generated settings and queue parameters "
        "are skipped silently (fallback queue 'support', no survey, no overflow))",
        "dialplan context [ivr-settings] is missing (the generated file is not loaded: the dialplan runs on "
        "its built-in defaults (fallback queue 'support', no survey, callbacks not dialled); put it in "
        "Asterisk's config folder)",
    ]
    (record,) = caplog.records
    assert record.levelname == "WARNING"
    assert record.getMessage() == "Asterisk lacks what the bot needs: " + "; ".join(problems)
    asked = [a.get("Module") for a in ami_server.actions_named("ModuleCheck")]
    assert asked == [m.name for m in MODULES]


async def test_refused_actions_are_one_line_each_not_a_false_alarm(ami_server, start_client):
    with_contexts(ami_server)

    async def refuse(session, request: AmiMessage) -> None:
        await session.respond(request, "Error", "Permission denied")

    ami_server.set_handler("ModuleCheck", refuse)
    client = await start_client(action_timeout=30.0)  # a loaded CI machine
    await client.wait_connected(30)
    assert await AsteriskCheck(client).check() == [
        "cannot check modules: give the AMI user `write = system` (ModuleCheck)"
    ]
    assert len(ami_server.actions_named("ModuleCheck")) == 1


async def test_checked_again_after_every_reconnect(ami_server, start_client):
    with_contexts(ami_server)
    client = await start_client(action_timeout=30.0)  # a loaded CI machine
    watch_asterisk(client)
    per_login = len(MODULES) + len(CONTEXTS)
    await ami_server.wait_until(lambda: len(ami_server.actions_named("ShowDialPlan")) == len(CONTEXTS), 30)
    await ami_server.drop_connections()
    await ami_server.wait_until(lambda: ami_server.logins == 2, 30)
    await ami_server.wait_until(
        lambda: len(ami_server.actions_named("ShowDialPlan")) == 2 * len(CONTEXTS), 30
    )
    checks = [a for a in ami_server.actions if a.action in ("ModuleCheck", "ShowDialPlan")]
    assert len(checks) == 2 * per_login
