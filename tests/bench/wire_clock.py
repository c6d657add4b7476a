"""The fake caller's socket with kernel receive timestamps: when each bot frame reached the caller's host.

A real Asterisk reads AudioSocket in its own thread at real-time priority (asterisk.conf `highpriority`),
so frames are taken off the wire as they land. The benchmark's callers are 24+ asyncio calls in one
Python process on the same two cores as the bot: the moment their event loop gets round to a read adds
its own lateness to every arrival. SO_TIMESTAMPNS asks the kernel to stamp each received segment, so the
jitter printed is the bot's (its pacing plus the loopback), not the measuring process's. Frames are read
one AudioSocket message at a time, so each gets the stamp of its own segment.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import socket
import struct
import time

TIMESTAMP_SPACE = socket.CMSG_SPACE(struct.calcsize("qq"))
HEADER = 3  # AudioSocket kind + 16-bit length
# Python 3.11 has no name for it; 35 is Linux's SO_TIMESTAMPNS (asm-generic), a struct timespec per cmsg.
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)


class StampedSocket:
    """A non-blocking TCP socket that yields (arrival in time.monotonic terms, message bytes)."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._loop = asyncio.get_running_loop()
        self._messages: asyncio.Queue[tuple[float, float, bytes] | None] = asyncio.Queue()
        self._buffer = b""
        self._stamp = float("nan")
        # Kernel stamps are CLOCK_REALTIME; the rest of the benchmark uses time.monotonic.
        self._offset = time.time() - time.monotonic()
        self._loop.add_reader(sock.fileno(), self._readable)

    @classmethod
    async def connect(cls, host: str, port: int) -> StampedSocket:
        """Connect with TCP_NODELAY and receive timestamps on."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        await asyncio.get_running_loop().sock_connect(sock, (host, port))
        return cls(sock)

    def _readable(self) -> None:
        want = HEADER if len(self._buffer) < HEADER else HEADER + int.from_bytes(self._buffer[1:3], "big")
        try:
            data, ancillary, _flags, _addr = self._sock.recvmsg(want - len(self._buffer), TIMESTAMP_SPACE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data, ancillary = b"", []
        if not data:
            self._close_reader()
            self._messages.put_nowait(None)
            return
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                seconds, nanos = struct.unpack("qq", payload[: struct.calcsize("qq")])
                self._stamp = seconds + nanos / 1e9 - self._offset
        self._buffer += data
        whole = len(self._buffer) >= HEADER and len(self._buffer) == HEADER + int.from_bytes(
            self._buffer[1:3], "big"
        )
        if whole:
            read_at = time.monotonic()
            stamp = read_at if math.isnan(self._stamp) else self._stamp  # no stamp: when it was read
            self._messages.put_nowait((stamp, read_at, self._buffer))
            self._buffer, self._stamp = b"", float("nan")

    async def receive(self) -> tuple[float, float, bytes] | None:
        """The next whole message with its kernel and user-space arrival times; None at end of stream."""
        return await self._messages.get()

    async def send(self, data: bytes) -> None:
        """Send all of `data`."""
        await self._loop.sock_sendall(self._sock, data)

    def _close_reader(self) -> None:
        with contextlib.suppress(ValueError, OSError):
            self._loop.remove_reader(self._sock.fileno())

    def close(self) -> None:
        """Stop reading and close the socket."""
        self._close_reader()
        self._sock.close()
        self._messages.put_nowait(None)
