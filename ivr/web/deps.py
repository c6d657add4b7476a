"""What the web app needs from the rest of the service, gathered in one object the lead wires."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp import web

from ivr.storage.desk import DeskStore
from ivr.storage.store import CallStore
from ivr.tasks import TaskRegistry
from ivr.web.hub import Hub
from queues.events import QueueEvents


class AgentPresenceLike(Protocol):
    """Logs agents in and out of their queues and pauses them (queues' presence service)."""

    async def login(self, agent_id: str) -> None:
        """Add the agent's interface to their queues."""

    async def logout(self, agent_id: str) -> None:
        """Remove the agent's interface from their queues."""

    async def pause(self, agent_id: str, reason: str) -> None:
        """Pause the agent in every queue, with a reason."""

    async def resume(self, agent_id: str) -> None:
        """Unpause the agent in every queue."""


class CallControl(Protocol):
    """Moves a caller (queues.call_control over AMI); the web layer sends no AMI action itself."""

    async def return_to_bot(self, channel: str, mode: str) -> None:
        """Send the caller on `channel` back into the bot; raises with a message for the agent."""


def _no_calls() -> list[dict[str, Any]]:
    """Default for `active_calls`: no call is in the bot."""
    return []


def _unknown(_: str) -> str | None:
    """Default for `interface_of` / `agent_of`: nothing is known."""
    return None


@dataclass
class WebDeps:
    """The service's parts the desktop uses; every optional part may be None in tests."""

    store: CallStore
    desk: DeskStore
    queue_events: QueueEvents | None = None  # the ACD event stream (queues.ami_bridge.QueueMonitor)
    calls: CallControl | None = None  # back to the bot (queues.call_control.AmiCallControl)
    presence: AgentPresenceLike | None = None
    live: object | None = None  # queues.live.LiveQueues (has snapshot())
    active_calls: Callable[[], list[dict[str, Any]]] = field(default=_no_calls)
    interface_of: Callable[[str], str | None] = field(default=_unknown)  # agent id -> interface
    agent_of: Callable[[str], str | None] = field(default=_unknown)  # interface or member name -> agent id
    on_knowledge_published: Callable[[], Awaitable[None]] | None = None
    metrics: object | None = None
    readiness: Callable[[], Awaitable[dict[str, Any]]] | None = None  # ivr.health.readiness of the service
    tasks: TaskRegistry = field(default_factory=TaskRegistry)  # the service's: owns the desktop's tasks


DEPS = web.AppKey("deps", WebDeps)
HUB = web.AppKey("hub", Hub)
