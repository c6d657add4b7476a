"""The generated dialplan include (extensions_ivr_queues.conf): service settings and per-queue parameters.

How this works: dialplan/extensions_ivr.conf holds the fixed plumbing and `#tryinclude`s this file.
Two subroutine contexts are generated. `[ivr-settings]` sets the service settings from ivr.yaml (AGI
and survey URLs, fallback queue, callback dial string); the fixed file has defaults for when this
file is missing. `[ivr-queue-params]` has one extension per queue that sets, before each Queue(), how
long the caller may wait there, where they overflow to, and where their penalty range starts. The
fixed file only calls them after DIALPLAN_EXISTS() says they are there, so a missing or stale include
never drops a caller.
"""

from __future__ import annotations

from queues.asterisk_hints import ServiceHints, header
from queues.asterisk_warm import agent_context_lines, queue_param_lines, settings_lines
from queues.schema import Queue, QueueConfig


def render_dialplan_include(config: QueueConfig, hints: ServiceHints) -> str:
    """extensions_ivr_queues.conf: [ivr-settings] and [ivr-queue-params]."""
    lines = header(
        "extensions_ivr_queues.conf", hints, "settings and queue parameters of the hotline dialplan."
    )
    lines += [
        "; dialplan/extensions_ivr.conf #tryincludes it; Asterisk looks for it in its config folder",
        "; (/etc/asterisk), so both files must be there.",
        "",
        *_settings(hints, config),
        "",
        *_queue_params(config),
        *(["", *warm] if (warm := agent_context_lines(config)) else []),
    ]
    return "\n".join(lines) + "\n"


def _settings(hints: ServiceHints, config: QueueConfig) -> list[str]:
    prefix, _, suffix = hints.callback_dial.partition("{number}")
    return [
        "[ivr-settings]",
        "; Gosub'd first by every IVR context; `__` makes Local channels and callbacks inherit them.",
        f"exten => s,1,Set(__IVR_AGI_URL={hints.agi_url})",
        f" same => n,Set(__IVR_SURVEY_URL={hints.survey_url})",
        f" same => n,Set(__IVR_SURVEY={'yes' if hints.survey else 'no'})   ; after-call survey (keypad 1-5)",
        f" same => n,Set(__IVR_FALLBACK_QUEUE={hints.fallback_queue})",
        f" same => n,Set(__IVR_QUEUE_TIMEOUT={hints.queue_timeout})   ; for queues the YAML does not know",
        "; Callbacks dial ${IVR_CALLBACK_DIAL_PREFIX}<number>${IVR_CALLBACK_DIAL_SUFFIX}.",
        f" same => n,Set(__IVR_CALLBACK_DIAL_PREFIX={prefix})",
        f" same => n,Set(__IVR_CALLBACK_DIAL_SUFFIX={suffix})",
        f" same => n,Set(__IVR_CALLBACK_RING={hints.callback_ring_seconds})",
        *_workers(hints),
        *settings_lines(config, hints.agi_url),
        " same => n,Return()",
    ]


def _workers(hints: ServiceHints) -> list[str]:
    """Several workers (cluster.workers): [ivr-agi] of the fixed file rotates over them with fail-over."""
    if not hints.workers:
        return []
    agi_path, survey_path = _script(hints.agi_url, "hotline"), _script(hints.survey_url, "survey")
    lines = [
        f"; {len(hints.workers)} workers: each call starts at the next one in turn; a worker that cannot be",
        "; reached (AGISTATUS=FAILURE: down or draining) is skipped, before the fallback queue.",
        f" same => n,Set(__IVR_WORKERS={len(hints.workers)})",
        f" same => n,Set(__IVR_AGI_PATH={agi_path})",
        f" same => n,Set(__IVR_SURVEY_PATH={survey_path})",
    ]
    lines += [f" same => n,Set(__IVR_WORKER_{i}=agi://{w})" for i, w in enumerate(hints.workers, 1)]
    return lines


def _queue_params(config: QueueConfig) -> list[str]:
    lines = [
        "[ivr-queue-params]",
        "; One extension per queue, Gosub'd before each Queue(): IVR_QUEUE_MAX_WAIT is the Queue() timeout,",
        "; IVR_QUEUE_OVERFLOW the queue tried next when this one cannot serve the caller, and",
        "; QUEUE_MAX_PENALTY the starting penalty range that the queue's rule widens (empty: everyone).",
    ]
    for name in sorted(config.queues):
        lines += ["", *_queue_extension(config, config.queues[name])]
    return lines


def _queue_extension(config: QueueConfig, queue: Queue) -> list[str]:
    start = ""
    note = "no penalty rule: every member from the start"
    if queue.penalty_rule:
        start = str(config.penalty_rules[queue.penalty_rule].start_max_penalty)
        note = f"widened by ivr-{queue.penalty_rule} in queuerules.conf"
    return [
        f"; {queue.name}: {queue.skill} ({queue.language}), strategy {queue.strategy}",
        f"exten => {queue.name},1,Set(IVR_QUEUE_MAX_WAIT={queue.max_wait})",
        f" same => n,Set(IVR_QUEUE_OVERFLOW={queue.overflow or ''})",
        f" same => n,Set(QUEUE_MAX_PENALTY={start})   ; {note}",
        *queue_param_lines(queue),
        " same => n,Return()",
    ]


def _script(url: str, default: str) -> str:
    """The script part of agi://host:port/script (`default` when the URL has none)."""
    parts = url.split("/", 3)
    return parts[3] if len(parts) == 4 and parts[3] else default
