"""Asterisk configuration generated from the queue YAML: queues.conf, queuerules.conf, manager_ivr.conf.

How this works: each file is rendered as text from the validated QueueConfig and a few service hints
(queues.asterisk_hints.ServiceHints, from ivr.yaml). Output is deterministic: names are sorted,
nothing depends on the time or the machine, so regenerating gives identical bytes and `write_all`
rewrites only files that changed.
The dialplan include is rendered by queues.asterisk_dialplan. Syntax follows Asterisk 20+
(configs/samples/queues.conf.sample, queuerules.conf.sample, manager.conf.sample).
"""

from __future__ import annotations

import os
from pathlib import Path

from queues.asterisk_dialplan import render_dialplan_include
from queues.asterisk_hints import ServiceHints, header
from queues.asterisk_warm import timeout_line
from queues.schema import Queue, QueueConfig, penalty_for_level

__all__ = ["ServiceHints", "header", "render_all", "stale_files", "write_all"]

RULE_PREFIX = "ivr-"  # queuerules.conf sections are `ivr-<rule>` so they cannot clash with the admin's
JOIN_WHEN_STAFFED = "unavailable,invalid"  # nobody reachable: refuse (JOINEMPTY), the dialplan overflows


def render_queues_conf(config: QueueConfig, hints: ServiceHints) -> str:
    """queues.conf: [general], then one section per queue with its static members."""
    lines = header("queues.conf", hints, "the skill queues of the hotline voicebot (app_queue).")
    lines += [
        "; Penalties come from skill levels: level 10 (expert) -> penalty 0 ... level 1 -> penalty 9.",
        "; Lower penalties ring first. The dialplan sets QUEUE_MAX_PENALTY when a caller joins and the",
        "; queue's rule in queuerules.conf raises it while the caller waits. Agents with `login: static`",
        "; are members below; `login: desktop` agents are added by the agent desktop (AMI QueueAdd) with",
        "; the penalty shown in the comments.",
        "",
        "[general]",
        "persistentmembers = yes   ; desktop logins (QueueAdd) survive an Asterisk restart",
        "autofill = yes            ; several free agents take several waiting callers at once",
        "shared_lastcall = yes     ; wrap-up time counts across all queues of an agent",
        "log_membername_as_agent = yes",
    ]
    for name in sorted(config.queues):
        lines += ["", *_queue_section(config, config.queues[name])]
    lines += [
        "",
        "; Queues that are not the voicebot's can live in queues_custom.conf.",
        '#tryinclude "queues_custom.conf"',
    ]
    return "\n".join(lines) + "\n"


def _queue_section(config: QueueConfig, queue: Queue) -> list[str]:
    names = ", ".join(f"{lang}: {text}" for lang, text in sorted(queue.display_name.items()))
    lines = [
        f"; {queue.name}: skill {queue.skill}, language {queue.language} ({names})",
        f"[{queue.name}]",
        f"strategy = {queue.strategy}",
        timeout_line(queue),
        f"retry = {queue.retry}",
        f"wrapuptime = {queue.wrapup}",
        f"maxlen = {queue.max_callers}",
        f"weight = {queue.weight}",
        f"servicelevel = {queue.service_level}",
        "ringinuse = no",
        *_empty_lines(queue),
        "setinterfacevar = yes",
        "setqueuevar = yes",
        "setqueueentryvar = yes",
        *_announce_lines(queue),
    ]
    if queue.penalty_rule:
        lines.append(f"defaultrule = {RULE_PREFIX}{queue.penalty_rule}")
    for agent, penalty in config.members(queue.name):
        level = agent.skills[queue.skill]
        note = f"{agent.id}: {queue.skill} level {level}"
        interface = config.member_interface(agent.id, queue.name)
        if agent.login == "static":
            lines.append(f"member => {interface},{penalty},{agent.name},{agent.device}   ; {note}")
        else:
            lines.append(f"; desktop login: {interface} penalty {penalty} ({note})")
    return lines


def _empty_lines(queue: Queue) -> list[str]:
    if queue.when_empty == "wait":
        return ["joinempty = yes         ; callers wait even when nobody is logged in", "leavewhenempty = no"]
    return [
        f"joinempty = {JOIN_WHEN_STAFFED}   ; nobody reachable: JOINEMPTY, the dialplan overflows",
        f"leavewhenempty = {JOIN_WHEN_STAFFED}",
    ]


def _announce_lines(queue: Queue) -> list[str]:
    announce = queue.announce
    holdtime = "once" if announce.holdtime == "once" else ("yes" if announce.holdtime else "no")
    lines = [
        f"musicclass = {announce.music_class}",
        f"announce-frequency = {announce.frequency}",
        f"announce-position = {'yes' if announce.position else 'no'}",
        f"announce-holdtime = {holdtime}",
    ]
    if announce.periodic:
        lines += [
            f"periodic-announce = {','.join(announce.periodic)}",
            f"periodic-announce-frequency = {announce.periodic_frequency}",
        ]
    if announce.to_agent:
        lines.append(f"announce = {announce.to_agent}")
    return lines


def render_queuerules_conf(config: QueueConfig, hints: ServiceHints) -> str:
    """queuerules.conf: one rule per penalty rule of the YAML, widening QUEUE_MAX_PENALTY over time."""
    lines = header("queuerules.conf", hints, "penalty rules of the hotline's skill queues.")
    lines += [
        "; penaltychange => <seconds in the queue>,<new QUEUE_MAX_PENALTY>. The starting value is set by",
        "; the dialplan (extensions_ivr_queues.conf); rules only change a value that was set initially.",
    ]
    for name in sorted(config.penalty_rules):
        rule = config.penalty_rules[name]
        users = sorted(q.name for q in config.queues.values() if q.penalty_rule == name)
        lines += [
            "",
            f"; {name}: starts at {rule.start_max_penalty}; used by {', '.join(users) or 'no queue'}",
        ]
        lines.append(f"[{RULE_PREFIX}{name}]")
        for step in rule.widen:
            level = 10 - step.max_penalty
            lines.append(
                f"penaltychange => {step.after},{step.max_penalty}   ; after {step.after} s: level {level}+"
            )
    return "\n".join(lines) + "\n"


def render_manager_conf(config: QueueConfig, hints: ServiceHints) -> str:
    """manager_ivr.conf: a template for the service's AMI user; the secret lives in a separate file."""
    user = hints.ami_username
    lines = header("manager_ivr.conf", hints, "the AMI user of the hotline voicebot.")
    lines += [
        '; Include it at the end of /etc/asterisk/manager.conf:    #include "manager_ivr.conf"',
        "; The secret is never generated (this file may be in git). Put it in manager_ivr_secret.conf",
        "; (owned by the asterisk user, mode 0600), which this file includes at its end:",
        f";     [{user}](ivr-service)",
        ";     secret = <the value of IVR_AMI_SECRET>",
        "; Without that file the template below defines no user and nobody can log in with it.",
        "",
        "[ivr-service](!)                      ; a template, not a user",
        "deny = 0.0.0.0/0.0.0.0",
        *[f"permit = {network}" for network in hints.ami_permit],
        "read = call,agent,dialplan            ; channels, queue/agent events, VarSet of IVR_CALL_UUID",
        "write = call,agent,originate,reporting,system",
        "; call: Redirect (back to the bot); agent: QueueAdd/Remove/Pause; originate: callbacks;",
        "; reporting and system: ShowDialPlan and ModuleCheck, the check of Asterisk's side at every login.",
        "; system also allows loading and unloading modules: without it the service only logs that it",
        "; cannot check the modules.",
        "eventfilter = !Event: Newexten        ; every dialplan step: not needed, and very many",
        "displayconnects = no",
        "writetimeout = 5000",
        "",
        '#tryinclude "manager_ivr_secret.conf"',
    ]
    return "\n".join(lines) + "\n"


def render_all(config: QueueConfig, *, service: ServiceHints) -> dict[str, str]:
    """Every generated file: name → text."""
    if service.fallback_queue not in config.queues:
        raise ValueError(f"the fallback queue {service.fallback_queue!r} is not in the queue YAML")
    return {
        "queues.conf": render_queues_conf(config, service),
        "queuerules.conf": render_queuerules_conf(config, service),
        "extensions_ivr_queues.conf": render_dialplan_include(config, service),
        "manager_ivr.conf": render_manager_conf(config, service),
    }


def stale_files(config: QueueConfig, out_dir: Path, *, service: ServiceHints) -> list[Path]:
    """Generated files that are missing in `out_dir` or differ from what would be written."""
    stale = []
    for name, text in sorted(render_all(config, service=service).items()):
        path = out_dir / name
        if not path.is_file() or path.read_bytes() != text.encode("utf-8"):
            stale.append(path)
    return stale


def write_all(config: QueueConfig, out_dir: Path, *, service: ServiceHints) -> list[Path]:
    """Write the files that changed (atomically, keeping unchanged ones untouched); returns those written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files = render_all(config, service=service)
    written = []
    for path in stale_files(config, out_dir, service=service):
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_bytes(files[path.name].encode("utf-8"))
        os.replace(tmp, path)
        written.append(path)
    return written


def levels_to_penalties() -> dict[int, int]:
    """The documented mapping, for the admin guide and tests."""
    return {level: penalty_for_level(level) for level in range(10, 0, -1)}
