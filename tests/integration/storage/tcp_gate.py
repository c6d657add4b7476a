"""A TCP forwarder in front of PostgreSQL that a test closes and reopens on the same port.

Closing it refuses new connections and cuts the live ones, which is what the store sees when the
database server goes away; reopening it is the server coming back on the same address. Holding it keeps
every connection open but passes no byte either way: a hung server; releasing it lets the bytes through.
"""

from __future__ import annotations

import asyncio
import contextlib


class TcpGate:
    """Forward 127.0.0.1:port to a target while open; refuse and cut connections while closed."""

    def __init__(self, port: int, target_host: str, target_port: int) -> None:
        self.port, self.target = port, (target_host, target_port)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._pipes: set[asyncio.Task[None]] = set()
        self._flowing = asyncio.Event()
        self._flowing.set()
        self.connections = 0

    def hold(self) -> None:
        """Pass nothing on, keep every connection open (the database hangs)."""
        self._flowing.clear()

    def release(self) -> None:
        """Pass the held bytes on and go on forwarding (the database answers again)."""
        self._flowing.set()

    async def open(self) -> None:
        """Start listening (the database is reachable)."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def close(self) -> None:
        """Stop listening and cut every forwarded connection (the database is gone)."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        for task in list(self._pipes):
            task.cancel()
        if self._pipes:
            await asyncio.wait(set(self._pipes))

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Pipe one client connection to the target both ways."""
        self.connections += 1
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, up_writer}
        for src, dst in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.ensure_future(self._pipe(src, dst))
            self._pipes.add(task)
            task.add_done_callback(self._pipes.discard)

    async def _pipe(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        """Copy bytes until either side closes, then close the other."""
        try:
            while data := await src.read(65536):
                await self._flowing.wait()
                dst.write(data)
                await dst.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self._writers.discard(dst)
            with contextlib.suppress(Exception):
                dst.close()
