"""Callbacks that keep the caller's place: stored when asked for, originated when their turn comes.

How this works: `request()` stores a row (state "requested") holding the caller's virtual place: the
Uniqueids of the callers who were ahead of them (waiting, priority >= theirs). `due(now)` (pure, read
from LiveQueues) picks the requests whose turn has come: every caller that was ahead has left the
queue, no caller with a higher priority is waiting, no earlier request of the queue is still waiting
for its turn, and an agent of the queue is free (one per free agent). `tick()` expires old requests,
times out originates that never got an answer, and sends AMI Originate for the due ones:
requested -> originating -> connected (OriginateResponse Success) or, on failure, back to requested
after a backoff until `max_attempts`, then failed. Every change is written through CallStore.submit, so
it survives a database outage, and `restore()` reloads pending rows after a restart (an originate whose
answer was lost counts as a failed attempt: better a retry than a caller never called back).
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ivr.ami.client import AmiClient
from ivr.ami.codec import AmiMessage
from ivr.ami.errors import AmiError
from ivr.storage.queue_ops import InsertCallback, UpdateCallback, pending_callbacks
from ivr.storage.records import CallHandle
from ivr.storage.store import CallStore
from queues.live import LiveQueues

log = logging.getLogger("queues.callbacks")

NUMBER = re.compile(r"^\+?[0-9]{2,32}$")
ORIGINATE_REASONS = {0: "failed", 1: "hung up", 3: "no answer", 4: "answered", 5: "busy", 8: "congestion"}


@dataclass(frozen=True)
class CallbackPolicy:
    """How callbacks are dialled and retried."""

    max_attempts: int = 3
    retry_backoff: float = 60.0  # seconds before the 2nd attempt; doubles for each later one
    ttl: float = 4 * 3600.0  # a request older than this is expired, never dialled
    originate_timeout: float = 120.0  # Originate Timeout (ms on the wire): the agent leg has to answer
    hold_context: str = "ivr-callback-hold"
    dial_context: str = "ivr-callback-dial"
    caller_id: str = ""  # what the called-back caller sees, e.g. '"Hotline" <5550100>'


@dataclass(frozen=True)
class CallbackTicket:
    """What the caller is told: the request id and their place in the queue."""

    callback_id: str
    position: int


@dataclass
class _Request:
    callback_id: str
    call_uuid: str | None
    number: str
    queue: str
    priority: int
    requested_at: datetime
    ahead: set[str]
    state: str = "requested"
    attempts: int = 0
    next_attempt_at: datetime | None = None
    expires_at: datetime | None = None
    originated_at: datetime | None = None
    handle: CallHandle = field(init=False)

    def __post_init__(self) -> None:
        # One handle per request keeps its writes in order through the store's per-call chain.
        self.handle = CallHandle(self.call_uuid or self.callback_id)


class CallbackScheduler:
    """Stores callback requests and originates them when the caller's turn in the queue comes."""

    def __init__(
        self,
        ami: AmiClient,
        store: CallStore,
        live: LiveQueues,
        policy: CallbackPolicy | None = None,
        *,
        active: bool = True,
    ) -> None:
        self._ami, self._store, self._live = ami, store, live
        self.policy = policy or CallbackPolicy()
        # Several workers: only the holder of the cluster's duty lease dials (ivr.cluster); the others
        # store requests and leave them to it (take_over() / step_down() follow the lease).
        self.active = active
        self._requests: dict[str, _Request] = {}
        self._finished: deque[str] = deque(maxlen=1000)  # ids ended here, whose final write may still wait
        self._lock = asyncio.Lock()
        self.restored = False
        hold = re.escape(self.policy.hold_context)
        self._channel = re.compile(rf"^Local/(?P<id>[^@/;]+)@{hold}\b")

    # -- public API ------------------------------------------------------------------------------------

    async def request(
        self,
        call_uuid: str | None,
        number: str,
        queue: str,
        priority: int,
        reason: str,
        summary: str,
        context: dict[str, Any],
        *,
        now: datetime | None = None,
    ) -> CallbackTicket:
        """Store a callback request that keeps the caller's place; ValueError for a bad number."""
        number = number.strip()
        if not NUMBER.match(number):
            raise ValueError("callback number must be 2-32 digits, optionally with a leading +")
        now = now or datetime.now(UTC)
        ahead = set(self._live.callers_ahead(queue, priority))
        async with self._lock:
            earlier = sum(r.queue == queue and r.priority >= priority for r in self._waiting())
            req = _Request(str(uuid.uuid4()), call_uuid, number, queue, priority, now, ahead)
            req.expires_at = now + timedelta(seconds=self.policy.ttl)
            if self.active:  # elsewhere the dialling worker picks the stored row up (sync())
                self._requests[req.callback_id] = req
            position = len(ahead) + earlier + 1
            values = {
                **self._row(req),
                "call_uuid": call_uuid,
                "number": number,
                "queue": queue,
                "priority": priority,
                "reason": reason[:255],
                "summary": summary,
                "context": dict(context),
                "caller_id": self.policy.caller_id or None,
                "position": position,
                "ahead": {"uniqueids": sorted(ahead)},
                "requested_at": now,
                "expires_at": req.expires_at,
            }
            await self._store.submit(InsertCallback(req.handle, values))
        return CallbackTicket(req.callback_id, position)

    def pending(self) -> list[dict[str, Any]]:
        """Requests not finished yet, for the supervisor view."""
        return [
            {"callback_id": r.callback_id, "queue": r.queue, "priority": r.priority, "state": r.state,
             "attempts": r.attempts, "waiting_for": len(self._still_ahead(r))}
            for r in self._requests.values()
        ]  # fmt: skip

    def due(self, now: datetime) -> list[str]:
        """Callback ids whose turn has come now, in the order to dial them (pure)."""
        result: list[str] = []
        for queue in sorted({r.queue for r in self._requests.values()}):
            free = self._live.agents_available(queue) - sum(
                r.queue == queue and r.state == "originating" for r in self._requests.values()
            )
            waiting = self._live.waiting(queue)
            for req in sorted(self._waiting(queue), key=lambda r: (-r.priority, r.requested_at)):
                if req.next_attempt_at is not None and req.next_attempt_at > now:
                    continue  # backing off after a failure: it does not hold the others back
                higher = any(p > req.priority for p in waiting.values())
                if self._still_ahead(req) or higher or free <= 0:
                    break  # keep the order: nobody behind this request may overtake it
                result.append(req.callback_id)
                free -= 1
        return result

    async def tick(self, now: datetime | None = None) -> None:
        """Expire, time out and originate whatever is due now."""
        if not self.active:
            return
        now = now or datetime.now(UTC)
        async with self._lock:
            for req in list(self._requests.values()):
                if req.state == "requested" and req.expires_at is not None and req.expires_at <= now:
                    await self._finish(req, "expired", now, "not dialled before it expired")
                elif req.state == "originating" and self._originate_overdue(req, now):
                    await self._failed(req, now, "no OriginateResponse")
            for callback_id in self.due(now):
                await self._originate(self._requests[callback_id], now)

    async def on_originate_response(self, m: AmiMessage, now: datetime | None = None) -> bool:
        """Handle an OriginateResponse; True when it was one of ours."""
        match = self._channel.match(m.get("Channel") or "")
        now = now or datetime.now(UTC)
        async with self._lock:
            req = self._requests.get(match.group("id")) if match else None
            if req is None or req.state != "originating":
                return False
            if (m.get("Response") or "").lower() == "success":
                await self._finish(req, "connected", now, None, connected_at=now)
            else:
                reason = ORIGINATE_REASONS.get(int(m.get("Reason") or 0), m.get("Reason") or "?")
                await self._failed(req, now, f"originate failed: {reason}")
        return True

    async def restore(self, *, keep_originating: bool = False) -> int:
        """Reload pending requests from the table (after a restart); returns how many were loaded.

        `keep_originating` (a cluster take-over): an originate another worker sent is still under way and
        its OriginateResponse reaches us too, so it is awaited (up to the usual timeout), not redialled.
        """
        if not self.active:
            return 0
        rows = await pending_callbacks(self._store.session_factory)
        now = datetime.now(UTC)
        loaded = 0
        async with self._lock:
            for row in rows:
                if row["callback_id"] in self._requests or row["callback_id"] in self._finished:
                    continue
                req = _Request(
                    row["callback_id"],
                    row["call_uuid"],
                    row["number"],
                    row["queue"],
                    row["priority"],
                    row["requested_at"],
                    set((row["ahead"] or {}).get("uniqueids", [])),
                    state="requested",
                    attempts=row["attempts"],
                    next_attempt_at=row["next_attempt_at"],
                    expires_at=row["expires_at"],
                )
                self._requests[req.callback_id] = req
                loaded += 1
                if row["state"] == "originating" and keep_originating:
                    req.state, req.originated_at = "originating", row["originated_at"] or now
                elif row["state"] == "originating":  # its answer was lost with the old process
                    await self._failed(req, now, "service restarted while originating")
        self.restored = True
        return loaded

    async def take_over(self) -> int:
        """This worker now holds the duty lease: start from the table, not from what it remembered."""
        async with self._lock:
            self._requests.clear()
            self.active = True
        return await self.restore(keep_originating=True)

    async def sync(self) -> int:
        """Pick up requests other workers stored since the last look (the lease holder, every period)."""
        return await self.restore(keep_originating=True) if self.active else 0

    async def step_down(self) -> None:
        """Another worker dials from now on (lease lost or draining): forget the requests held here."""
        async with self._lock:
            self.active = False
            self._requests.clear()

    # -- internals -------------------------------------------------------------------------------------

    def _waiting(self, queue: str | None = None) -> list[_Request]:
        return [
            r
            for r in self._requests.values()
            if r.state == "requested" and (queue is None or r.queue == queue)
        ]

    def _still_ahead(self, req: _Request) -> set[str]:
        return req.ahead & set(self._live.waiting(req.queue))

    def _originate_overdue(self, req: _Request, now: datetime) -> bool:
        limit = timedelta(seconds=self.policy.originate_timeout + 30)
        return req.originated_at is not None and now - req.originated_at > limit

    def _row(self, req: _Request, **extra: Any) -> dict[str, Any]:
        return {
            "callback_id": req.callback_id,
            "state": req.state,
            "attempts": req.attempts,
            "next_attempt_at": req.next_attempt_at,
            "updated_at": extra.pop("now", None) or req.requested_at,
            **extra,
        }

    async def _originate(self, req: _Request, now: datetime) -> None:
        req.state, req.attempts, req.originated_at = "originating", req.attempts + 1, now
        await self._store.submit(UpdateCallback(req.handle, self._row(req, now=now, originated_at=now)))
        headers = {
            "Channel": f"Local/{req.callback_id}@{self.policy.hold_context}/n",
            "Context": self.policy.dial_context,
            "Exten": req.number,
            "Priority": "1",
            "Async": "true",
            "Timeout": str(int(self.policy.originate_timeout * 1000)),
            "Variable": [
                f"IVR_CALLBACK_ID={req.callback_id}",
                f"IVR_QUEUE={req.queue}",
                f"IVR_PRIORITY={req.priority}",
            ],
        }
        if self.policy.caller_id:
            headers["CallerID"] = self.policy.caller_id
        try:
            reply = await self._ami.send_action("Originate", headers)
        except AmiError as exc:
            return await self._failed(req, now, f"originate not sent: {exc}")
        if not reply.ok:
            await self._failed(req, now, f"originate refused: {reply.message_text}")

    async def _failed(self, req: _Request, now: datetime, error: str) -> None:
        if req.attempts >= self.policy.max_attempts:
            return await self._finish(req, "failed", now, error)
        req.state = "requested"
        req.next_attempt_at = now + timedelta(
            seconds=self.policy.retry_backoff * 2 ** max(req.attempts - 1, 0)
        )
        log.warning("callback %s attempt %d failed: %s", req.callback_id, req.attempts, error)
        await self._store.submit(UpdateCallback(req.handle, self._row(req, now=now, last_error=error[:255])))

    async def _finish(
        self, req: _Request, state: str, now: datetime, error: str | None, **extra: Any
    ) -> None:
        req.state = state
        self._requests.pop(req.callback_id, None)
        self._finished.append(req.callback_id)
        log.info("callback %s %s after %d attempts", req.callback_id, state, req.attempts)
        values = self._row(req, now=now, finished_at=now, **extra)
        if error:
            values["last_error"] = error[:255]
        await self._store.submit(UpdateCallback(req.handle, values))
