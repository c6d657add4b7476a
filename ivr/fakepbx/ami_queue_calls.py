"""Scripted queue calls for the fake AMI: the event sequences app_queue sends, shaped like the captures.

Each step updates the fake's queue model (waiting callers, member status) and emits the events a real
Asterisk sends at that point (field order and snapshots as in transfer-answered/ and abandon/). The
`*_steps()` helpers return the steps of a whole call (answered, abandoned, ring-no-answer then another
agent) as zero-argument coroutine functions, so a test can stop half-way (e.g. to drop the connection).
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from ivr.ami.codec import HeaderValue

Pairs = list[tuple[str, str]]
Step = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class QueueCall:
    """A caller channel that the fake queues: the channel that ran our AGI in the captures."""

    uniqueid: str
    queue: str
    linkedid: str = ""
    channel: str = ""
    number: str = "5551234"
    name: str = "Test Caller"
    priority: int = 0
    call_uuid: str | None = None

    @property
    def link(self) -> str:
        """The Linkedid (the first leg of the call)."""
        return self.linkedid or self.uniqueid

    @property
    def chan(self) -> str:
        """The channel name."""
        return self.channel or f"Local/100@hotline-{zlib.crc32(self.uniqueid.encode()):08x};2"


def caller_snapshot(call: QueueCall, prefix: str = "") -> Pairs:
    """The channel snapshot block of the caller, as in the captures (Priority 6: the Queue() line)."""
    fields = [
        ("Channel", call.chan), ("ChannelState", "6"), ("ChannelStateDesc", "Up"),
        ("CallerIDNum", call.number), ("CallerIDName", call.name),
        ("ConnectedLineNum", "<unknown>"), ("ConnectedLineName", "<unknown>"), ("Language", "en"),
        ("AccountCode", ""), ("Context", "hotline"), ("Exten", "100"), ("Priority", "6"),
        ("Uniqueid", call.uniqueid), ("Linkedid", call.link),
    ]  # fmt: skip
    return [(prefix + name, value) for name, value in fields]


def agent_leg(call: QueueCall, interface: str) -> tuple[str, str]:
    """(channel, uniqueid) of the member channel app_queue creates to ring `interface` for `call`."""
    tag = zlib.crc32(f"{call.uniqueid}|{interface}".encode())
    base = interface.removesuffix("/n")
    return f"{base}-{tag:08x};1", f"{call.uniqueid}.{tag % 100000}"


class FakeQueueCalls:
    """Queue call steps of the fake Asterisk (mixed into FakeAmiServer)."""

    queues: dict[str, dict[str, dict[str, str]]]
    entries: dict[str, list[dict[str, str]]]
    queue_stats: dict[str, dict[str, int]]

    async def emit(self, headers: Mapping[str, HeaderValue] | Pairs) -> None:
        """Provided by FakeAmiServer."""
        raise NotImplementedError

    async def queue_join(self, call: QueueCall) -> None:
        """The AGI's variables, then QueueCallerJoin at the caller's place (priority first)."""
        if call.call_uuid:
            await self._varset(call, "IVR_CALL_UUID", call.call_uuid)
        if call.priority:
            await self._varset(call, "QUEUE_PRIO", str(call.priority))
        waiting = self.entries.setdefault(call.queue, [])
        position = 1 + sum(int(e["priority"]) >= call.priority for e in waiting)
        entry = {"uniqueid": call.uniqueid, "channel": call.chan, "num": call.number, "name": call.name}
        entry.update(priority=str(call.priority), joined=str(time.time()))
        waiting.insert(position - 1, entry)
        await self._caller_event("QueueCallerJoin", call, Position=position, Count=len(waiting))

    async def agent_called(self, call: QueueCall, interface: str) -> None:
        """AgentCalled then DialBegin for one member."""
        await self._agent_event("AgentCalled", call, interface)
        channel, uniqueid = agent_leg(call, interface)
        dest = [("DestChannel", channel), ("DestUniqueid", uniqueid), ("DestLinkedid", call.link)]
        await self.emit([("Event", "DialBegin"), ("Privilege", "call,all"), *caller_snapshot(call), *dest,
                         ("DialString", interface)])  # fmt: skip

    async def agent_ring_no_answer(
        self, call: QueueCall, interface: str, ring_ms: int = 15000, status: str = "NOANSWER"
    ) -> None:
        """The member did not answer (or was busy): DialEnd with `status`, AgentRingNoAnswer."""
        await self._dial_end(call, interface, status)
        await self._agent_event("AgentRingNoAnswer", call, interface, RingTime=ring_ms)

    async def agent_connect(self, call: QueueCall, interface: str, ring_s: int = 0) -> None:
        """DialEnd ANSWER, QueueCallerLeave, AgentConnect, then the member's status goes in use."""
        await self._dial_end(call, interface, "ANSWER")
        waiting = self.entries.get(call.queue, [])
        position = next((i for i, e in enumerate(waiting, 1) if e["uniqueid"] == call.uniqueid), 1)
        hold = self._leave(call)
        await self._caller_event("QueueCallerLeave", call, Position=position, Count=len(waiting))
        await self._agent_event("AgentConnect", call, interface, HoldTime=hold, RingTime=ring_s)
        await self._member_status(call.queue, interface, InCall="1", Status="2")

    async def agent_complete(self, call: QueueCall, interface: str, talk: int, reason: str = "agent") -> None:
        """AgentComplete, the member back to not in use, the caller's Hangup."""
        stats = self.queue_stats.setdefault(call.queue, {})
        stats["completed"] = stats.get("completed", 0) + 1
        stats["talktime"] = talk
        member = self.queues[call.queue][interface]
        member["CallsTaken"] = str(int(member.get("CallsTaken", "0")) + 1)
        member["LastCall"] = str(int(time.time()))
        await self._agent_event("AgentComplete", call, interface, HoldTime=0, TalkTime=talk, Reason=reason)
        await self._member_status(call.queue, interface, InCall="0", Status="1")
        await self._hangup(call)

    async def dial_end(self, call: QueueCall, interface: str, status: str) -> None:
        """DialEnd of one member's dial (CANCEL when the caller left the queue)."""
        await self._dial_end(call, interface, status)

    async def redirected(self, channel: str) -> bool:
        """The caller's channel was redirected out of Queue(): QueueCallerAbandon, QueueCallerLeave."""
        for queue, waiting in self.entries.items():
            entry = next((e for e in waiting if e["channel"] == channel), None)
            if entry is None:
                continue
            call = QueueCall(uniqueid=entry["uniqueid"], queue=queue, channel=channel,
                             number=entry.get("num", ""), name=entry.get("name", ""))  # fmt: skip
            position = waiting.index(entry) + 1
            hold = int(time.time() - float(entry.get("joined", time.time())))
            await self._caller_event(
                "QueueCallerAbandon", call, Position=position, OriginalPosition=position, HoldTime=hold
            )
            self._leave(call)
            await self._caller_event("QueueCallerLeave", call, Position=position, Count=len(waiting))
            return True
        return False

    async def caller_abandon(self, call: QueueCall) -> None:
        """The caller hangs up while waiting: QueueCallerAbandon, QueueCallerLeave, Hangup."""
        waiting = self.entries.get(call.queue, [])
        position = next((i for i, e in enumerate(waiting, 1) if e["uniqueid"] == call.uniqueid), 1)
        entry = waiting[position - 1] if waiting else {}
        hold = int(time.time() - float(entry.get("joined", time.time())))
        stats = self.queue_stats.setdefault(call.queue, {})
        stats["abandoned"] = stats.get("abandoned", 0) + 1
        await self._caller_event(
            "QueueCallerAbandon", call, Position=position, OriginalPosition=position, HoldTime=hold
        )
        self._leave(call)
        await self._caller_event("QueueCallerLeave", call, Position=position, Count=len(waiting))
        await self._hangup(call)

    # -- whole calls -----------------------------------------------------------------------------------

    def answered_steps(self, call: QueueCall, interface: str, talk: int = 5) -> list[Step]:
        """Join, ring one member, connect, complete (the transfer-answered capture)."""
        return [
            lambda: self.queue_join(call),
            lambda: self.agent_called(call, interface),
            lambda: self.agent_connect(call, interface),
            lambda: self.agent_complete(call, interface, talk),
        ]

    def abandoned_steps(self, call: QueueCall) -> list[Step]:
        """Join, then the caller gives up (the abandon capture)."""
        return [lambda: self.queue_join(call), lambda: self.caller_abandon(call)]

    def ring_no_answer_steps(self, call: QueueCall, first: str, second: str, talk: int = 7) -> list[Step]:
        """Join, the first member rings out unanswered, the second one answers and completes."""
        return [
            lambda: self.queue_join(call),
            lambda: self.agent_called(call, first),
            lambda: self.agent_ring_no_answer(call, first),
            lambda: self.agent_called(call, second),
            lambda: self.agent_connect(call, second, ring_s=2),
            lambda: self.agent_complete(call, second, talk, reason="caller"),
        ]

    # -- helpers ---------------------------------------------------------------------------------------

    def _leave(self, call: QueueCall) -> int:
        waiting = self.entries.get(call.queue, [])
        for entry in waiting:
            if entry["uniqueid"] == call.uniqueid:
                waiting.remove(entry)
                return int(time.time() - float(entry["joined"]))
        return 0

    async def _varset(self, call: QueueCall, name: str, value: str) -> None:
        await self.emit([("Event", "VarSet"), ("Privilege", "dialplan,all"), *caller_snapshot(call),
                         ("Variable", name), ("Value", value)])  # fmt: skip

    async def _caller_event(self, event: str, call: QueueCall, **fields: object) -> None:
        body = [("Queue", call.queue), *((k, str(v)) for k, v in fields.items())]
        await self.emit([("Event", event), ("Privilege", "agent,all"), *caller_snapshot(call), *body])

    async def _agent_event(self, event: str, call: QueueCall, interface: str, **fields: object) -> None:
        channel, uniqueid = agent_leg(call, interface)
        member = self.queues.get(call.queue, {}).get(interface, {})
        dest = [
            ("DestChannel", channel), ("DestChannelState", "6"), ("DestChannelStateDesc", "Up"),
            ("DestCallerIDNum", call.number), ("DestCallerIDName", call.name),
            ("DestConnectedLineNum", call.number), ("DestConnectedLineName", call.name),
            ("DestLanguage", "en"), ("DestAccountCode", ""), ("DestContext", "agents"), ("DestExten", "100"),
            ("DestPriority", "1"), ("DestUniqueid", uniqueid), ("DestLinkedid", call.link),
        ]  # fmt: skip
        body = [
            ("Queue", call.queue),
            ("Interface", interface),
            ("MemberName", member.get("MemberName", interface)),
        ]
        extra = [(k, str(v)) for k, v in fields.items()]
        await self.emit(
            [("Event", event), ("Privilege", "agent,all"), *caller_snapshot(call), *dest, *body, *extra]
        )

    async def _dial_end(self, call: QueueCall, interface: str, status: str) -> None:
        channel, uniqueid = agent_leg(call, interface)
        dest = [("DestChannel", channel), ("DestUniqueid", uniqueid), ("DestLinkedid", call.link)]
        await self.emit([("Event", "DialEnd"), ("Privilege", "call,all"), *caller_snapshot(call), *dest,
                         ("DialStatus", status)])  # fmt: skip

    async def _member_status(self, queue: str, interface: str, **fields: str) -> None:
        member = self.queues[queue][interface]
        member.update(fields)
        await self.emit([("Event", "QueueMemberStatus"), ("Privilege", "agent,all"), *member.items()])

    async def _hangup(self, call: QueueCall) -> None:
        await self.emit([("Event", "Hangup"), ("Privilege", "call,all"), *caller_snapshot(call),
                         ("Cause", "16"), ("Cause-txt", "Normal Clearing")])  # fmt: skip
