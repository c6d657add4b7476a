"""Fake Asterisk AMI server for tests: the replies, texts and event shapes of the real captures.

How this works: every TCP client gets the captured banner, then each action it sends is recorded in
`actions` and handled by a per-action handler (built-ins below, `set_handler()` to add or override).
Before login only Login, Challenge and Logoff are accepted, as in manager.c. ModuleCheck and ShowDialPlan
answer from `modules` and `dialplan` (ami_core). Queue actions work on a tiny in-memory model (by default
the lab's `support` queue with its static member and an empty `billing`), so QueueStatus reflects
earlier QueueAdd/QueuePause calls. `emit()` and `replay()` push events to every
logged-in client; `drop_connections()`, `paused` and `stop_answering_pings()` simulate network trouble.
Tests wait on `wait_until(predicate)`, which wakes on every recorded change, never on sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import inspect
import itertools
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path

from ivr.ami.codec import AmiDecoder, AmiMessage, HeaderValue, encode_message
from ivr.ami.errors import AmiProtocolError
from ivr.fakepbx.ami_core import STOCK_MODULES, Context, FakeCoreActions, load_dialplan
from ivr.fakepbx.ami_queue import FakeQueueActions, _pairs, _true, lab_queues
from ivr.fakepbx.ami_queue_calls import FakeQueueCalls

BANNER = b"Asterisk Call Manager/13.0.0\r\n"
LIST_COMMANDS_HINT = "Use Action: ListCommands to show available commands."
PRE_LOGIN_ACTIONS = frozenset({"login", "challenge", "logoff"})

Headers = Mapping[str, HeaderValue] | Iterable[tuple[str, str]]
Handler = Callable[["FakeAmiSession", AmiMessage], Awaitable[None] | None]


class FakeAmiSession:
    """One client connection as the fake Asterisk sees it."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.username: str | None = None
        self.authenticated = False
        self.events = True
        self.challenge: str | None = None

    async def send(self, headers: Headers) -> None:
        """Send one message (event or response)."""
        await self.send_raw(encode_message(headers))

    async def send_raw(self, data: bytes) -> None:
        """Send bytes as they are (e.g. a captured event)."""
        if self.writer.is_closing():
            return
        self.writer.write(data)
        with contextlib.suppress(OSError):
            await self.writer.drain()

    async def respond(
        self,
        request: AmiMessage,
        response: str = "Success",
        message: str | None = None,
        extra: Iterable[tuple[str, str]] = (),
        *,
        event_list: str | None = None,
    ) -> None:
        """Reply like astman_send_response: Response, ActionID, [EventList], [Message], extra headers."""
        headers = [("Response", response)]
        if request.action_id is not None:
            headers.append(("ActionID", request.action_id))
        if event_list is not None:
            headers.append(("EventList", event_list))
        if message is not None:
            headers.append(("Message", message))
        await self.send([*headers, *extra])

    async def close(self) -> None:
        """Close the socket (the client sees EOF)."""
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()


class FakeAmiServer(FakeQueueActions, FakeQueueCalls, FakeCoreActions):
    """An AMI peer on a real TCP socket for integration tests (users maps username to secret)."""

    def __init__(
        self, users: Mapping[str, str], *, queues: Mapping[str, Mapping[str, Mapping[str, str]]] | None = None
    ) -> None:
        self.users = dict(users)
        self.actions: list[AmiMessage] = []
        self.paused = False
        self.answer_pings = True
        self.connections = 0
        self.logins = 0
        self.originate_reason = 4  # 4 answered; 0 fail, 1 hangup, 3 no answer, 5 busy, 8 congestion
        self.variables: dict[tuple[str, str], str] = {}
        self.queues: dict[str, dict[str, dict[str, str]]] = {}
        self.entries: dict[str, list[dict[str, str]]] = {}  # waiting callers per queue, head first
        self.queue_stats: dict[str, dict[str, int]] = {}  # QueueParams holdtime/talktime/completed/...
        self.originate_reasons: list[int] = []  # Reasons for the next async Originates, then originate_reason
        self.modules: set[str] = set(STOCK_MODULES)  # loaded modules, for ModuleCheck
        self.dialplan: dict[str, Context] = {}  # for ShowDialPlan; load_dialplan() reads real files
        for queue, members in (lab_queues() if queues is None else queues).items():
            self.queues[queue] = {}
            for interface, fields in members.items():
                self.add_member(queue, interface, **fields)
        self._handlers: dict[str, Handler] = {
            name[7:]: getattr(self, name) for name in dir(self) if name.startswith("action_")
        }
        self._sessions: set[FakeAmiSession] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None
        self._changed = asyncio.Condition()
        self._ids = itertools.count()

    # -- lifecycle and test controls --------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on host:port (0 picks a free port; read it from `port`)."""
        self._server = await asyncio.start_server(self._handle, host, port)

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        assert self._server is not None, "start() first"
        return self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        """Stop listening, close every client and wait for their handlers to finish."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        await self.drop_connections()
        if not self._tasks:
            return
        _, held = await asyncio.wait(set(self._tasks), timeout=5)
        # A handler a test holds (and never releases, because the test failed) must not hang the run.
        for task in held:
            task.cancel()
        await asyncio.gather(*held, return_exceptions=True)

    async def drop_connections(self) -> None:
        """Close every client socket, as if Asterisk restarted."""
        await asyncio.gather(*(session.close() for session in list(self._sessions)))

    def stop_answering_pings(self) -> None:
        """Keep the socket open but never reply to Ping, like a hung Asterisk."""
        self.answer_pings = False

    def load_dialplan(self, config_dir: Path, filename: str = "extensions.conf") -> None:
        """Load the dialplan from real files laid out like /etc/asterisk (includes resolve against it)."""
        self.dialplan = load_dialplan(config_dir, filename)

    def set_handler(self, action: str, handler: Handler) -> None:
        """Handle `action` (case-insensitive) with `handler(session, request)`, sync or async."""
        self._handlers[action.lower()] = handler

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 60.0) -> None:  # noqa: ASYNC109
        """Wait until predicate() holds; re-checked after every connection, action and disconnect."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), timeout)

    def actions_named(self, action: str) -> list[AmiMessage]:
        """Recorded actions called `action` (case-insensitive)."""
        return [a for a in self.actions if (a.action or "").lower() == action.lower()]

    @property
    def logged_in_sessions(self) -> list[FakeAmiSession]:
        """Connected clients that completed a login."""
        return [s for s in self._sessions if s.authenticated]

    async def emit(self, headers: Headers) -> None:
        """Send an event to every logged-in client that asked for events."""
        await self._broadcast(encode_message(headers))

    async def replay(self, capture_file: str | Path, *, only_events: bool = True) -> None:
        """Send the captured Asterisk messages (byte for byte, in order) to every logged-in client."""
        for block in capture_blocks(capture_file):
            if not only_events or block.startswith(b"Event:"):
                await self._broadcast(block)

    # -- connection handling ----------------------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        session = FakeAmiSession(writer)
        self._sessions.add(session)
        self.connections += 1
        await self._notify()
        try:
            await session.send_raw(BANNER)
            await self._serve(session, reader)
        except (OSError, AmiProtocolError):
            pass
        finally:
            self._sessions.discard(session)
            await session.close()
            self._tasks.discard(task)
            await self._notify()

    async def _serve(self, session: FakeAmiSession, reader: asyncio.StreamReader) -> None:
        decoder = AmiDecoder(expect_banner=False)
        while not session.writer.is_closing() and (data := await reader.read(65536)):
            for request in decoder.feed(data):
                assert isinstance(request, AmiMessage)
                self.actions.append(request)
                await self._notify()  # seen at once, even when its handler holds the reply (a held login)
                if not self.paused:
                    await self._dispatch(session, request)
                await self._notify()

    async def _dispatch(self, session: FakeAmiSession, request: AmiMessage) -> None:
        action = (request.action or "").lower()
        if not action:
            await session.respond(request, "Error", "Missing action in request")
        elif not session.authenticated and action not in PRE_LOGIN_ACTIONS:
            await session.respond(request, "Error", "Permission denied")
        elif (handler := self._handlers.get(action)) is None:
            text = f"Invalid/unknown command: {request.action}. {LIST_COMMANDS_HINT}"
            await session.respond(request, "Error", text)
        else:
            result = handler(session, request)
            if inspect.isawaitable(result):
                await result

    async def _broadcast(self, data: bytes) -> None:
        for session in self.logged_in_sessions:
            if session.events:
                await session.send_raw(data)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # -- login --------------------------------------------------------------------------------------------

    async def action_challenge(self, session: FakeAmiSession, request: AmiMessage) -> None:
        """Challenge: hand out the MD5 nonce (decimal, like ast_random())."""
        if (request.get("AuthType") or "").lower() != "md5":
            return await session.respond(request, "Error", "Must specify AuthType")
        session.challenge = session.challenge or str(random.randrange(10**8, 2**31))
        await session.respond(request, extra=[("Challenge", session.challenge)])

    async def action_login(self, session: FakeAmiSession, request: AmiMessage) -> None:
        """Login with a plain Secret or an MD5 Key; on failure reply and hang up, as Asterisk does."""
        username = request.get("Username") or ""
        if not _credentials_ok(session, request, self.users.get(username)):
            await session.respond(request, "Error", "Authentication failed")
            return await session.close()
        session.username, session.authenticated = username, True
        session.events = (request.get("Events") or "on").lower() != "off"
        self.logins += 1
        await session.respond(request, "Success", "Authentication accepted")
        if session.events:
            await session.send(_pairs(FULLY_BOOTED))

    async def action_logoff(self, session: FakeAmiSession, request: AmiMessage) -> None:
        """Logoff: say goodbye and close."""
        await session.respond(request, "Goodbye", "Thanks for all the fish.")
        await session.close()

    # -- simple actions -----------------------------------------------------------------------------------

    async def action_ping(self, session: FakeAmiSession, request: AmiMessage) -> None:
        """Ping: `Ping: Pong` and a timestamp, unless told to play dead."""
        if self.answer_pings:
            await session.respond(request, extra=[("Ping", "Pong"), ("Timestamp", f"{time.time():.6f}")])

    async def action_setvar(self, session: FakeAmiSession, request: AmiMessage) -> None:
        """Setvar: store the value (Channel omitted means a global)."""
        if not (name := request.get("Variable")):
            return await session.respond(request, "Error", "No variable specified")
        self.variables[(request.get("Channel") or "", name)] = request.get("Value") or ""
        await session.respond(request, "Success", "Variable Set")

    async def action_redirect(self, session: FakeAmiSession, request: AmiMessage) -> None:
        """Redirect: acknowledged; a channel waiting in a queue leaves it the way app_queue reports."""
        if not (channel := request.get("Channel")):
            return await session.respond(request, "Error", "Channel not specified")
        await session.respond(request, "Success", "Redirect successful")
        await self.redirected(channel)

    async def action_userevent(self, session: FakeAmiSession, request: AmiMessage) -> None:
        """UserEvent: ack, then the event with every other action header copied as-is."""
        if not (name := request.get("UserEvent")):
            return await session.respond(request, "Error", "UserEvent not specified")
        await session.respond(request, "Success", "Event Sent")
        body = [(k, v) for k, v in request.headers if k.lower() not in ("action", "userevent")]
        await self.emit([("Event", "UserEvent"), ("Privilege", "user,all"), ("UserEvent", name), *body])

    async def action_originate(self, session: FakeAmiSession, request: AmiMessage) -> None:
        """Originate: with Async, ack then an OriginateResponse carrying the same ActionID."""
        if not (channel := request.get("Channel")):
            return await session.respond(request, "Error", "Channel not specified")
        reason = self.originate_reasons.pop(0) if self.originate_reasons else self.originate_reason
        answered = reason == 4
        if not _true(request.get("Async")):  # synchronous: one reply once the call is answered or not
            text = "Originate successfully queued" if answered else "Originate failed"
            return await session.respond(request, "Success" if answered else "Error", text)
        await session.respond(request, "Success", "Originate successfully queued")
        number = next(self._ids)
        name, num = _split_callerid(request.get("CallerID") or "")
        values = dict(action_id=request.action_id or "", response="Success" if answered else "Failure")
        values.update(channel=f"{channel}-{number:08x};1" if channel.startswith("Local/") else channel)
        values.update(context=request.get("Context") or "", exten=request.get("Exten") or "")
        values.update(reason=reason, uniqueid=f"{int(time.time())}.{number}", num=num, name=name)
        await session.send(_pairs(ORIGINATE_RESPONSE, **values))


# Message layouts as Asterisk writes them ("|" separates lines; {names} are filled in by _pairs).
FULLY_BOOTED = "Event: FullyBooted|Privilege: system,all|Uptime: 6|LastReload: 6|Status: Fully Booted"
ORIGINATE_RESPONSE = (
    "Event: OriginateResponse|Privilege: call,all|ActionID: {action_id}|Response: {response}|"
    "Channel: {channel}|Context: {context}|Exten: {exten}|Reason: {reason}|Uniqueid: {uniqueid}|"
    "CallerIDNum: {num}|CallerIDName: {name}"
)


def _credentials_ok(session: FakeAmiSession, request: AmiMessage, secret: str | None) -> bool:
    if secret is None:
        return False
    if (request.get("AuthType") or "").lower() != "md5":
        return request.get("Secret") == secret
    if session.challenge is None:
        return False
    return request.get("Key") == hashlib.md5((session.challenge + secret).encode()).hexdigest()


def _split_callerid(callerid: str) -> tuple[str, str]:
    # `"Test Caller" <5551234>` -> ("Test Caller", "5551234"); Asterisk shows missing parts as <unknown>.
    name, _, rest = callerid.partition("<")
    number = rest.partition(">")[0].strip() if rest else ""
    return name.strip().strip('"') or "<unknown>", number or "<unknown>"


def capture_blocks(path: str | Path) -> list[bytes]:
    """Asterisk's messages in an ami-events.txt capture, raw bytes each, without `>>>` lines and banner."""
    lines = Path(path).read_bytes().splitlines(keepends=True)
    text = b"".join(line for line in lines if not line.startswith(b">>>"))
    _banner, _, body = text.partition(b"\n")
    return [part + b"\r\n\r\n" for part in body.split(b"\r\n\r\n") if part.strip()]


def parse_capture(path: str | Path) -> list[AmiMessage]:
    """The events of an ami-events.txt capture, in order (responses to Login/Originate left out)."""
    decoder = AmiDecoder(expect_banner=False)
    messages = [m for block in capture_blocks(path) for m in decoder.feed(block)]
    return [m for m in messages if isinstance(m, AmiMessage) and m.event is not None]
