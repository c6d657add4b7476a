"""AudioSocket TCP server: Asterisk connects, sends its UUID, and the matching call session takes the stream.

How this works: each accepted socket gets TCP_NODELAY and `uuid_timeout` seconds to deliver its UUID
message. A UUID that `is_expected()` does not know is refused (logged, socket closed). Otherwise an
`AudioConnection` is built (audio that arrived with the UUID is queued, not lost) and handed to
`on_connection`; when that coroutine returns, the socket is closed if it is still open. Any error on
one connection is logged and ends that connection only, never the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable

from ivr.audiosocket.codec import AudioSocketDecoder, AudioSocketProtocolError, Message, UuidMessage
from ivr.audiosocket.connection import READ_SIZE, AudioConnection, set_nodelay
from ivr.errors import LocalProtocolError
from ivr.netguard import FdBudget, GuardedListener, Limits, stream_factory

__all__ = ["AudioConnection", "AudioSocketServer"]

log = logging.getLogger("ivr.audiosocket")

CLOSE_GRACE = 2.0


class AudioSocketServer:
    """Accepts AudioSocket streams from Asterisk and pairs them with expected call UUIDs."""

    def __init__(
        self,
        on_connection: Callable[[AudioConnection], Awaitable[None]],
        *,
        is_expected: Callable[[uuid.UUID], bool],
        uuid_timeout: float = 2.0,
        inbound_queue_frames: int = 50,
        max_payload: int = 8192,
        limits: Limits | None = None,
        budget: FdBudget | None = None,
    ) -> None:
        self._on_connection = on_connection
        self._is_expected = is_expected
        self._uuid_timeout = uuid_timeout
        self._queue_frames = inbound_queue_frames
        self._max_payload = max_payload
        self._limits = limits or Limits(max_connections=1024, max_per_peer=1024, reserve_fds=8)
        self._budget = budget
        self._server: GuardedListener | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self._connections: set[AudioConnection] = set()

    async def start(self, host: str = "127.0.0.1", port: int = 9092) -> None:
        """Listen on host:port (port 0 picks a free one, see `port`)."""
        if self._server is not None:
            raise LocalProtocolError("AudioSocketServer already started")
        budget = self._budget or FdBudget()
        self._server = GuardedListener("AudioSocket", stream_factory(self._handle), self._limits, budget)
        await self._server.start(host, port)

    @property
    def port(self) -> int:
        """The port actually listened on."""
        if self._server is None or not self._server.sockets:
            raise LocalProtocolError("AudioSocketServer is not listening")
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def connections(self) -> frozenset[AudioConnection]:
        """Streams currently handed to sessions."""
        return frozenset(self._connections)

    async def close(self) -> None:
        """Stop listening, close every open stream, and wait briefly for handlers to return."""
        if self._server is not None:
            await self._server.close()
        for conn in list(self._connections):
            conn.close()
        handlers = list(self._handlers)
        if handlers:
            _done, pending = await asyncio.wait(handlers, timeout=CLOSE_GRACE)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            await self._serve(reader, writer)
        except Exception:
            log.exception("AudioSocket connection from %s failed", writer.get_extra_info("peername"))
        finally:
            self._handlers.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        set_nodelay(writer)
        peer = writer.get_extra_info("peername")
        decoder = AudioSocketDecoder(self._max_payload)
        try:
            call_uuid, early = await asyncio.wait_for(_read_uuid(reader, decoder), self._uuid_timeout)
        except TimeoutError:
            log.warning("AudioSocket from %s: no UUID within %.1f s", peer, self._uuid_timeout)
            return
        except AudioSocketProtocolError as exc:
            log.warning("AudioSocket from %s: protocol error before UUID: %s", peer, exc)
            return
        except EOFError:
            log.info("AudioSocket from %s closed before sending a UUID", peer)
            return
        if not self._is_expected(call_uuid):
            log.warning("unknown AudioSocket UUID %s from %s", call_uuid, peer)
            return
        conn = AudioConnection(reader, writer, call_uuid, decoder, inbound_queue_frames=self._queue_frames)
        conn.start(early)
        self._connections.add(conn)
        try:
            await self._on_connection(conn)
        finally:
            self._connections.discard(conn)
            conn.close()


async def _read_uuid(
    reader: asyncio.StreamReader, decoder: AudioSocketDecoder
) -> tuple[uuid.UUID, list[Message]]:
    """Read until the first message; it must be the UUID. Returns it and whatever followed it."""
    while True:
        data = await reader.read(READ_SIZE)
        if not data:
            raise EOFError
        messages = decoder.feed(data)
        if messages:
            first, rest = messages[0], messages[1:]
            if not isinstance(first, UuidMessage):
                raise AudioSocketProtocolError(f"first message must be the UUID, got {type(first).__name__}")
            return first.uuid, rest
