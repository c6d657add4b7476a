"""Hub: every open desktop WebSocket, addressed by agent id, user id or role.

How this works: each browser holds one WebSocket (`/ws`). The hub keeps, per connection, a bounded
queue of encoded messages and one writer task that sends them in order; `send_*` only enqueue, so an
AMI event is never held up by a slow browser. A connection whose queue is full is closed (the browser
reconnects and gets the current state again), never the server slowed. For each agent the hub keeps the
"current" screen-pop, sent again to every new connection of that agent. aiohttp's heartbeat pings the
browser; one that does not answer is closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from ivr.tasks import TaskRegistry

log = logging.getLogger(__name__)

HEARTBEAT_S = 15.0
MAX_INCOMING_BYTES = 4096  # browsers only send tiny control messages
SEND_QUEUE = 64
MESSAGE_TYPES = frozenset({"screenpop", "call_update", "status", "supervisor", "hello"})


@dataclass(frozen=True, slots=True)
class Peer:
    """Who is at the other end of a connection."""

    user_id: int
    role: str
    agent_id: str | None
    session: str | None = None  # key of the session record (ivr.storage.web_sessions) it belongs to


@dataclass(frozen=True, slots=True)
class _Outgoing:
    """One encoded message and what to call once it has been written to the socket."""

    data: str
    on_sent: Callable[[], None] | None = None


@dataclass(eq=False)
class Connection:
    """One browser's WebSocket, its send queue and its writer task."""

    peer: Peer
    ws: web.WebSocketResponse
    queue: asyncio.Queue[_Outgoing] = field(default_factory=lambda: asyncio.Queue(SEND_QUEUE))
    dropped: bool = False


def encode(msg: dict[str, Any]) -> str:
    """JSON text of a hub message; refuses a message without a known `type` (our own misuse)."""
    if msg.get("type") not in MESSAGE_TYPES:
        raise ValueError(f"hub message type must be one of {sorted(MESSAGE_TYPES)}: {msg.get('type')!r}")
    return json.dumps(msg, ensure_ascii=False, separators=(",", ":"), default=str)


class Hub:
    """Routes desktop messages to the browsers that may see them."""

    def __init__(
        self,
        *,
        heartbeat: float = HEARTBEAT_S,
        send_queue: int = SEND_QUEUE,
        tasks: TaskRegistry | None = None,
    ) -> None:
        self.heartbeat = heartbeat  # seconds between pings; a browser that misses one is closed
        self._send_queue = send_queue
        self._connections: set[Connection] = set()
        self._current: dict[str, dict[str, Any]] = {}
        self.slow_dropped = 0  # connections closed because their browser fell behind
        self.connected = asyncio.Condition()  # notified on every connect and disconnect
        self._tasks = tasks or TaskRegistry()  # closes of slow browsers, kept until done

    # -- sending ---------------------------------------------------------------------------------------

    def send_to_agent(
        self, agent_id: str, msg: dict[str, Any], *, on_sent: Callable[[], None] | None = None
    ) -> int:
        """Queue `msg` for every connection of this agent; returns how many; `on_sent` after the first."""
        return self._send(lambda p: p.agent_id == agent_id, msg, on_sent)

    def send_to_user(self, user_id: int, msg: dict[str, Any]) -> int:
        """Queue `msg` for every connection of this user."""
        return self._send(lambda p: p.user_id == user_id, msg, None)

    def broadcast(self, role: str, msg: dict[str, Any]) -> int:
        """Queue `msg` for every connection whose user has this role."""
        return self._send(lambda p: p.role == role, msg, None)

    def set_current(self, agent_id: str, msg: dict[str, Any] | None) -> None:
        """Remember (or with None forget) the agent's current screen-pop, re-sent on every reconnect."""
        if msg is None:
            self._current.pop(agent_id, None)
        else:
            encode(msg)  # refuse a bad message now, not at the next reconnect
            self._current[agent_id] = msg

    def current(self, agent_id: str) -> dict[str, Any] | None:
        """The agent's current screen-pop, or None."""
        return self._current.get(agent_id)

    def peers(self) -> list[Peer]:
        """Who is connected now (one entry per connection)."""
        return [c.peer for c in self._connections]

    def _send(
        self, match: Callable[[Peer], bool], msg: dict[str, Any], on_sent: Callable[[], None] | None
    ) -> int:
        """Encode once, queue on every matching connection; the first one written reports `on_sent`."""
        data = encode(msg)
        count = 0
        for conn in list(self._connections):
            if match(conn.peer) and self._enqueue(conn, _Outgoing(data, on_sent if count == 0 else None)):
                count += 1
        return count

    def _enqueue(self, conn: Connection, item: _Outgoing) -> bool:
        """Queue one message; a full queue means the browser is too slow: close it."""
        if conn.dropped:
            return False
        try:
            conn.queue.put_nowait(item)
            return True
        except asyncio.QueueFull:
            conn.dropped = True
            self.slow_dropped += 1
            log.warning(
                "desktop: user %d's browser fell %d messages behind: closed",
                conn.peer.user_id,
                self._send_queue,
            )
            self._tasks.spawn(conn.ws.close(code=1013, message=b"too slow"), name="desktop-close-slow")
            return False

    # -- connections -----------------------------------------------------------------------------------

    async def serve(self, request: web.Request, peer: Peer, hello: dict[str, Any]) -> web.WebSocketResponse:
        """Run one browser's WebSocket until it closes: hello, the current pop, then queued messages."""
        ws = web.WebSocketResponse(heartbeat=self.heartbeat, max_msg_size=MAX_INCOMING_BYTES)
        await ws.prepare(request)
        conn = Connection(peer, ws, asyncio.Queue(self._send_queue))
        self._enqueue(conn, _Outgoing(encode(hello)))
        if peer.agent_id is not None and (pop := self._current.get(peer.agent_id)) is not None:
            self._enqueue(conn, _Outgoing(encode(pop)))
        writer = asyncio.get_running_loop().create_task(self._write_loop(conn))
        await self._changed(lambda: self._connections.add(conn))
        try:
            await self._read_loop(ws)
        finally:
            await self._changed(lambda: self._connections.discard(conn))
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
            await ws.close()
        return ws

    async def _changed(self, change: Callable[[], None]) -> None:
        """Apply a change to the connection set and wake whoever waits on `connected`."""
        async with self.connected:
            change()
            self.connected.notify_all()

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until predicate() holds; re-checked at every connect and disconnect."""
        async with self.connected:
            await asyncio.wait_for(self.connected.wait_for(predicate), timeout)

    @staticmethod
    async def _read_loop(ws: web.WebSocketResponse) -> None:
        """Read until the browser goes; what it sends is not acted on (aiohttp answers its pings)."""
        async for message in ws:
            if message.type == WSMsgType.ERROR:
                break

    @staticmethod
    async def _write_loop(conn: Connection) -> None:
        """Send queued messages in order until the socket closes."""
        while True:
            item = await conn.queue.get()
            try:
                await conn.ws.send_str(item.data)
            except (ConnectionError, RuntimeError):
                return
            if item.on_sent is not None:
                item.on_sent()

    async def close_sessions(self, keys: set[str], reason: str) -> int:
        """Close every connection of these sessions at once (logout, disabled user, new password)."""
        closing = [c for c in list(self._connections) if c.peer.session in keys]
        for conn in closing:
            conn.dropped = True  # nothing more is queued for it from now on
            log.info("desktop: user %d's connection closed: %s", conn.peer.user_id, reason)
            await conn.ws.close(code=4001, message=reason.encode()[:120])
        return len(closing)

    async def close_all(self) -> None:
        """Close every browser connection (server shutdown); browsers reconnect to the next server."""
        for conn in list(self._connections):
            await conn.ws.close(code=1001, message=b"server shutdown")
