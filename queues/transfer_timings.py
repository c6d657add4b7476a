"""Hand-off phase timings from AMI queue events, as updates for the caller's transfer row (pure).

How this works: one small record per queued caller channel (its Uniqueid, which is the call's
agi_uniqueid). Each queue event of that caller yields a PhaseUpdate naming transfer columns:
QueueCallerJoin -> queued_at; AgentCalled -> agent_called_at (the first ring; later rings only raise
ring_attempts, so "ringing" spans every attempt); AgentConnect -> answered_at, agent_interface,
agent_name, hold_seconds (HoldTime); AgentComplete -> completed_at, talk_seconds (TalkTime), end_party
(caller, agent or transfer); AgentDump -> completed_at, end_party "dump"; QueueCallerAbandon ->
abandoned_at, hold_seconds (how long they waited), abandon_position. Timestamps are written once
(the op COALESCEs), counts are absolute values, so a replayed event cannot duplicate anything. After an
AMI reconnect, `resync()` gives queued_at (now - Wait) to callers that joined while we were away.
The event's own `Timestamp` header (timestampevents=yes) wins over the `now` passed in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ivr.ami.codec import AmiMessage

MAX_TRACKED = 10_000


def event_time(m: AmiMessage, now: datetime) -> datetime:
    """When Asterisk raised the event: its Timestamp header (epoch seconds) if any, else `now`."""
    stamp = m.get("Timestamp")
    if stamp:
        try:
            return datetime.fromtimestamp(float(stamp), UTC)
        except (ValueError, OverflowError, OSError):
            pass
    return now


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


@dataclass(frozen=True)
class PhaseUpdate:
    """Columns to set on the latest transfer of the call whose queue channel is `uniqueid`."""

    event: str
    uniqueid: str
    linkedid: str | None
    values: Mapping[str, Any]


@dataclass
class _Track:
    queue: str
    rings: int = 0


class TransferTimings:
    """Turns queue events into transfer phase updates, one caller channel at a time."""

    def __init__(self) -> None:
        self._tracks: dict[str, _Track] = {}

    @property
    def tracked(self) -> int:
        """Caller channels currently followed."""
        return len(self._tracks)

    def feed(self, m: AmiMessage, now: datetime) -> list[PhaseUpdate]:
        """The updates one AMI event implies (usually none or one)."""
        name, uid = (m.event or "").lower(), m.get("Uniqueid") or ""
        handler = _HANDLERS.get(name)
        if handler is None or not uid:
            return []
        values = handler(self, m, uid, event_time(m, now))
        if not values:
            return []
        return [PhaseUpdate(m.event or name, uid, m.get("Linkedid"), values)]

    def resync(self, entries: Iterable[AmiMessage], now: datetime) -> list[PhaseUpdate]:
        """After a reconnect: queued_at for QueueStatus entries that joined while events were lost."""
        updates = []
        for entry in entries:
            uid = entry.get("Uniqueid") or ""
            if (entry.event or "").lower() != "queueentry" or not uid or uid in self._tracks:
                continue
            self._track(uid, entry.get("Queue") or "")
            wait = _seconds(entry.get("Wait")) or 0.0
            values = {"queued_at": now - timedelta(seconds=wait), "queue_uniqueid": uid}
            updates.append(PhaseUpdate("QueueEntry", uid, entry.get("Linkedid"), values))
        return updates

    def forget(self, uniqueid: str) -> None:
        """Stop following a caller channel (it hung up)."""
        self._tracks.pop(uniqueid, None)

    # -- per event -------------------------------------------------------------------------------------

    def _track(self, uid: str, queue: str) -> _Track:
        track = self._tracks.get(uid)
        if track is None:
            while len(self._tracks) >= MAX_TRACKED:  # lost hang-ups must not grow this forever
                self._tracks.pop(next(iter(self._tracks)))
            track = self._tracks[uid] = _Track(queue)
        return track

    def _join(self, m: AmiMessage, uid: str, at: datetime) -> dict[str, Any]:
        self._track(uid, m.get("Queue") or "")
        return {"queued_at": at, "queue_uniqueid": uid}

    def _called(self, m: AmiMessage, uid: str, at: datetime) -> dict[str, Any]:
        track = self._track(uid, m.get("Queue") or "")
        track.rings += 1
        return {"agent_called_at": at, "ring_attempts": track.rings}

    def _connect(self, m: AmiMessage, uid: str, at: datetime) -> dict[str, Any]:
        self._track(uid, m.get("Queue") or "")
        values: dict[str, Any] = {
            "answered_at": at,
            "agent_interface": m.get("Interface"),
            "agent_name": m.get("MemberName"),
        }
        if (hold := _seconds(m.get("HoldTime"))) is not None:
            values["hold_seconds"] = hold
        return values

    def _complete(self, m: AmiMessage, uid: str, at: datetime) -> dict[str, Any]:
        self._tracks.pop(uid, None)
        dumped = (m.event or "").lower() == "agentdump"
        values: dict[str, Any] = {"completed_at": at, "end_party": "dump" if dumped else m.get("Reason")}
        if (talk := _seconds(m.get("TalkTime"))) is not None:
            values["talk_seconds"] = talk
        if (hold := _seconds(m.get("HoldTime"))) is not None:
            values["hold_seconds"] = hold
        return values

    def _abandon(self, m: AmiMessage, uid: str, at: datetime) -> dict[str, Any]:
        self._tracks.pop(uid, None)
        values: dict[str, Any] = {"abandoned_at": at, "end_party": "caller"}
        if (hold := _seconds(m.get("HoldTime"))) is not None:
            values["hold_seconds"] = hold
        if (position := _seconds(m.get("Position"))) is not None:
            values["abandon_position"] = int(position)
        return values


_HANDLERS = {
    "queuecallerjoin": TransferTimings._join,
    "agentcalled": TransferTimings._called,
    "agentconnect": TransferTimings._connect,
    "agentcomplete": TransferTimings._complete,
    "agentdump": TransferTimings._complete,
    "queuecallerabandon": TransferTimings._abandon,
}
