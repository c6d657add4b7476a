"""AMI client, the asyncio edge around the sans-IO codec.

We wrote our own instead of using panoramisk's Manager, whose protocol object cannot do an MD5 login,
never checks ping replies (dead TCP goes unnoticed), treats "Added interface to queue" acks as list starts
(the future never resolves), raises inside data_received on an Originate without Async, decodes each TCP
chunk with errors="ignore" (a split UTF-8 character is lost) and reconnects in a tight loop on bad
credentials.

How this works: `run()` loops forever: connect, read the banner, log in (MD5 challenge or plain secret),
then one session runs a reader task, a ping task and the `on_connect` callbacks until the socket ends,
a ping goes unanswered or Asterisk sends garbage; then the client waits an exponential backoff with jitter
and starts again. Actions are kept in `_pending` by ActionID until their reply is complete, so ones still
waiting when a connection drops are written again after the next login. Events go to subscribers through
a bounded queue so a slow callback never stalls the reader.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping
from typing import Literal

from ivr.ami.backoff import Backoff
from ivr.ami.codec import AmiBanner, AmiMessage, HeaderValue, encode_action
from ivr.ami.connection import AmiResponse, Connection, ConnectionLost, Pending, send_quietly
from ivr.ami.dispatch import EventCallback, EventDispatcher, call_safely
from ivr.ami.errors import AmiClosedError, AmiLoginError, AmiProtocolError, AmiTimeoutError
from ivr.errors import LocalProtocolError

log = logging.getLogger(__name__)

READ_CHUNK = 65536


class AmiClient:
    """Keeps one logged-in AMI session to Asterisk alive and multiplexes actions and events over it."""

    def __init__(
        self,
        host: str,
        port: int,
        username: str,
        secret: str,
        *,
        auth: Literal["md5", "plain"] = "md5",
        events: str = "on",
        ping_interval: float = 10.0,
        ping_timeout: float = 5.0,
        action_timeout: float = 10.0,
        backoff_initial: float = 0.5,
        backoff_max: float = 30.0,
    ) -> None:
        if auth not in ("md5", "plain"):
            raise ValueError(f"auth must be 'md5' or 'plain', got {auth!r}")
        self.host, self.port, self.username = host, port, username
        self._secret, self._auth, self._events = secret, auth, events
        self._ping_interval, self._ping_timeout = ping_interval, ping_timeout
        self._action_timeout = action_timeout
        self._backoff = Backoff(backoff_initial, backoff_max)
        self._dispatcher = EventDispatcher()
        self._on_connect: list[Callable[[], Awaitable[None] | None]] = []
        self._pending: dict[str, Pending] = {}
        self._conn: Connection | None = None  # set only while logged in
        self._connected = asyncio.Event()
        self._stop = asyncio.Event()
        self._stopped = asyncio.Event()
        self._running = self._closed = False
        self._ids = itertools.count(1)
        self._id_prefix = secrets.token_hex(4)

    @property
    def connected(self) -> asyncio.Event:
        """Set while logged in; cleared as soon as the connection is lost. Do not set/clear it yourself."""
        return self._connected

    @property
    def dropped_events(self) -> int:
        """Events dropped because subscribers fell more than 10 000 events behind."""
        return self._dispatcher.dropped

    async def wait_connected(self, timeout: float | None = None) -> None:  # noqa: ASYNC109
        """Wait until logged in; AmiTimeoutError after `timeout` seconds."""
        try:
            await asyncio.wait_for(self._connected.wait(), timeout)
        except TimeoutError:
            raise AmiTimeoutError(f"AMI not connected within {timeout}s") from None

    def subscribe(self, pattern: str, callback: EventCallback) -> Callable[[], None]:
        """Call `callback(message)` (sync or async) for events named `pattern` or `*`; returns unsubscribe."""
        return self._dispatcher.subscribe(pattern, callback)

    def on_connect(self, callback: Callable[[], Awaitable[None] | None]) -> Callable[[], None]:
        """Run `callback()` after every successful login (e.g. to resync state); returns unregister."""
        self._on_connect.append(callback)

        def unregister() -> None:
            if callback in self._on_connect:
                self._on_connect.remove(callback)

        return unregister

    async def send_action(
        self,
        action: str,
        headers: Mapping[str, HeaderValue] | None = None,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 (a per-action timeout is part of the API)
    ) -> AmiResponse:
        """Send an action and wait for its reply (and list items); waits for the connection if down.

        `timeout` (default `action_timeout`) covers the wait for a connection too. Error replies are
        returned (`ok` False), not raised; AmiTimeoutError / AmiClosedError are raised.
        """
        if self._closed:
            raise AmiClosedError("AMI client is closed")
        headers = dict(headers or {})
        if any(name.lower() == "actionid" for name in headers):
            raise LocalProtocolError("send_action generates the ActionID itself")
        pending = self._new_pending(action, headers, internal=False)
        limit = self._action_timeout if timeout is None else timeout
        try:
            async with asyncio.timeout(limit):
                conn = self._conn
                if conn is not None and pending.sent_on is None:
                    pending.sent_on = conn
                    await send_quietly(conn, pending.data)
                return await pending.future
        except TimeoutError:
            raise AmiTimeoutError(f"no complete reply to AMI {action} within {limit}s") from None
        finally:
            self._pending.pop(pending.action_id, None)

    async def run(self) -> None:
        """Connect, log in and stay connected (reconnecting with backoff) until `close()`."""
        if self._running or self._closed:
            raise LocalProtocolError("AmiClient.run() is already running or the client is closed")
        self._running = True
        try:
            async with asyncio.TaskGroup() as group:
                dispatching = group.create_task(self._dispatcher.run())
                connecting = group.create_task(self._connect_loop())
                await self._stop.wait()
                connecting.cancel()
                dispatching.cancel()
        finally:
            self._closed, self._running = True, False
            self._connected.clear()
            self._fail_pending(AmiClosedError("AMI client closed"))
            self._stopped.set()

    async def close(self) -> None:
        """Log off, stop `run()`, fail waiting actions with AmiClosedError; no task is left behind."""
        conn = self._conn
        if conn is not None:
            # Best effort: a polite Logoff spares Asterisk a "client disconnected" warning.
            conn.writer.write(encode_action("Logoff", {"ActionID": self._next_id()}))
        self._closed = True
        self._stop.set()
        if self._running:
            await self._stopped.wait()
        else:
            self._fail_pending(AmiClosedError("AMI client closed"))

    # -- connection lifecycle ---------------------------------------------------------------------------

    async def _connect_loop(self) -> None:
        while True:
            try:
                await self._session()
            except Exception as exc:
                self._log_session_end(exc)
            delay = self._backoff.next_delay()
            log.info("AMI reconnecting to %s:%d in %.2fs", self.host, self.port, delay)
            await asyncio.sleep(delay)

    async def _session(self) -> None:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(self.host, self.port), self._action_timeout
        )
        conn = Connection(reader, writer)
        try:
            async with asyncio.TaskGroup() as group:
                reading = group.create_task(self._read_loop(conn))
                await self._login(conn)
                await self._logged_in(conn, group)
                group.create_task(self._ping_loop(conn))
                await reading
                raise ConnectionLost("Asterisk closed the connection")
        finally:
            self._session_ended(conn)
            await conn.close()

    async def _login(self, conn: Connection) -> None:
        async with asyncio.timeout(self._action_timeout):
            await conn.banner
            if self._auth == "md5":
                challenge = await self._internal(conn, "Challenge", {"AuthType": "MD5"})
                nonce = challenge.message.get("Challenge")
                if not challenge.ok or not nonce:
                    raise AmiLoginError(challenge.message_text or "no MD5 challenge in the reply")
                key = hashlib.md5((nonce + self._secret).encode()).hexdigest()
                credentials = {"AuthType": "MD5", "Key": key}
            else:
                credentials = {"Secret": self._secret}
            login = await self._internal(
                conn, "Login", {"Username": self.username, **credentials, "Events": self._events}
            )
            if not login.ok:
                raise AmiLoginError(login.message_text or f"Response: {login.message.response}")

    async def _logged_in(self, conn: Connection, group: asyncio.TaskGroup) -> None:
        # Written synchronously (no await until drain) so send_action cannot interleave a duplicate.
        for pending in self._pending.values():
            if not pending.internal and not pending.future.done() and pending.sent_on is not conn:
                pending.sent_on = conn
                conn.writer.write(pending.data)
        self._conn = conn
        self._connected.set()
        self._backoff.reset()
        log.info("AMI logged in to %s:%d as %r", self.host, self.port, self.username)
        for callback in list(self._on_connect):
            group.create_task(call_safely(callback))
        await conn.writer.drain()

    async def _ping_loop(self, conn: Connection) -> None:
        while True:
            await asyncio.sleep(self._ping_interval)
            try:
                async with asyncio.timeout(self._ping_timeout):
                    await self._internal(conn, "Ping", {})
            except TimeoutError:
                raise ConnectionLost(f"no reply to Ping within {self._ping_timeout}s") from None

    def _session_ended(self, conn: Connection) -> None:
        if self._conn is conn:
            self._conn = None
        self._connected.clear()
        self._fail_internal(conn)
        for pending in self._pending.values():
            if not pending.internal and pending.sent_on is conn:
                # Re-sent from scratch after the next login: forget a half-collected list.
                pending.response = None
                pending.events.clear()

    def _log_session_end(self, exc: Exception) -> None:
        cause = _root_cause(exc)
        reason = str(cause) or type(cause).__name__
        if isinstance(cause, AmiLoginError):
            log.error("AMI login to %s:%d as %r failed: %s", self.host, self.port, self.username, reason)
        elif isinstance(cause, OSError | TimeoutError | AmiProtocolError):
            log.warning("AMI connection to %s:%d ended: %s", self.host, self.port, reason)
        else:
            log.error("AMI session to %s:%d crashed", self.host, self.port, exc_info=cause)

    # -- reading ----------------------------------------------------------------------------------------

    async def _read_loop(self, conn: Connection) -> None:
        while data := await conn.reader.read(READ_CHUNK):
            for item in conn.decoder.feed(data):
                if isinstance(item, AmiBanner):
                    conn.banner.set_result(item)
                else:
                    self._on_message(item)
        # EOF: whoever waits for a login or ping reply on this connection learns it now.
        self._fail_internal(conn)

    def _on_message(self, message: AmiMessage) -> None:
        action_id = message.action_id
        pending = self._pending.get(action_id) if action_id is not None else None
        if pending is None or pending.future.done():
            self._unclaimed(message)
        elif message.event is None:
            pending.on_response(message)
        elif pending.response is not None:
            pending.on_list_item(message)
        else:
            # Carries our ActionID but is no list item (OriginateResponse, UserEvent): subscribers' business.
            self._dispatcher.put(message)

    def _unclaimed(self, message: AmiMessage) -> None:
        if message.event is not None:
            self._dispatcher.put(message)
        else:
            log.debug("AMI reply for no waiting action: %s", message.action_id)

    # -- pending actions --------------------------------------------------------------------------------

    def _next_id(self) -> str:
        return f"ivr-{self._id_prefix}-{next(self._ids)}"

    def _new_pending(self, action: str, headers: Mapping[str, HeaderValue], *, internal: bool) -> Pending:
        action_id = self._next_id()
        data = encode_action(action, {**headers, "ActionID": action_id})
        future: asyncio.Future[AmiResponse] = asyncio.get_running_loop().create_future()
        pending = Pending(action_id, data, future, internal)
        self._pending[action_id] = pending
        return pending

    async def _internal(self, conn: Connection, action: str, headers: Mapping[str, str]) -> AmiResponse:
        pending = self._new_pending(action, headers, internal=True)
        pending.sent_on = conn
        try:
            await conn.send(pending.data)
            return await pending.future
        finally:
            self._pending.pop(pending.action_id, None)

    def _fail_internal(self, conn: Connection) -> None:
        lost = ConnectionLost("AMI connection lost")
        if not conn.banner.done():
            conn.banner.set_exception(lost)
            conn.banner.exception()  # mark retrieved: nobody may be waiting for it any more
        for pending in self._pending.values():
            if pending.internal and pending.sent_on is conn and not pending.future.done():
                pending.future.set_exception(lost)

    def _fail_pending(self, error: Exception) -> None:
        for pending in self._pending.values():
            if not pending.future.done():
                pending.future.set_exception(error)


def _root_cause(exc: BaseException) -> BaseException:
    # TaskGroup wraps a session's end in an ExceptionGroup; a login refusal is the most useful to report.
    if not isinstance(exc, BaseExceptionGroup):
        return exc
    causes = [_root_cause(inner) for inner in exc.exceptions]
    return next((c for c in causes if isinstance(c, AmiLoginError)), causes[0])
