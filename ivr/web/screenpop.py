"""Screen-pop: when an agent's phone rings, the agent's browser gets everything the bot learned.

How this works: `attach(events)` subscribes to the ACD event stream (queues/events.py, published by
QueueMonitor, which has already resolved the caller's channel to our call). AgentRinging names the caller
(`uniqueid`, `call_uuid`) and the member (`interface`, `member_name`). We build the pop from the stored
call (transcript, the last transfer's context and summary, the caller's previous calls with their
dispositions) and send it to that agent only, remembering it as the agent's current pop so a browser that
reconnects gets it again. A call we do not know (not a bot call) still pops its number, name and queue.
AgentAnswered/AgentCompleted update the pop's state; AgentMissed and CallerAbandoned clear it;
on AgentAnswered the other agents rung for the same caller (ringall) lose theirs.
Caller-controlled text is carried as JSON strings and never interpreted here; the page shows it as text.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from aiohttp import web

from ivr.storage.desk import DispositionRecord
from ivr.storage.records import CallRecord, StorageUnavailable
from ivr.web.deps import DEPS, HUB, WebDeps
from ivr.web.hub import Hub
from queues.events import (
    AgentAnswered,
    AgentCompleted,
    AgentMissed,
    AgentRinging,
    CallerAbandoned,
    QueueEvent,
    QueueEvents,
)

log = logging.getLogger(__name__)

HISTORY_CALLS = 5
MAX_TURNS = 200
MAX_TEXT = 2000
RECENT_PER_AGENT = 50
POP_READ_TIMEOUT_S = 1.0


def interface_key(interface: str) -> str:
    """The member interface as configured: app_queue appends `/n` to Local channels it dials."""
    return interface[:-2] if interface.startswith("Local/") and interface.endswith("/n") else interface


def warm_pop(context: dict[str, Any]) -> dict[str, Any] | None:
    """The warm hand-off so far: earlier agents' choices and seconds (None without a briefing)."""
    warm = context.get("warm") if isinstance(context.get("warm"), dict) else {}
    offers = [o for o in warm.get("offers") or [] if isinstance(o, dict)][-10:]
    if not offers:
        return None
    keep = ("agent", "choice", "seconds", "at")
    return {"choice": warm.get("choice"), "offers": [{k: o.get(k) for k in keep} for o in offers]}


def _clip(text: str | None) -> str | None:
    """Bound one caller-controlled string so a pop stays a reasonable size."""
    return None if text is None else text[:MAX_TEXT]


def _transcript(call: CallRecord) -> list[dict[str, Any]]:
    """The turns, oldest first (the last MAX_TURNS of a very long call)."""
    return [
        {
            "seq": t.seq,
            "speaker": t.speaker,
            "text": _clip(t.text),
            "at": t.started_at.isoformat(),
            "dtmf": t.dtmf,
            "interrupted": t.interrupted,
            "confidence": t.confidence,
        }
        for t in call.turns[-MAX_TURNS:]
    ]


def _history(
    previous: list[CallRecord], dispositions: dict[str, list[DispositionRecord]]
) -> list[dict[str, Any]]:
    """Previous calls of the number with their outcome, reason and what agents recorded."""
    return [
        {
            "call_uuid": c.call_uuid,
            "started_at": c.started_at.isoformat(),
            "outcome": c.outcome,
            "reason": c.transfers[-1].reason if c.transfers else None,
            "summary": _clip(c.transfers[-1].summary) if c.transfers else None,
            "survey_score": c.survey_score,
            "dispositions": [
                {"category": d.category, "notes": _clip(d.notes), "resolved": d.resolved}
                for d in dispositions.get(c.call_uuid, [])
            ],
        }
        for c in previous
    ]


def build_pop(
    event: QueueEvent,
    call: CallRecord | None,
    previous: list[CallRecord],
    dispositions: dict[str, list[DispositionRecord]],
) -> dict[str, Any]:
    """The screen-pop message for an AgentCalled; strings are copied as data, never escaped or parsed."""
    pop: dict[str, Any] = {
        "type": "screenpop",
        "state": "ringing",
        "known": call is not None,
        "call_uuid": call.call_uuid if call else None,
        "uniqueid": event.uniqueid,
        "queue": event.queue,
        "caller": {
            "number": (call.caller_number if call else None) or event.caller_number,
            "name": _clip((call.caller_name if call else None) or event.caller_name),
        },
        "history": _history(previous, dispositions),
    }
    if call is None:
        return pop
    transfer = call.transfers[-1] if call.transfers else None
    context = dict(transfer.context) if transfer else {}
    pop.update(
        language=context.get("language") or call.language,
        tier=context.get("tier"),
        reason=transfer.reason if transfer else context.get("reason"),
        intent=context.get("intent"),
        intent_score=context.get("intent_score"),
        slots=context.get("slots") or {},
        sentiment=context.get("sentiment") or {},
        answers_tried=context.get("answers_tried") or [],
        summary=_clip(transfer.summary) if transfer else None,
        briefing=_clip((context.get("briefing") or {}).get("text")),
        warm=warm_pop(context),
        started_at=call.started_at.isoformat(),
        transcript=_transcript(call),
    )
    return pop


class ScreenPop:
    """Turns AMI agent events into screen-pops and updates on the agents' browsers."""

    def __init__(self, deps: WebDeps, hub: Hub, *, clock: Callable[[], float] = time.perf_counter) -> None:
        self._deps, self._hub, self._clock = deps, hub, clock
        self.latencies: list[float] = []  # seconds from AgentCalled arrival to the WebSocket send
        self._latency_added = asyncio.Condition()
        self._ringing: dict[str, set[str]] = {}  # caller Uniqueid -> agents holding a pop of it
        self._recent: dict[str, deque[str]] = {}  # agent id -> call uuids popped to them, newest last
        self._unsubscribe: list[Callable[[], None]] = []
        self._handlers = {
            AgentRinging: self.on_agent_called,
            AgentAnswered: self.on_agent_connect,
            AgentCompleted: self.on_agent_complete,
            AgentMissed: self.on_ring_no_answer,
            CallerAbandoned: self.on_caller_abandon,
        }

    def attach(self, events: QueueEvents) -> None:
        """Subscribe to the ACD event stream."""
        self._unsubscribe.append(events.subscribe(self.on_event))

    async def on_event(self, event: QueueEvent) -> None:
        """Dispatch one queue event to its handler (other events do not concern the pop)."""
        handler = self._handlers.get(type(event))
        if handler is not None:
            await handler(event)

    def detach(self) -> None:
        """Stop listening to AMI."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()

    def popped_to(self, agent_id: str, call_uuid: str) -> bool:
        """Whether this call was popped to this agent recently (they may act on it)."""
        return call_uuid in self._recent.get(agent_id, ())

    def resolve_agent(self, event: QueueEvent) -> str | None:
        """The agent id of the member an event names: by interface, else by member name."""
        agent_of = self._deps.agent_of
        if event.interface:
            found = agent_of(interface_key(event.interface)) or agent_of(event.interface)
            if found:
                return found
        return agent_of(event.member_name) if event.member_name else None

    async def on_agent_called(self, event: QueueEvent) -> None:
        """Build the pop for the ringing agent and send it to that agent only."""
        started = self._clock()
        agent_id = self.resolve_agent(event)
        if agent_id is None:
            log.info("screen-pop: no agent for interface %r / member %r", event.interface, event.member_name)
            return
        pop = await self._load_pop(event)
        if pop.get("call_uuid"):
            self._recent.setdefault(agent_id, deque(maxlen=RECENT_PER_AGENT)).append(pop["call_uuid"])
        if event.uniqueid:
            self._ringing.setdefault(event.uniqueid, set()).add(agent_id)
        self._hub.set_current(agent_id, pop)
        self._hub.send_to_agent(agent_id, pop, on_sent=lambda: self._record(started))

    async def _load_pop(self, event: QueueEvent) -> dict[str, Any]:
        """The pop from storage; with the database down, the pop of an unknown call."""
        store, desk = self._deps.store, self._deps.desk

        async def stored_context():
            uuid = event.call_uuid
            call = await store.get_call(uuid) if uuid else None  # after the call's own writes
            number = (call.caller_number if call else None) or event.caller_number
            previous = (
                await store.recent_calls(number, limit=HISTORY_CALLS + 1, with_turns=False) if number else []
            )
            previous = [c for c in previous if c.call_uuid != uuid][:HISTORY_CALLS]
            return call, previous, await desk.dispositions_for(c.call_uuid for c in previous)

        try:
            # The agent's phone is ringing: a slow database must not hold the pop back.
            call, previous, dispositions = await store.bounded(stored_context(), POP_READ_TIMEOUT_S)
        except (StorageUnavailable, OSError) as exc:
            log.warning("screen-pop without stored context: %s", exc)
            call, previous, dispositions = None, [], {}
        return build_pop(event, call, previous, dispositions)

    def _record(self, started: float) -> None:
        """Note one arrival-to-send latency and wake whoever waits for it."""
        self.latencies.append(self._clock() - started)
        self._deps.tasks.spawn(self._notify_latency(), name="screenpop-latency")

    async def _notify_latency(self) -> None:
        """Wake wait_latencies()."""
        async with self._latency_added:
            self._latency_added.notify_all()

    async def wait_latencies(self, count: int, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until at least `count` latencies are recorded (for benchmarks and tests)."""
        async with self._latency_added:
            await asyncio.wait_for(
                self._latency_added.wait_for(lambda: len(self.latencies) >= count), timeout
            )

    async def on_agent_connect(self, event: QueueEvent) -> None:
        """The agent answered: mark their pop connected; other agents rung for this caller lose theirs."""
        agent_id = self.resolve_agent(event)
        for other in self._ringing.pop(event.uniqueid or "", set()) - {agent_id}:
            self._clear(other, event, "answered_elsewhere")
        if agent_id is not None:
            self._update(agent_id, event, "connected")

    async def on_agent_complete(self, event: QueueEvent) -> None:
        """The call with the agent ended: the pop stays (for the disposition) marked completed."""
        if (agent_id := self.resolve_agent(event)) is not None:
            self._update(agent_id, event, "completed")

    async def on_ring_no_answer(self, event: QueueEvent) -> None:
        """The agent did not answer: their pop goes."""
        if (agent_id := self.resolve_agent(event)) is not None:
            self._ringing.get(event.uniqueid or "", set()).discard(agent_id)
            self._clear(agent_id, event, "missed")

    async def on_caller_abandon(self, event: QueueEvent) -> None:
        """The caller left the queue: every agent rung for them loses the pop."""
        for agent_id in self._ringing.pop(event.uniqueid or "", set()):
            self._clear(agent_id, event, "abandoned")

    def _update(self, agent_id: str, event: QueueEvent, state: str) -> None:
        """Set the state of the agent's current pop (if it is this caller's) and tell their browsers."""
        current = self._hub.current(agent_id)
        if current is not None and current.get("uniqueid") == event.uniqueid:
            self._hub.set_current(agent_id, {**current, "state": state})
        self._hub.send_to_agent(agent_id, self._update_message(agent_id, event, state, current))

    def _clear(self, agent_id: str, event: QueueEvent, state: str) -> None:
        """Drop the agent's current pop if it is this caller's, and tell their browsers."""
        current = self._hub.current(agent_id)
        if current is not None and current.get("uniqueid") == event.uniqueid:
            self._hub.set_current(agent_id, None)
        self._hub.send_to_agent(agent_id, self._update_message(agent_id, event, state, current))

    @staticmethod
    def _update_message(
        agent_id: str, event: QueueEvent, state: str, current: dict[str, Any] | None
    ) -> dict[str, Any]:
        """A call_update message for one agent."""
        same = current is not None and current.get("uniqueid") == event.uniqueid
        return {
            "type": "call_update",
            "state": state,
            "uniqueid": event.uniqueid,
            "call_uuid": current.get("call_uuid") if same and current else None,
            "details": event.extra,
        }


SCREENPOP = web.AppKey("screenpop", ScreenPop)


def add_routes(app: web.Application) -> None:
    """Create the app's ScreenPop and attach it to the ACD event stream (if any) at start-up."""
    pop = ScreenPop(app[DEPS], app[HUB])
    app[SCREENPOP] = pop

    async def attach(app: web.Application) -> None:
        events = app[DEPS].queue_events
        if events is not None:
            pop.attach(events)

    async def detach(app: web.Application) -> None:
        pop.detach()

    app.on_startup.append(attach)
    app.on_cleanup.append(detach)
