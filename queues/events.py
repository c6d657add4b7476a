"""The ACD event stream: app_queue's agent and caller events as typed events, each resolved to our call once.

How this works: QueueMonitor (queues/ami_bridge.py) is the one owner of the AMI queue events. For each
agent or caller event it resolves the caller channel to our call_uuid once, builds the typed event with
`queue_event()` and publishes it on its EventBus. Screen-pop, metrics and any other consumer subscribe to
that bus (through the `QueueEvents` Protocol) and never to the AMI client, so none of them looks a call up
again or parses AMI headers itself.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import ClassVar, Protocol

from ivr.ami.codec import AmiMessage
from ivr.ami.dispatch import call_safely
from ivr.vocabulary import known_caller

log = logging.getLogger(__name__)

DETAILS = ("HoldTime", "TalkTime", "RingTime", "Reason")


@dataclass(frozen=True, slots=True)
class QueueEvent:
    """One agent or caller event of a queue, with our call_uuid when the caller is a call of ours."""

    ami_event: ClassVar[str] = ""

    call_uuid: str | None
    uniqueid: str | None
    linkedid: str | None
    queue: str | None
    caller_number: str | None
    caller_name: str | None
    interface: str | None = None
    member_name: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)  # HoldTime, TalkTime, RingTime, Reason


def _kind(name: str, ami_event: str, doc: str) -> type[QueueEvent]:
    """One event type: a QueueEvent that names its app_queue event."""
    namespace = {"__doc__": doc, "__module__": __name__, "__qualname__": name, "__slots__": ()}
    return type(name, (QueueEvent,), {**namespace, "ami_event": ami_event})


CallerJoined = _kind("CallerJoined", "QueueCallerJoin", "The caller entered a queue.")
CallerLeft = _kind("CallerLeft", "QueueCallerLeave", "The caller left a queue, answered or not.")
CallerAbandoned = _kind("CallerAbandoned", "QueueCallerAbandon", "The caller hung up while waiting.")
AgentRinging = _kind("AgentRinging", "AgentCalled", "An agent's phone rings with this caller.")
AgentAnswered = _kind("AgentAnswered", "AgentConnect", "The agent answered.")
AgentCompleted = _kind("AgentCompleted", "AgentComplete", "The call with the agent ended.")
AgentMissed = _kind("AgentMissed", "AgentRingNoAnswer", "The agent did not answer in time.")
AgentDumped = _kind("AgentDumped", "AgentDump", "The agent rejected the call.")
QueueChanged = _kind(
    "QueueChanged",
    "QueueMember*",
    "A member was added, removed, paused or changed state, or the whole state was resynced (queue None).",
)


def queue_changed(message: AmiMessage | None) -> QueueChanged:
    """The QueueChanged of a QueueMember* event, or of a resync (no message)."""
    get = message.get if message is not None else (lambda _: None)
    return QueueChanged(None, None, None, get("Queue"), None, None, get("Interface"), get("MemberName"))


EVENT_TYPES: dict[str, type[QueueEvent]] = {
    cls.ami_event.lower(): cls
    for cls in (
        CallerJoined,
        CallerLeft,
        CallerAbandoned,
        AgentRinging,
        AgentAnswered,
        AgentCompleted,
        AgentMissed,
        AgentDumped,
    )
}


def queue_event(message: AmiMessage, call_uuid: str | None) -> QueueEvent | None:
    """The typed event of an app_queue AMI event (None for any other event)."""
    cls = EVENT_TYPES.get((message.event or "").lower())
    if cls is None:
        return None
    return cls(
        call_uuid=call_uuid,
        uniqueid=message.get("Uniqueid"),
        linkedid=message.get("Linkedid"),
        queue=message.get("Queue"),
        caller_number=known_caller(message.get("CallerIDNum")),
        caller_name=known_caller(message.get("CallerIDName")),
        interface=message.get("Interface"),
        member_name=message.get("MemberName"),
        extra={k: v for k in DETAILS if (v := message.get(k)) is not None},
    )


Subscriber = Callable[[QueueEvent], Awaitable[None] | None]


class QueueEvents(Protocol):
    """Where consumers subscribe to the ACD event stream (QueueMonitor implements it)."""

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call `callback(event)` for every queue event, in arrival order; returns unsubscribe."""


class EventBus:
    """Publishes typed queue events to subscribers in order; a failing subscriber is logged, not fatal."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Add a subscriber; returns the function that removes it."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback) if callback in self._subscribers else None

    def __bool__(self) -> bool:
        return bool(self._subscribers)

    async def publish(self, event: QueueEvent) -> None:
        """Hand the event to each subscriber in turn (awaiting the async ones)."""
        for callback in list(self._subscribers):
            await call_safely(callback, event)
