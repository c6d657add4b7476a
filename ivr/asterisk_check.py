"""Asterisk's side of the contract, checked at every AMI login: the modules and the dialplan contexts.

Why: Asterisk fails quietly when a piece is missing. Without func_dialplan the generated settings are
skipped and callers go to the built-in fallback queue; without extensions_ivr_queues.conf the dialplan
runs on its defaults; a missing application hangs the caller up mid-dialplan. None of that shows on the
bot's side, so after every (re)connect the service asks: one AMI `ModuleCheck` per module and one
`ShowDialPlan` per context. Whatever is missing becomes one warning that names each module or context
and what breaks without it. An action AMI refuses (the user lacks the `system` or `reporting` write
class) is reported once in the same warning. It runs as an `on_connect` task of the AMI session, so a
lost connection cancels it and the next login starts it again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ivr.ami.client import AmiClient
from ivr.ami.errors import AmiError

log = logging.getLogger("ivr.asterisk")


@dataclass(frozen=True)
class Needed:
    """A module or dialplan context the bot needs, what uses it, and what breaks without it."""

    name: str
    provides: tuple[str, ...]  # dialplan applications and functions (for a module), or its role
    breaks: str


# What dialplan/extensions_ivr.conf and the service use. Answer, Goto, GotoIf, Hangup, NoOp, Set and
# $[...] are Asterisk's core; so are AMI (manager) and Local channels (callbacks).
MODULES: tuple[Needed, ...] = (
    Needed("pbx_config", ("extensions.conf",), "the dialplan files are not loaded: no call reaches the bot"),
    Needed("res_agi", ("AGI",), "AGI() does not exist: callers are hung up instead of reaching the bot"),
    Needed(
        "app_audiosocket",
        ("AudioSocket",),
        "the bot hears nothing: every call becomes an audio-timeout transfer to the fallback queue",
    ),
    Needed("res_audiosocket", ("AudioSocket transport",), "app_audiosocket cannot load without it"),
    Needed(
        "app_queue", ("Queue", "QUEUE_PRIO"), "callers cannot be queued; no queue events or agent presence"
    ),
    Needed(
        "app_stack", ("Gosub", "GosubIf", "Return", "LOCAL"), "callers are hung up before the bot answers"
    ),
    Needed("app_exec", ("ExecIf",), "callers are hung up after the bot instead of being queued"),
    Needed("app_verbose", ("Verbose",), "callers are hung up after the bot instead of being queued"),
    Needed(
        "func_dialplan",
        ("DIALPLAN_EXISTS",),
        "the generated settings and queue parameters are skipped silently (fallback queue 'support', "
        "no survey, no overflow)",
    ),
    Needed("func_logic", ("IF",), "caller priorities are ignored (QUEUE_PRIO stays empty)"),
    Needed(
        "func_global",
        ("GLOBAL",),
        "with several workers (cluster.workers) every call starts at the first one: no rotation",
    ),
    Needed("func_cdr", ("CDR",), "the transfer reason is not written to CDR(userfield)"),
    Needed(
        "func_strings", ("LEN", "FILTER"), "callback numbers cannot be checked: callbacks are not dialled"
    ),
    Needed("func_callerid", ("CALLERID",), "the dialplan's log line of a new call lacks the caller id"),
    Needed("app_dial", ("Dial",), "callbacks never reach the caller; agents of warm queues are never rung"),
    Needed("app_playback", ("Playback",), "callers no queue can take hear nothing before the hang-up"),
    Needed("res_musiconhold", ("music on hold",), "callers wait in the queue in silence"),
)

CONTEXTS: tuple[Needed, ...] = (
    Needed(
        "ivr-hotline",
        ("extensions_ivr.conf",),
        'extensions_ivr.conf is not loaded: `#include "extensions_ivr.conf"` in extensions.conf',
    ),
    Needed("ivr-init", ("extensions_ivr.conf",), "every entry point fails before the bot"),
    Needed("ivr-bot", ("extensions_ivr.conf",), "the bot and the queue are never run"),
    Needed("ivr-agi", ("extensions_ivr.conf",), "callers are hung up instead of reaching the bot"),
    Needed("ivr-return", ("extensions_ivr.conf",), "agents cannot send callers back to the bot (Redirect)"),
    Needed("ivr-callback-hold", ("extensions_ivr.conf",), "callbacks cannot be placed (Originate)"),
    Needed("ivr-callback-dial", ("extensions_ivr.conf",), "callbacks cannot be placed (Originate)"),
    Needed(
        "ivr-warm-dial",
        ("extensions_ivr.conf",),
        "agents of warm hand-off queues (Local/<agent>@ivr-agent/n) are never rung",
    ),
    Needed("ivr-warm-brief", ("extensions_ivr.conf",), "agents of warm hand-off queues hear no briefing"),
    Needed(
        "ivr-settings",
        ("extensions_ivr_queues.conf",),
        "the generated file is not loaded: the dialplan runs on its built-in defaults (fallback queue "
        "'support', no survey, callbacks not dialled); put it in Asterisk's config folder",
    ),
    Needed(
        "ivr-queue-params",
        ("extensions_ivr_queues.conf",),
        "queues run without their overflow, wait limit and penalty rules",
    ),
)

REFUSED = frozenset({"permission denied"})


@dataclass
class AsteriskCheck:
    """Runs the module and context checks over one AmiClient (register `run` as an on_connect hook)."""

    ami: AmiClient
    modules: tuple[Needed, ...] = MODULES
    contexts: tuple[Needed, ...] = CONTEXTS

    async def run(self) -> None:
        """The on_connect hook: check, and log the result."""
        await self.check()

    async def check(self) -> list[str]:
        """Check everything; log one warning listing what is missing (or one info line); return the list."""
        try:
            problems = [*(await self._modules()), *(await self._contexts())]
        except AmiError as exc:
            log.warning("Asterisk check not done: %s", exc)
            return [str(exc)]
        if problems:
            log.warning("Asterisk lacks what the bot needs: %s", "; ".join(problems))
        else:
            log.info(
                "Asterisk check: %d modules and %d dialplan contexts present",
                len(self.modules),
                len(self.contexts),
            )
        return problems

    async def _modules(self) -> list[str]:
        problems = []
        for needed in self.modules:
            reply = await self.ami.send_action("ModuleCheck", {"Module": needed.name})
            if reply.message_text.lower() in REFUSED:
                return ["cannot check modules: give the AMI user `write = system` (ModuleCheck)"]
            if not reply.ok:
                uses = ", ".join(needed.provides)
                problems.append(f"module {needed.name} is not loaded ({uses}: {needed.breaks})")
        return problems

    async def _contexts(self) -> list[str]:
        problems = []
        for needed in self.contexts:
            reply = await self.ami.send_action("ShowDialPlan", {"Context": needed.name})
            if reply.message_text.lower() in REFUSED:
                return ["cannot check the dialplan: give the AMI user `write = reporting` (ShowDialPlan)"]
            if not reply.ok:
                problems.append(f"dialplan context [{needed.name}] is missing ({needed.breaks})")
        return problems


def watch_asterisk(ami: AmiClient) -> AsteriskCheck:
    """Check Asterisk's side after every AMI login."""
    check = AsteriskCheck(ami)
    ami.on_connect(check.run)
    return check
