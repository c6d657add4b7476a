"""QueueMonitor: feeds AMI events to LiveQueues, the hand-off tracker and the callback scheduler.

How this works: one `*` subscription on the AmiClient takes the queue-related events in arrival order:
LiveQueues is updated first, then the tracker's phase updates are written to the caller's transfer row
(CallStore.submit: survives a database outage), then Agent* and QueueCaller* events are resolved to
their call once and published as typed events (queues/events.py) to the subscribers (screen-pop,
metrics), and the callback scheduler gets a chance to dial. After
every (re)connect `resync()` asks QueueStatus and rebuilds LiveQueues from the reply, so events lost
while disconnected cannot leave ghosts; LiveQueues and the write-once timings make events that cross
the reply harmless. The call_uuid of a caller channel comes from its IVR_CALL_UUID VarSet, else from
the stored call whose agi_uniqueid is that channel's Uniqueid, else the newest with its Linkedid.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import select

from ivr.ami.client import AmiClient
from ivr.ami.codec import AmiMessage
from ivr.storage.models import Call
from ivr.storage.queue_ops import UpdateTransferPhases
from ivr.storage.records import CallHandle
from ivr.storage.store import CallStore
from queues.callbacks import CallbackScheduler
from queues.events import EventBus, Subscriber, queue_changed, queue_event
from queues.live import LiveQueues
from queues.transfer_timings import PhaseUpdate, TransferTimings

log = logging.getLogger("queues.monitor")

LISTENED = frozenset(
    {"agentcalled", "agentringnoanswer", "agentconnect", "agentcomplete", "agentdump"}
    | {"queuecallerjoin", "queuecallerleave", "queuecallerabandon"}
)
RELEVANT = LISTENED | {"varset", "hangup", "dialend", "originateresponse"}
# Events after which a callback may have become due (a caller left, an agent freed up).
TICKING = frozenset({"queuecallerleave", "agentcomplete", "agentringnoanswer", "agentdump"}) | {
    "queuememberpause",
    "queuememberstatus",
    "queuememberadded",
}
LOOKUP_TIMEOUT = 2.0
MAX_CACHED = 10_000


class QueueMonitor:
    """Keeps LiveQueues, transfer timings and callbacks in step with Asterisk over one AmiClient."""

    def __init__(
        self,
        ami: AmiClient,
        store: CallStore | None,
        live: LiveQueues,
        tracker: TransferTimings,
        scheduler: CallbackScheduler | None = None,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._ami, self._store, self.live, self.tracker = ami, store, live, tracker
        self.scheduler, self._clock = scheduler, clock
        self._bus = EventBus()
        self._unsubscribe: list[Callable[[], None]] = []
        self._call_uuids: dict[str, str] = {}  # caller Uniqueid -> call_uuid found in the store
        self._handles: dict[str, CallHandle] = {}  # call_uuid -> handle: keeps its writes in order
        self._changed = asyncio.Condition()
        self.seen: Counter[str] = Counter()  # events handled, by name (tests and metrics)
        self.resyncs = 0

    def start(self) -> None:
        """Subscribe to events and to (re)connects; calling it twice does nothing."""
        if not self._unsubscribe:
            self._unsubscribe = [self._ami.subscribe("*", self._on_event), self._ami.on_connect(self.resync)]

    def stop(self) -> None:
        """Unsubscribe from the AmiClient."""
        for undo in self._unsubscribe:
            undo()
        self._unsubscribe = []

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call `callback(event)` with each typed queue event (queues.events); returns unsubscribe."""
        return self._bus.subscribe(callback)

    async def run(self, tick_interval: float = 5.0) -> None:
        """Start, then give the callback scheduler a periodic tick (retries, expiry) until cancelled."""
        self.start()
        try:
            while True:
                await asyncio.sleep(tick_interval)  # a timer, not a wait for some event
                if self.scheduler is not None:
                    await self.scheduler.tick(self._clock())
        finally:
            self.stop()

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 60.0) -> None:  # noqa: ASYNC109
        """Wait until predicate() holds; re-checked after each handled event and resync."""
        # A generous default deadline: the tests that wait on it run on a loaded machine.
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), timeout)

    async def resync(self) -> None:
        """Rebuild LiveQueues from QueueStatus (run after every AMI login), then let callbacks catch up."""
        reply = await self._ami.send_action("QueueStatus")
        if not reply.ok:
            log.error("QueueStatus refused: %s", reply.message_text)
            return
        now = self._clock()
        self.live.rebuild(reply.events, now)
        for update in self.tracker.resync(reply.events, now):
            await self._write(update)
        if self.scheduler is not None:
            if not self.scheduler.restored:
                try:
                    await self.scheduler.restore()
                except Exception as exc:  # database down: try again at the next connect
                    log.error("pending callbacks not reloaded yet: %s", type(exc).__name__)
            await self.scheduler.tick(now)
        self.resyncs += 1
        await self._bus.publish(queue_changed(None))
        await self._notify()

    async def call_uuid_for(self, uniqueid: str | None, linkedid: str | None = None) -> str | None:
        """Our call_uuid for a caller channel: VarSet, else the stored call's agi_uniqueid, else Linkedid."""
        if not uniqueid:
            return None
        found = self.live.call_uuid_of(uniqueid) or self._call_uuids.get(uniqueid)
        if found is not None or self._store is None:
            return found
        by_channel = select(Call.call_uuid).where(Call.agi_uniqueid == uniqueid)
        try:
            async with asyncio.timeout(LOOKUP_TIMEOUT), self._store.session_factory() as session:
                found = await session.scalar(by_channel.order_by(Call.started_at.desc()).limit(1))
                if found is not None:
                    _bounded_set(self._call_uuids, uniqueid, found)
                elif linkedid:  # a channel our AGI did not run on (not cached: timings stay by channel)
                    by_link = select(Call.call_uuid).where(Call.linkedid == linkedid)
                    found = await session.scalar(by_link.order_by(Call.id.desc()).limit(1))
        except Exception as exc:  # the screen-pop and timings wait for the database, the events do not
            log.warning("call lookup for %s failed: %s", uniqueid, type(exc).__name__)
            return None
        return found

    async def _on_event(self, m: AmiMessage) -> None:
        name = (m.event or "").lower()
        if name not in RELEVANT and not name.startswith("queuemember"):
            return
        now = self._clock()
        if name == "originateresponse":
            if self.scheduler is not None:
                await self.scheduler.on_originate_response(m, now)
        else:
            await self._on_queue_event(name, m, now)
        self.seen[m.event or name] += 1
        await self._notify()

    async def _on_queue_event(self, name: str, m: AmiMessage, now: datetime) -> None:
        self.live.apply(m, now)
        for update in self.tracker.feed(m, now):
            await self._write(update)
        if name in LISTENED and self._bus:
            event = queue_event(m, await self.call_uuid_for(m.get("Uniqueid"), m.get("Linkedid")))
            if event is not None:
                await self._bus.publish(event)
        elif name.startswith("queuemember") and self._bus:
            await self._bus.publish(queue_changed(m))
        if name == "hangup":
            self._forget(m.get("Uniqueid") or "")
        if self.scheduler is not None and name in TICKING:
            await self.scheduler.tick(now)

    async def _write(self, update: PhaseUpdate) -> None:
        if self._store is None:
            return
        call_uuid = await self.call_uuid_for(update.uniqueid)
        if call_uuid is None:
            log.debug("%s for channel %s: not a call of ours", update.event, update.uniqueid)
            return
        handle = self._handles.get(call_uuid)
        if handle is None:
            handle = CallHandle(call_uuid)
            _bounded_set(self._handles, call_uuid, handle)
        await self._store.submit(UpdateTransferPhases(handle, dict(update.values)))

    def _forget(self, uniqueid: str) -> None:
        call_uuid = self.live.call_uuid_of(uniqueid) or self._call_uuids.pop(uniqueid, None)
        self.tracker.forget(uniqueid)
        self.live.forget(uniqueid)
        if call_uuid is not None:
            self._handles.pop(call_uuid, None)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()


def _bounded_set(mapping: dict, key: str, value: object) -> None:
    mapping[key] = value
    while len(mapping) > MAX_CACHED:
        mapping.pop(next(iter(mapping)))
