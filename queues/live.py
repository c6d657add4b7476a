"""Live queue state from AMI: callers waiting, members and what they are doing (implements QueueStatusView).

How this works: a pure state machine. `apply(message, now)` folds one AMI event into the state;
`rebuild(items, now)` replaces it with the items of a QueueStatus list reply (QueueParams, QueueMember,
QueueEntry), which the monitor asks for after every (re)connect. Events are idempotent (a join of a caller
already listed, a leave of one already gone, a member status that matches, change nothing), so events
that crossed the QueueStatus reply on the wire do no harm when applied after the rebuild. Member state is
derived, most telling first: unavailable (device invalid/unavailable), talking (AgentConnect until
AgentComplete, or InCall / an in-use device), ringing (AgentCalled until it connects, gets no answer or
is cancelled), paused, ready. Caller positions follow Asterisk: a join at Position p pushes p.. back, a
leave closes the gap. `now` is passed in; nothing here reads a clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ivr.ami.codec import AmiMessage
from queues.live_records import BUSY_STATUS, LiveCaller, LiveMember, LiveQueue, ami_int
from queues.live_views import PAUSED as PAUSED  # re-exported with the other member states
from queues.live_views import READY, RINGING, TALKING, QueueView, queue_view
from queues.live_views import UNAVAILABLE as UNAVAILABLE
from queues.live_views import CallerView as CallerView  # re-exported: callers import the views from here
from queues.live_views import MemberView as MemberView
from queues.status import WaitEstimate
from queues.wait import QueueLoad, WaitEstimator

MEMBER_EVENTS = frozenset(
    {
        "queuememberstatus",
        "queuememberadded",
        "queuememberpause",
        "queuememberpenalty",
        "queuememberringinuse",
    }
)
MAX_CHANNEL_VARS = 20_000


class LiveQueues:
    """Callers and members of every queue as AMI reports them; a QueueStatusView for routing."""

    def __init__(
        self, estimator: WaitEstimator | None = None, *, uuid_variables: tuple[str, ...] = ("IVR_CALL_UUID",)
    ) -> None:
        self.estimator = estimator or WaitEstimator()
        self._uuid_variables = frozenset(v.upper() for v in uuid_variables)
        self._queues: dict[str, LiveQueue] = {}
        self._call_uuids: dict[str, str] = {}  # channel Uniqueid -> our call_uuid (VarSet)
        self._priorities: dict[str, int] = {}  # channel Uniqueid -> QUEUE_PRIO (VarSet)
        self._ring_legs: dict[str, tuple[str, str]] = {}  # member channel Uniqueid -> (queue, interface)
        self._talk_seed: dict[str, int] = {}  # QueueParams TalkTime of the last rebuild

    # -- QueueStatusView ------------------------------------------------------------------------------

    def agents_logged_in(self, queue: str) -> int:
        """Members of the queue that are logged in (paused or not)."""
        return len(self._queues[queue].members) if queue in self._queues else 0

    def agents_available(self, queue: str) -> int:
        """Members that could take a call now: logged in, not paused, not ringing or talking."""
        return sum(m.state == READY for m in self._members(queue))

    def agents_staffed(self, queue: str) -> int:
        """Members who will take calls: not paused and reachable (busy ones count)."""
        return sum(m.state in (READY, RINGING, TALKING) and not m.paused for m in self._members(queue))

    def estimate(self, queue: str, priority: int) -> WaitEstimate | None:
        """Position and expected wait for a new caller with this priority; None when nothing is known."""
        if queue not in self._queues:
            return None
        load = QueueLoad(
            ahead=len(self.callers_ahead(queue, priority)),
            available=self.agents_available(queue),
            staffed=self.agents_staffed(queue),
        )
        return self.estimator.estimate(queue, load)

    # -- queries ---------------------------------------------------------------------------------------

    def queues(self) -> list[str]:
        """Names of the queues known from AMI."""
        return sorted(self._queues)

    def callers_ahead(self, queue: str, priority: int) -> list[str]:
        """Uniqueids of the waiting callers a new caller of this priority would stand behind."""
        q = self._queues.get(queue)
        if q is None:
            return []
        return [
            c.uniqueid for c in sorted(q.callers.values(), key=lambda c: c.position) if c.priority >= priority
        ]

    def waiting(self, queue: str) -> dict[str, int]:
        """Waiting callers of a queue: uniqueid -> priority."""
        q = self._queues.get(queue)
        return {c.uniqueid: c.priority for c in q.callers.values()} if q else {}

    def member_interfaces(self, queue: str) -> list[str]:
        """Interfaces of the queue's members."""
        return sorted(self._queues[queue].members) if queue in self._queues else []

    def presence_of(self, interfaces: list[str]) -> dict[str, str] | None:
        """The agent's status as Asterisk has it: ready or paused (with the reason) in some queue; None if
        none of the interfaces is a member of any queue."""
        members = [q.members[i] for q in self._queues.values() for i in interfaces if i in q.members]
        if not members:
            return None
        paused = [m for m in members if m.paused]
        if len(paused) == len(members):
            return {"status": "paused", "reason": paused[0].paused_reason}
        return {"status": "ready", "reason": ""}

    def call_uuid_of(self, uniqueid: str | None) -> str | None:
        """Our call_uuid for an Asterisk channel Uniqueid, when a VarSet told it."""
        return self._call_uuids.get(uniqueid) if uniqueid else None

    def member_wrapup(self, queue: str, interface: str | None) -> int:
        """The member's wrap-up seconds (0 when unknown)."""
        member = self._queues[queue].members.get(interface or "") if queue in self._queues else None
        return member.wrapup if member else 0

    def snapshot(self, now: datetime) -> list[QueueView]:
        """Every queue for the supervisor view, callers by position."""
        return [
            queue_view(q, now, self._call_uuids, self.estimator.handle_seconds(q.name))
            for _, q in sorted(self._queues.items())
        ]

    # -- feeding -----------------------------------------------------------------------------------------

    def apply(self, m: AmiMessage, now: datetime) -> None:
        """Fold one AMI event into the state (unknown events are ignored)."""
        name = (m.event or "").lower()
        handler = _HANDLERS.get(name)
        if handler is not None:
            handler(self, m, now)
        elif name in MEMBER_EVENTS:
            self._member_event(m)

    def rebuild(self, items: list[AmiMessage] | tuple[AmiMessage, ...], now: datetime) -> None:
        """Replace the state with a QueueStatus reply, keeping what only events could tell."""
        old, self._queues, self._talk_seed = self._queues, {}, {}
        for item in items:
            queue_name = item.get("Queue")
            if not queue_name:
                continue
            q = self._queues.setdefault(queue_name, LiveQueue(queue_name))
            kind = (item.event or "").lower()
            if kind == "queueparams":
                self._params(q, item)
            elif kind == "queuemember":
                self._status_member(q, old.get(queue_name), item)
            elif kind == "queueentry":
                self._status_entry(q, old.get(queue_name), item, now)
        for q in self._queues.values():
            for member in q.members.values():
                if member.ringing_for not in q.callers:
                    member.ringing_for = None
            wrapups = [m.wrapup for m in q.members.values()]
            self.estimator.seed(q.name, self._talk_seed.get(q.name, 0), sum(wrapups) / max(len(wrapups), 1))

    # -- event handlers ------------------------------------------------------------------------------

    def _join(self, m: AmiMessage, now: datetime) -> None:
        q, uid = self._queue(m.get("Queue")), m.get("Uniqueid")
        if q is None or not uid or uid in q.callers:
            return
        position = ami_int(m.get("Position"), len(q.callers) + 1)
        for c in q.callers.values():
            if c.position >= position:
                c.position += 1
        priority = self._priorities.get(uid, 0)
        q.callers[uid] = LiveCaller(uid, position, now, priority, m.get("Channel"), m.get("CallerIDNum"))

    def _leave(self, m: AmiMessage, now: datetime) -> None:
        q = self._queues.get(m.get("Queue") or "")
        caller = q.callers.pop(m.get("Uniqueid") or "", None) if q else None
        if q is None or caller is None:
            return
        for c in q.callers.values():
            if c.position > caller.position:
                c.position -= 1
        # A member ringing for this caller keeps ringing: an answered call leaves before AgentConnect.

    def _abandon(self, m: AmiMessage, now: datetime) -> None:
        if q := self._queues.get(m.get("Queue") or ""):
            q.abandoned += 1

    def _called(self, m: AmiMessage, now: datetime) -> None:
        member = self._member(m)
        if member is not None:
            member.ringing_for = m.get("Uniqueid")
            if dest := m.get("DestUniqueid"):
                self._ring_legs[dest] = (m.get("Queue") or "", member.interface)

    def _not_answered(self, m: AmiMessage, now: datetime) -> None:
        member = self._member(m)
        if member is not None and member.talking_with is None:
            member.ringing_for = None
        self._ring_legs.pop(m.get("DestUniqueid") or "", None)

    def _dial_end(self, m: AmiMessage, now: datetime) -> None:
        # Members still ringing when another answers get DialEnd CANCEL, not AgentRingNoAnswer.
        leg = self._ring_legs.pop(m.get("DestUniqueid") or "", None)
        if leg is None or (m.get("DialStatus") or "").upper() == "ANSWER":
            return
        q = self._queues.get(leg[0])
        member = q.members.get(leg[1]) if q else None
        if member is not None and member.talking_with is None:
            member.ringing_for = None

    def _connect(self, m: AmiMessage, now: datetime) -> None:
        member = self._member(m)
        if member is not None:
            member.ringing_for, member.talking_with = None, m.get("Uniqueid")
        self._ring_legs.pop(m.get("DestUniqueid") or "", None)

    def _complete(self, m: AmiMessage, now: datetime) -> None:
        q, member = self._queue(m.get("Queue")), self._member(m)
        if member is not None:
            member.talking_with, member.in_call = None, False
            if member.status in BUSY_STATUS:
                member.status = 1
        if q is not None and (m.event or "").lower() == "agentcomplete":
            q.completed += 1
            wrapup = member.wrapup if member else 0
            self.estimator.record(q.name, ami_int(m.get("TalkTime")), wrapup)

    def _removed(self, m: AmiMessage, now: datetime) -> None:
        if q := self._queues.get(m.get("Queue") or ""):
            q.members.pop(m.get("Interface") or "", None)

    def _varset(self, m: AmiMessage, now: datetime) -> None:
        uid, variable = m.get("Uniqueid"), (m.get("Variable") or "").upper()
        if not uid or uid == "none":
            return
        if variable in self._uuid_variables and m.get("Value"):
            _bounded_set(self._call_uuids, uid, m.get("Value") or "")
        elif variable == "QUEUE_PRIO":
            _bounded_set(self._priorities, uid, ami_int(m.get("Value")))

    def _hangup(self, m: AmiMessage, now: datetime) -> None:
        uid = m.get("Uniqueid") or ""
        self._priorities.pop(uid, None)
        self._ring_legs.pop(uid, None)
        for q in self._queues.values():
            if uid in q.callers:  # a leave we never saw (events lost): do not keep a ghost caller
                self._leave(AmiMessage((("Queue", q.name), ("Uniqueid", uid))), now)
            for member in q.members.values():
                if member.ringing_for == uid:
                    member.ringing_for = None
        # _call_uuids is kept: late Agent* events and the hand-off tracker still need it.

    def forget(self, uniqueid: str) -> None:
        """Drop what is remembered about a channel once nobody needs it (called by the monitor)."""
        self._call_uuids.pop(uniqueid, None)

    # -- helpers ---------------------------------------------------------------------------------------

    def _queue(self, name: str | None) -> LiveQueue | None:
        if not name:
            return None
        return self._queues.setdefault(name, LiveQueue(name))

    def _members(self, queue: str) -> list[LiveMember]:
        q = self._queues.get(queue)
        return list(q.members.values()) if q else []

    def _member(self, m: AmiMessage) -> LiveMember | None:
        q, interface = self._queue(m.get("Queue")), m.get("Interface")
        if q is None or not interface:
            return None
        member = q.members.get(interface)
        if member is None:  # an event for a member we never heard of: learn it
            member = q.members[interface] = LiveMember(interface, m.get("MemberName") or interface)
        return member

    def _member_event(self, m: AmiMessage) -> None:
        member = self._member(m)
        if member is not None:
            member.update(m)

    def _params(self, q: LiveQueue, item: AmiMessage) -> None:
        q.completed, q.abandoned = ami_int(item.get("Completed")), ami_int(item.get("Abandoned"))
        self._talk_seed[q.name] = ami_int(item.get("TalkTime"))

    def _status_member(self, q: LiveQueue, old: LiveQueue | None, item: AmiMessage) -> None:
        interface = item.get("Location") or item.get("Interface")
        if not interface:
            return
        member = LiveMember(interface, item.get("Name") or interface)
        member.update(item)
        before = old.members.get(interface) if old else None
        if before is not None:
            # Only events say who rings for whom; keep it while the snapshot agrees.
            if before.talking_with and (member.in_call or member.status in BUSY_STATUS):
                member.talking_with = before.talking_with
            member.ringing_for = before.ringing_for
        q.members[interface] = member

    def _status_entry(self, q: LiveQueue, old: LiveQueue | None, item: AmiMessage, now: datetime) -> None:
        uid = item.get("Uniqueid")
        if not uid:
            return
        before = old.callers.get(uid) if old else None
        joined = before.joined_at if before else now - timedelta(seconds=ami_int(item.get("Wait")))
        priority = ami_int(item.get("Priority"), self._priorities.get(uid, 0))
        position = ami_int(item.get("Position"), len(q.callers) + 1)
        q.callers[uid] = LiveCaller(
            uid, position, joined, priority, item.get("Channel"), item.get("CallerIDNum")
        )


def _bounded_set(mapping: dict, key: str, value: object) -> None:
    mapping.pop(key, None)
    mapping[key] = value
    while len(mapping) > MAX_CHANNEL_VARS:  # oldest first: dicts keep insertion order
        mapping.pop(next(iter(mapping)))


_HANDLERS = {
    "queuecallerjoin": LiveQueues._join,
    "queuecallerleave": LiveQueues._leave,
    "queuecallerabandon": LiveQueues._abandon,
    "agentcalled": LiveQueues._called,
    "agentringnoanswer": LiveQueues._not_answered,
    "dialend": LiveQueues._dial_end,
    "agentconnect": LiveQueues._connect,
    "agentcomplete": LiveQueues._complete,
    "agentdump": LiveQueues._complete,
    "queuememberremoved": LiveQueues._removed,
    "varset": LiveQueues._varset,
    "hangup": LiveQueues._hangup,
}
