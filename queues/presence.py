"""Agent presence from the agent desktop: login, logout and pause become QueueAdd, QueueRemove, QueuePause.

Asterisk's answers are taken as they are: "Already there" on login and "Not there" on logout mean the
agent is already where they wanted to be, so they count as success. The resulting QueueMember* events
reach LiveQueues through the AMI monitor, not through here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ivr.ami.client import AmiClient
from ivr.ami.errors import AmiError
from queues.live import LiveQueues

AGENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")  # as queues.schema.AgentId
SUCCESS_LIKE = ("already there", "not there")
MAX_REASON = 80


@dataclass(frozen=True)
class AgentIdentity:
    """How Asterisk knows an agent: the interface it rings, the name it shows, the device it watches."""

    interface: str
    name: str
    state_interface: str | None = None
    # Queues where app_queue rings another interface (warm hand-off: Local/<agent>@ivr-agent/n).
    queue_interfaces: Mapping[str, str] = field(default_factory=dict)

    def interface_in(self, queue: str) -> str:
        """The member interface in one queue."""
        return self.queue_interfaces.get(queue, self.interface)


@dataclass(frozen=True)
class PresenceResult:
    """Outcome per queue (or "*" for all queues): None when it worked, else Asterisk's error text."""

    agent_id: str
    outcomes: Mapping[str, str | None] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when every queue reached the wanted state."""
        return all(error is None for error in self.outcomes.values())

    @property
    def errors(self) -> dict[str, str]:
        """The queues that failed, with the reason."""
        return {queue: error for queue, error in self.outcomes.items() if error is not None}


def identity_from_agent(agent: object, queue_interfaces: Mapping[str, str] | None = None) -> AgentIdentity:
    """Adapt a queues.schema.Agent (interface, name, state_interface) to an AgentIdentity."""
    return AgentIdentity(
        interface=agent.interface,  # type: ignore[attr-defined]
        name=agent.name,  # type: ignore[attr-defined]
        state_interface=getattr(agent, "state_interface", None),
        queue_interfaces=dict(queue_interfaces or {}),
    )


class AgentPresence:
    """Turns the agent desktop's presence changes into queue membership actions."""

    def __init__(
        self,
        ami: AmiClient,
        directory: Callable[[str], AgentIdentity | None],
        live: LiveQueues | None = None,
    ) -> None:
        self._ami, self._directory, self._live = ami, directory, live
        self._joined: dict[str, set[str]] = {}  # agent id -> queues this process logged them into

    async def login(self, agent_id: str, queues: list[tuple[str, int]]) -> PresenceResult:
        """QueueAdd the agent to each (queue, penalty); "Already there" counts as success."""
        who = self._identity(agent_id)
        outcomes: dict[str, str | None] = {}
        for queue, penalty in queues:
            interface = who.interface_in(queue)
            headers = {"Queue": queue, "Interface": interface, "Penalty": str(int(penalty))}
            headers["MemberName"] = who.name
            if who.state_interface or interface != who.interface:
                headers["StateInterface"] = who.state_interface or who.interface
            outcomes[queue] = await self._act("QueueAdd", headers)
            if outcomes[queue] is None:
                self._joined.setdefault(agent_id, set()).add(queue)
        return PresenceResult(agent_id, outcomes)

    async def logout(self, agent_id: str) -> PresenceResult:
        """QueueRemove the agent from every queue they are in; "Not there" counts as success."""
        who = self._identity(agent_id)
        outcomes: dict[str, str | None] = {}
        for queue in sorted(self._queues_of(agent_id, who)):
            headers = {"Queue": queue, "Interface": who.interface_in(queue)}
            outcomes[queue] = await self._act("QueueRemove", headers)
        self._joined.pop(agent_id, None)
        return PresenceResult(agent_id, outcomes)

    async def pause(self, agent_id: str, reason: str = "") -> PresenceResult:
        """QueuePause the agent in all their queues, with a reason the supervisor sees."""
        return await self._pause(agent_id, True, reason)

    async def resume(self, agent_id: str) -> PresenceResult:
        """Unpause the agent in all their queues."""
        return await self._pause(agent_id, False, "")

    async def _pause(self, agent_id: str, paused: bool, reason: str) -> PresenceResult:
        who = self._identity(agent_id)
        outcomes: dict[str, str | None] = {}
        # QueuePause without a Queue covers every queue of one interface; warm queues have their own.
        for interface in (who.interface, *sorted(set(who.queue_interfaces.values()) - {who.interface})):
            headers = {"Interface": interface, "Paused": "true" if paused else "false"}
            if reason:
                # The reason is the agent's free text: keep it printable and short (AMI is line-based).
                headers["Reason"] = "".join(c for c in reason if c.isprintable())[:MAX_REASON]
            key = "*" if interface == who.interface else interface
            outcomes[key] = await self._act("QueuePause", headers)
        return PresenceResult(agent_id, outcomes)

    def _identity(self, agent_id: str) -> AgentIdentity:
        if not AGENT_ID.match(agent_id):
            raise ValueError("agent id must be 1-40 letters, digits, '_', '.' or '-'")
        who = self._directory(agent_id)
        if who is None:
            raise KeyError(f"unknown agent {agent_id!r}")
        return who

    def _queues_of(self, agent_id: str, who: AgentIdentity) -> set[str]:
        queues = set(self._joined.get(agent_id, ()))
        if self._live is not None:
            live = self._live
            queues |= {q for q in live.queues() if who.interface_in(q) in live.member_interfaces(q)}
        return queues

    async def _act(self, action: str, headers: dict[str, str]) -> str | None:
        try:
            reply = await self._ami.send_action(action, headers)
        except AmiError as exc:
            return f"AMI unavailable: {exc}"
        text = reply.message_text
        if reply.ok or any(word in text.lower() for word in SUCCESS_LIKE):
            return None
        return text or f"{action} failed"
