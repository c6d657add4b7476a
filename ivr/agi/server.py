"""FastAGI server (asyncio edge): Asterisk connects, we read its environment and drive the call by commands.

How this works: each connection gets one tracked task. It reads the environment under
`header_timeout` (EOF, garbage or a stall just closes that connection; reads always await, so
the loop is never blocked), answers unknown scripts with a VERBOSE and hangs up the socket, and
otherwise hands an `AgiChannel` to the handler. The channel reads only while a command is in
flight: an unsolicited `HANGUP` line is recorded on `hung_up` and the read goes on for the real
reply, so replies never shift. A command timeout closes the connection, since a late reply would
be taken as the answer to the next command.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections import deque
from collections.abc import Awaitable, Callable, Collection

from ivr.agi.codec import (
    AgiCommandError,
    AgiConnectionClosed,
    AgiDecoder,
    AgiEnvironment,
    AgiError,
    AgiHangup,
    AgiMessage,
    AgiProtocolError,
    AgiReply,
    AgiTimeoutError,
)
from ivr.agi.quoting import Quoted, encode_command
from ivr.errors import LocalProtocolError
from ivr.netguard import FdBudget, GuardedListener, Limits, stream_factory

log = logging.getLogger(__name__)

READ_CHUNK = 65536

AgiHandler = Callable[["AgiChannel"], Awaitable[None]]


class AgiChannel:
    """One FastAGI session seen from the bot: the environment plus one-at-a-time commands."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        env: AgiEnvironment,
        decoder: AgiDecoder,
        pending: Collection[AgiMessage] = (),
        *,
        command_timeout: float = 10.0,
    ):
        self.env = env
        self.hung_up = asyncio.Event()
        self._reader, self._writer, self._decoder = reader, writer, decoder
        self._pending: deque[AgiMessage] = deque(pending)
        self._timeout = command_timeout
        self._lock = asyncio.Lock()
        self._closed = False

    @property
    def closed(self) -> bool:
        """True once the connection is closed (by either side)."""
        return self._closed

    # A caller's asyncio.timeout would leave the reply owed; ours also closes the session (see below).
    async def command(self, *words: str, timeout: float | None = None) -> AgiReply:  # noqa: ASYNC109
        """Send one command and return its reply; `timeout` None = the default, math.inf = wait forever."""
        line = encode_command(*words)
        limit = self._timeout if timeout is None else timeout
        async with self._lock:
            if self._closed:
                raise AgiConnectionClosed(f"AGI connection of {self.env.uniqueid} is closed")
            self._take_stale()
            try:
                async with asyncio.timeout(None if math.isinf(limit) else limit):
                    self._writer.write(line)
                    await self._writer.drain()
                    return await self._read_reply()
            except TimeoutError:
                await self.close()
                raise AgiTimeoutError(f"no reply to {words[0]!r} within {limit} s") from None
            except AgiProtocolError:
                await self.close()
                raise
            except ConnectionError as exc:
                await self.close()
                raise AgiConnectionClosed(f"AGI connection lost: {exc}") from exc
            except asyncio.CancelledError:
                # The reply is still owed; any later command would receive it, so the session is over.
                self._abort()
                raise

    async def get_variable(self, name: str) -> str | None:
        """Value of a channel variable or function, None when unset."""
        reply = self._check(await self.command("GET", "VARIABLE", name))
        return (reply.data or "") if reply.result == 1 else None

    async def set_variable(self, name: str, value: str) -> None:
        """Set a channel variable (Asterisk always answers result=1)."""
        self._check(await self.command("SET", "VARIABLE", name, Quoted(value)))

    async def exec_app(self, app: str, args: str = "", *, timeout: float | None = None) -> int:  # noqa: ASYNC109
        """Run a dialplan application and return its result (-1 usually means hang-up, -2 no such app)."""
        words = ("EXEC", app, args) if args else ("EXEC", app)
        reply = self._check(await self.command(*words, timeout=timeout))
        return reply.result if reply.result is not None else 0

    async def verbose(self, msg: str, level: int = 1) -> None:
        """Write a message to the Asterisk console/log at a verbosity level."""
        self._check(await self.command("VERBOSE", Quoted(msg), str(level)))

    async def answer(self) -> None:
        """Answer the channel; raises AgiCommandError when Asterisk refuses or fails."""
        reply = self._check(await self.command("ANSWER"))
        if reply.result == -1:
            raise AgiCommandError(reply)

    async def close(self) -> None:
        """Close the connection (Asterisk then continues the dialplan); safe to call twice."""
        if self._closed:
            return
        self._abort()
        with contextlib.suppress(ConnectionError, OSError):
            await self._writer.wait_closed()

    def _abort(self) -> None:
        """Mark closed and start closing the socket without waiting."""
        self._closed = True
        self._writer.close()

    @staticmethod
    def _check(reply: AgiReply) -> AgiReply:
        """Raise AgiCommandError for anything but a 200 reply."""
        if not reply.ok:
            raise AgiCommandError(reply)
        return reply

    def _take_stale(self) -> None:
        """Before a command, absorb decoded events; a reply nobody asked for is dropped, not misattributed."""
        while self._pending:
            msg = self._pending.popleft()
            if isinstance(msg, AgiHangup):
                self._note_hangup()
            else:
                log.warning("AGI %s: dropping unsolicited %r", self.env.uniqueid, msg)

    async def _read_reply(self) -> AgiReply:
        """Read until the reply to the command in flight; HANGUP lines on the way are events."""
        while True:
            while self._pending:
                msg = self._pending.popleft()
                if isinstance(msg, AgiReply):
                    self._absorb_hangups()
                    return msg
                if isinstance(msg, AgiHangup):
                    self._note_hangup()
            data = await self._reader.read(READ_CHUNK)
            if not data:
                self.hung_up.set()
                await self.close()
                raise AgiConnectionClosed(f"Asterisk closed the AGI connection of {self.env.uniqueid}")
            self._pending.extend(self._decoder.feed(data))

    def _absorb_hangups(self) -> None:
        """Record HANGUP lines that came in the same read as a reply, so `hung_up` is current at once."""
        while self._pending and isinstance(self._pending[0], AgiHangup):
            self._pending.popleft()
            self._note_hangup()

    def _note_hangup(self) -> None:
        """Record Asterisk's unsolicited HANGUP (it comes twice: on hang-up and at session end)."""
        if not self.hung_up.is_set():
            log.info("AGI %s: caller hung up", self.env.uniqueid)
        self.hung_up.set()


class FastAgiServer:
    """Listens for Asterisk's FastAGI connections and runs `handler(channel)` for known scripts."""

    def __init__(
        self,
        handler: AgiHandler,
        *,
        scripts: Collection[str],
        header_timeout: float = 5.0,
        command_timeout: float = 10.0,
        limits: Limits | None = None,
        budget: FdBudget | None = None,
    ):
        self._handler = handler
        self._scripts = frozenset(scripts)
        self._header_timeout = header_timeout
        self._command_timeout = command_timeout
        self._limits = limits or Limits(max_connections=1024, max_per_peer=1024)
        self._budget = budget
        self._server: GuardedListener | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = False

    def set_scripts(self, scripts: Collection[str]) -> None:
        """Accept a new set of script names from the next connection on (a flow reload adds hotlines)."""
        self._scripts = frozenset(scripts)

    async def start(self, host: str = "0.0.0.0", port: int = 4573) -> None:
        """Start listening; port 0 picks a free port (see `port`)."""
        if self._server is not None:
            raise RuntimeError("FastAgiServer already started")
        budget = self._budget or FdBudget()
        self._server = GuardedListener("FastAGI", stream_factory(self._on_connect), self._limits, budget)
        await self._server.start(host, port)

    @property
    def port(self) -> int:
        """The bound TCP port."""
        if self._server is None or not self._server.sockets:
            raise RuntimeError("FastAgiServer is not listening")
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def connections(self) -> int:
        """Number of connections being served right now."""
        return len(self._tasks)

    @property
    def listening(self) -> bool:
        """True while new connections are accepted."""
        return self._server is not None and self._server.is_serving() and not self._closing

    async def stop_listening(self) -> None:
        """Refuse new connections (Asterisk tries the next worker) but keep serving the calls in progress."""
        if self._server is not None:
            await self._server.close()  # the listening socket only: the calls in progress go on

    async def close(self) -> None:
        """Stop listening, cancel every running connection and wait until they are gone."""
        self._closing = True
        if self._server is not None:
            await self._server.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Start one tracked task per connection (asyncio's own callback tasks would be untracked)."""
        if self._closing:
            writer.transport.abort()
            return
        peer = writer.get_extra_info("peername")
        task = asyncio.get_running_loop().create_task(self._serve(reader, writer), name=f"fastagi {peer}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve one connection from header to close; handler errors are logged, never propagated."""
        peer = writer.get_extra_info("peername")
        decoder = AgiDecoder()
        channel: AgiChannel | None = None
        try:
            header = await self._read_header(reader, decoder, peer)
            if header is None:
                return
            env, pending = header
            channel = AgiChannel(reader, writer, env, decoder, pending, command_timeout=self._command_timeout)
            if env.script in self._scripts:
                await self._handler(channel)
            else:
                await self._refuse(channel)
        except AgiConnectionClosed as exc:
            # Asterisk closing on us is how most calls end; no traceback for that.
            log.info("FastAGI %s: %s", peer, exc)
        except Exception:
            log.exception("FastAGI handler failed for %s", peer)
        finally:
            if channel is not None:
                await channel.close()
            else:
                writer.close()
                with contextlib.suppress(ConnectionError, OSError):
                    await writer.wait_closed()

    async def _read_header(
        self, reader: asyncio.StreamReader, decoder: AgiDecoder, peer: object
    ) -> tuple[AgiEnvironment, list[AgiMessage]] | None:
        """Read the environment; None (after logging why) when the peer fails to send one in time."""
        try:
            async with asyncio.timeout(self._header_timeout):
                while True:
                    data = await reader.read(READ_CHUNK)
                    if not data:
                        log.warning("FastAGI %s closed before the end of its environment", peer)
                        return None
                    msgs = decoder.feed(data)
                    if msgs:
                        first = msgs[0]
                        assert isinstance(first, AgiEnvironment)
                        return first, msgs[1:]
        except TimeoutError:
            log.warning("FastAGI %s sent no complete environment within %s s", peer, self._header_timeout)
        except AgiProtocolError as exc:
            log.warning("FastAGI %s sent garbage: %s", peer, exc)
        except ConnectionError as exc:
            log.warning("FastAGI %s connection failed: %s", peer, exc)
        return None

    async def _refuse(self, channel: AgiChannel) -> None:
        """Answer an unknown script cleanly: say so on the Asterisk console, then let the dialplan go on."""
        script = channel.env.script
        log.warning("FastAGI %s asked for unknown script %r", channel.env.uniqueid, script[:80])
        printable = "".join(ch for ch in script[:80] if ch.isprintable() and ch not in '\\"')
        with contextlib.suppress(AgiError, LocalProtocolError):
            await channel.verbose(f"ivr: unknown AGI script {printable}")
