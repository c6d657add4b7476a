"""The queue part of the fake AMI server: member model, queue actions, QueueStatus with waiting callers.

Mixed into FakeAmiServer (ivr.fakepbx.ami), which provides `emit()`, `queues` (queue -> interface ->
QueueMemberStatus headers), `entries` (queue -> waiting callers, head first) and `queue_stats`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

from ivr.ami.codec import AmiMessage, HeaderValue

if TYPE_CHECKING:
    from ivr.fakepbx.ami import FakeAmiSession

TRUE_WORDS = frozenset({"yes", "true", "y", "t", "1", "on"})  # Asterisk's ast_true()
Pairs = list[tuple[str, str]]


class FakeQueueActions:
    """Queue actions of the fake Asterisk, on an in-memory model of queues, members and callers."""

    queues: dict[str, dict[str, dict[str, str]]]
    entries: dict[str, list[dict[str, str]]]
    queue_stats: dict[str, dict[str, int]]

    async def emit(self, headers: Mapping[str, HeaderValue] | list[tuple[str, str]]) -> None:
        """Provided by FakeAmiServer."""
        raise NotImplementedError

    def add_member(self, queue: str, interface: str, **fields: object) -> dict[str, str]:
        """Put a member in a queue's model; `fields` override QueueMemberStatus headers (MemberName=...)."""
        member = dict(_pairs(MEMBER, queue=queue, interface=interface, login=int(time.time())))
        member.update((name, str(value)) for name, value in fields.items())
        self.queues.setdefault(queue, {})[interface] = member
        return member

    async def action_queueadd(self, session: FakeAmiSession, request: AmiMessage) -> None:
        """QueueAdd: add a dynamic member; QueueMemberAdded follows the ack."""
        queue, interface = request.get("Queue") or "", request.get("Interface") or ""
        if not queue or not interface:
            error = "'Queue' or 'Interface' not set."
        elif queue not in self.queues:
            error = "Unable to add interface to queue: No such queue"
        elif interface in self.queues[queue]:
            error = "Unable to add interface: Already there"
        else:
            optional = {k: v for k in ("MemberName", "StateInterface") if (v := request.get(k))}
            paused = int(_true(request.get("Paused")))
            penalty = request.get("Penalty") or "0"
            member = self.add_member(
                queue, interface, Membership="dynamic", Paused=paused, Penalty=penalty, **optional
            )
            await session.respond(request, "Success", "Added interface to queue")
            return await self._member_event("QueueMemberAdded", member)
        await session.respond(request, "Error", error)

    async def action_queueremove(self, session: FakeAmiSession, request: AmiMessage) -> None:
        """QueueRemove: only dynamic members can go; QueueMemberRemoved follows the ack."""
        queue, interface = request.get("Queue") or "", request.get("Interface") or ""
        member = self.queues.get(queue, {}).get(interface)
        if not queue or not interface:
            error = "Need 'Queue' and 'Interface' parameters."
        elif queue not in self.queues:
            error = "Unable to remove interface from queue: No such queue"
        elif member is None:
            error = "Unable to remove interface: Not there"
        elif member["Membership"] != "dynamic":
            error = "Member not dynamic"
        else:
            del self.queues[queue][interface]
            await session.respond(request, "Success", "Removed interface from queue")
            return await self._member_event("QueueMemberRemoved", member)
        await session.respond(request, "Error", error)

    async def action_queuepause(self, session: FakeAmiSession, request: AmiMessage) -> None:
        """QueuePause: (un)pause the interface in one queue, or in all when Queue is omitted."""
        interface, paused = request.get("Interface"), request.get("Paused")
        if not interface or not paused:
            return await session.respond(request, "Error", "Need 'Interface' and 'Paused' parameters.")
        if not (members := self._members(request.get("Queue"), interface)):
            return await session.respond(request, "Error", "Interface not found")
        on = _true(paused)
        await session.respond(request, "Success", f"Interface {'paused' if on else 'unpaused'} successfully")
        for member in members:
            member.update(Paused=str(int(on)), PausedReason=request.get("Reason") or "")
            if on:
                member["LastPause"] = str(int(time.time()))
            await self._member_event("QueueMemberPause", member)

    async def action_queuepenalty(self, session: FakeAmiSession, request: AmiMessage) -> None:
        """QueuePenalty: set the penalty in one queue, or in all when Queue is omitted."""
        interface, penalty = request.get("Interface"), request.get("Penalty")
        if not interface or not penalty:
            return await session.respond(request, "Error", "Need 'Interface' and 'Penalty' parameters.")
        members = self._members(request.get("Queue"), interface)
        if not penalty.isdigit() or not members:
            return await session.respond(request, "Error", "Invalid interface, queuename or penalty")
        await session.respond(request, "Success", "Interface penalty set successfully")
        for member in members:
            member["Penalty"] = penalty
            await self._member_event("QueueMemberPenalty", member)

    async def action_queuestatus(self, session: FakeAmiSession, request: AmiMessage) -> None:
        """QueueStatus: QueueParams, QueueMember and QueueEntry items, then QueueStatusComplete."""
        items: list[list[tuple[str, str]]] = []
        wanted = request.get("Member")
        for queue, members in self._queues_for(request):
            entries = self.entries.get(queue, [])
            stats = self.queue_stats.get(queue, {})
            items.append(_pairs(QUEUE_PARAMS, queue=queue, calls=len(entries), **_stats(stats)))
            for m in members.values():
                if not wanted or wanted in (m["MemberName"], m["Interface"]):
                    # QueueStatus calls MemberName `Name` and Interface `Location`, and has no Ringinuse.
                    renamed = [(QUEUE_MEMBER_NAMES.get(k, k), v) for k, v in m.items() if k != "Ringinuse"]
                    items.append([("Event", "QueueMember"), *renamed])
            if not wanted:
                items += [_entry_item(queue, position, entry) for position, entry in enumerate(entries, 1)]
        await self._list_reply(session, request, "Queue status will follow", "QueueStatusComplete", items)

    async def action_queuesummary(self, session: FakeAmiSession, request: AmiMessage) -> None:
        """QueueSummary: one QueueSummary item per queue, then QueueSummaryComplete."""
        items = []
        for queue, members in self._queues_for(request):
            available = sum(m["Paused"] == "0" and m["Status"] == "1" for m in members.values())
            callers = len(self.entries.get(queue, []))
            items.append(
                _pairs(
                    QUEUE_SUMMARY, queue=queue, logged_in=len(members), available=available, callers=callers
                )
            )
        await self._list_reply(session, request, "Queue summary will follow", "QueueSummaryComplete", items)

    def _members(self, queue: str | None, interface: str) -> list[dict[str, str]]:
        return [
            members[interface]
            for name, members in self.queues.items()
            if (not queue or name == queue) and interface in members
        ]

    def _queues_for(self, request: AmiMessage) -> list[tuple[str, dict[str, dict[str, str]]]]:
        wanted = request.get("Queue")
        return [(name, members) for name, members in self.queues.items() if not wanted or name == wanted]

    async def _member_event(self, event: str, member: Mapping[str, str]) -> None:
        await self.emit([("Event", event), ("Privilege", "agent,all"), *member.items()])

    async def _list_reply(
        self, session: FakeAmiSession, request: AmiMessage, text: str, complete: str, items: list[Pairs]
    ) -> None:
        action_id = [("ActionID", request.action_id)] if request.action_id is not None else []
        await session.respond(request, "Success", text, event_list="start")
        for item in items:
            await session.send([*item, *action_id])
        count = str(len(items))
        await session.send([("Event", complete), *action_id, ("EventList", "Complete"), ("ListItems", count)])


MEMBER = (
    "Queue: {queue}|MemberName: {interface}|Interface: {interface}|StateInterface: {interface}|"
    "Membership: static|Penalty: 0|CallsTaken: 0|LastCall: 0|LastPause: 0|"
    "LoginTime: {login}|InCall: 0|Status: 1|Paused: 0|PausedReason: |Ringinuse: 1|Wrapuptime: 0"
)
QUEUE_PARAMS = (
    "Event: QueueParams|Queue: {queue}|Max: 0|Strategy: leastrecent|Calls: {calls}|Holdtime: {holdtime}|"
    "TalkTime: {talktime}|Completed: {completed}|Abandoned: {abandoned}|ServiceLevel: 0|"
    "ServicelevelPerf: 0.0|ServicelevelPerf2: 0.0|Weight: 0"
)
QUEUE_SUMMARY = (
    "Event: QueueSummary|Queue: {queue}|LoggedIn: {logged_in}|Available: {available}|Callers: {callers}|"
    "HoldTime: 0|TalkTime: 0|LongestHoldTime: 0"
)
QUEUE_ENTRY = (
    "Event: QueueEntry|Queue: {queue}|Position: {position}|Channel: {channel}|Uniqueid: {uniqueid}|"
    "CallerIDNum: {num}|CallerIDName: {name}|ConnectedLineNum: {num}|ConnectedLineName: {name}|"
    "Wait: {wait}|Priority: {priority}"
)
QUEUE_MEMBER_NAMES = {"MemberName": "Name", "Interface": "Location"}


def _pairs(layout: str, **values: object) -> Pairs:
    pairs = []
    for line in layout.split("|"):
        name, _, value = line.partition(": ")
        pairs.append((name, value.format(**values)))
    return pairs


def _true(value: str | None) -> bool:
    return (value or "").lower() in TRUE_WORDS


def _stats(stats: Mapping[str, int]) -> dict[str, int]:
    keys = ("holdtime", "talktime", "completed", "abandoned")
    return {key: int(stats.get(key, 0)) for key in keys}


def _entry_item(queue: str, position: int, entry: Mapping[str, str]) -> Pairs:
    wait = int(time.time() - float(entry.get("joined", time.time())))
    values = {k: entry.get(k, "") for k in ("channel", "uniqueid", "num", "name")}
    return _pairs(
        QUEUE_ENTRY, queue=queue, position=position, wait=wait, priority=entry.get("priority", "0"), **values
    )


def lab_queues() -> dict[str, dict[str, dict[str, str]]]:
    """The queues of the captures' lab-queues.conf: `support` with its static agent1, empty `billing`."""
    agent1 = {"MemberName": "Agent One", "StateInterface": "Local/agent1@agents"}
    return {"support": {"Local/agent1@agents/n": agent1}, "billing": {}}
