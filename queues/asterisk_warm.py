"""Warm hand-off in the generated Asterisk files: Local-channel members, ring time, per-queue variables.

How this works (config/QUEUES.md, "Warm hand-off"): app_queue's own member gosub (queues.conf
`membergosub`, Queue()'s gosub argument) runs only after the caller has left the queue and its result
is ignored, so it cannot let an agent decline. Dial's U() pre-bridge gosub can: it runs on the agent's
answered phone before the calling channel is answered, and GOSUB_RESULT=BUSY turns the answer into a
busy. So in a warm queue every member is `Local/<agent>@ivr-agent/n`; the generated `[ivr-agent]`
extension dials the agent's phone from the fixed `[ivr-warm-dial]` with U(ivr-warm-brief). While the
briefing plays, app_queue still sees the member ringing: the caller keeps the hold music and their
place, and a declined offer makes app_queue ring the next member. Queues without warm hand-off are
generated exactly as before.
"""

from __future__ import annotations

from queues.schema import WARM_AGENT_CONTEXT, Queue, QueueConfig

BRIEFING_SECONDS = 6  # the longest briefing the text builder produces (ivr.dialogue.briefing)
MARGIN_SECONDS = 2  # AGI connect, synthesis on a cache miss, the key prompt


def warm_queues(config: QueueConfig) -> list[Queue]:
    """The queues with a warm hand-off, by name."""
    return [config.queues[name] for name in sorted(config.queues) if config.queues[name].warm]


def app_queue_timeout(queue: Queue) -> int:
    """queues.conf `timeout`: the phone's ring time, plus the briefing and the decision when warm."""
    if not queue.warm:
        return queue.ring_timeout
    accept = queue.accept_seconds if queue.warm_handoff == "briefing+acceptance" else 0
    return queue.ring_timeout + BRIEFING_SECONDS + accept + MARGIN_SECONDS


def timeout_line(queue: Queue) -> str:
    """The `timeout =` line of a queue section."""
    if not queue.warm:
        return f"timeout = {queue.ring_timeout}          ; seconds an agent's phone rings"
    return (
        f"timeout = {app_queue_timeout(queue)}          ; {queue.ring_timeout} s ringing + briefing"
        f" ({queue.warm_handoff}); the phone itself rings {queue.ring_timeout} s"
    )


def briefing_url(agi_url: str) -> str:
    """The briefing script next to the hotline script: agi://host:port/briefing."""
    return agi_url.rsplit("/", 1)[0] + "/briefing"


def settings_lines(config: QueueConfig, agi_url: str) -> list[str]:
    """[ivr-settings] line for the briefing script (only when a queue is warm)."""
    if not warm_queues(config):
        return []
    return [f" same => n,Set(__IVR_BRIEFING_URL={briefing_url(agi_url)})   ; warm hand-off briefings"]


def queue_param_lines(queue: Queue) -> list[str]:
    """[ivr-queue-params] lines a warm queue adds; inherited (`__`) by the member channels."""
    if not queue.warm:
        return []
    return [
        f" same => n,Set(__IVR_WARM={queue.warm_handoff})   ; the agent is briefed before the bridge",
        f" same => n,Set(__IVR_WARM_RING={queue.ring_timeout})   ; the phone rings this long",
        f" same => n,Set(__IVR_WARM_ACCEPT={queue.accept_seconds})   ; seconds to press 1, 2 or 3",
    ]


def agent_context_lines(config: QueueConfig) -> list[str]:
    """[ivr-agent]: one extension per agent of a warm queue, ringing the agent's phone."""
    queues = warm_queues(config)
    if not queues:
        return []
    agents = sorted({agent.id for q in queues for agent, _ in config.members(q.name)})
    lines = [
        f"[{WARM_AGENT_CONTEXT}]",
        f"; Members of warm queues are Local/<agent>@{WARM_AGENT_CONTEXT}/n (state: the phone). Each",
        "; extension rings the agent's phone through [ivr-warm-dial] (extensions_ivr.conf): briefing first.",
    ]
    for agent_id in agents:
        phone = config.agents[agent_id].interface
        lines += [
            f"exten => {agent_id},1,Set(IVR_AGENT_PHONE={phone})   ; {config.agents[agent_id].name}",
            " same => n,Goto(ivr-warm-dial,s,1)",
        ]
    return lines
