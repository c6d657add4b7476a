"""Listening sockets that cannot be exhausted: allow-list, connection caps and a file-descriptor budget.

How this works: each listener runs its own accept loop instead of asyncio's (which, out of descriptors,
logs "socket.accept() out of system resource" with a traceback on every attempt). Before each accept it
asks the process-wide `FdBudget` whether at least `reserve_fds` descriptors would stay free; if not, it
stops accepting and backs off (50 ms doubling to 1 s, woken early when a connection closes), so pending
connections wait in the kernel's backlog instead of costing descriptors. Listeners that serve calls
keep a small reserve and the desktop a large one, so idle browsers or port scans run the desktop out of
room long before a call is refused. An accepted socket from an address outside `allow`, or beyond the
listener's total or per-address cap, is closed at once: for FastAGI that is what the dialplan treats as
"bot unavailable", and it queues the caller on the fallback queue at once instead of leaving them in
silence. Each accepted socket is counted until its protocol reports `connection_lost`.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ipaddress
import logging
import os
import resource
import socket
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

log = logging.getLogger("ivr.netguard")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
ProtocolFactory = Callable[[], asyncio.BaseProtocol]

_OUT_OF_RESOURCES = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
_BACKOFF_MIN, _BACKOFF_MAX = 0.05, 1.0
_MEASURE_EVERY_S = 0.05


def parse_allow(values: Iterable[str]) -> tuple[Network, ...]:
    """`listen.allow` entries (addresses or CIDR blocks) as networks; ValueError names a bad one."""
    return tuple(ipaddress.ip_network(v.strip(), strict=False) for v in values)


class FdBudget:
    """How many file descriptors the process has left, measured cheaply enough to ask per accept.

    The count of /proc/self/fd is taken at most every 50 ms; in between, every descriptor handed out
    is added to it, so the estimate errs on the side of "full" and a burst of accepts cannot overshoot.
    """

    def __init__(self, limit: int | None = None) -> None:
        self.limit = limit if limit is not None else resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        self._measured = self._count()
        self._measured_at = time.monotonic()
        self._since = 0
        self.freed = asyncio.Event()  # set when a counted connection closes: a paused listener retries

    @staticmethod
    def _count() -> int:
        """Descriptors open now (0 where /proc is missing: then only EMFILE backs off)."""
        try:
            return len(os.listdir("/proc/self/fd"))
        except OSError:
            return 0

    def free(self) -> int:
        """Descriptors left, pessimistically."""
        now = time.monotonic()
        if now - self._measured_at >= _MEASURE_EVERY_S:
            self._measured, self._measured_at, self._since = self._count(), now, 0
        return self.limit - self._measured - self._since

    def opened(self) -> None:
        """A descriptor was handed out since the last count."""
        self._since += 1

    def closed(self) -> None:
        """A counted connection closed."""
        self.freed.set()


@dataclass(frozen=True)
class Limits:
    """What one listener admits."""

    max_connections: int
    max_per_peer: int
    allow: tuple[Network, ...] = ()  # empty: every address
    reserve_fds: int = 32  # stop accepting when fewer descriptors than this would remain


class _Counted(asyncio.Protocol):
    """Forwards everything to the real protocol and reports when the connection is gone."""

    def __init__(self, inner: asyncio.BaseProtocol, on_lost: Callable[[], None]) -> None:
        self._inner, self._on_lost = inner, on_lost

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        self._inner.data_received(data)  # type: ignore[attr-defined]

    def eof_received(self) -> bool | None:
        return self._inner.eof_received()  # type: ignore[attr-defined]

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        try:
            self._inner.connection_lost(exc)
        finally:
            self._on_lost()


class GuardedListener:
    """One listening TCP socket served by `protocol_factory`, within `limits` and the fd budget."""

    def __init__(
        self, name: str, protocol_factory: ProtocolFactory, limits: Limits, budget: FdBudget
    ) -> None:
        self.name, self._factory, self.limits, self._budget = name, protocol_factory, limits, budget
        self._sock: socket.socket | None = None
        self._task: asyncio.Task[None] | None = None
        self._handing: set[asyncio.Task[None]] = set()
        self.active = 0
        self._per_peer: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()  # why connections were closed at once: allow, busy, peer
        self.paused = 0  # times accepting stopped for lack of descriptors

    async def start(self, host: str, port: int, backlog: int = 128) -> None:
        """Bind, listen and start the accept loop (port 0 picks a free port)."""
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
            sock.listen(backlog)
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        self._sock = sock
        self._task = asyncio.get_running_loop().create_task(self._accept_loop(), name=f"accept-{self.name}")

    @property
    def port(self) -> int:
        """The bound port."""
        if self._sock is None:
            raise RuntimeError(f"{self.name} is not listening")
        return int(self._sock.getsockname()[1])

    @property
    def sockets(self) -> list[socket.socket]:
        """The listening socket (as asyncio.Server.sockets)."""
        return [self._sock] if self._sock is not None else []

    async def close(self) -> None:
        """Stop accepting and close the listening socket (open connections are their owners' to close)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for task in list(self._handing):
            task.cancel()
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    async def _accept_loop(self) -> None:
        """Accept while there is room; otherwise wait with backoff; never spin, never raise."""
        assert self._sock is not None
        loop, backoff = asyncio.get_running_loop(), _BACKOFF_MIN
        while True:
            if self._budget.free() < self.limits.reserve_fds:
                if backoff == _BACKOFF_MIN:
                    self.paused += 1
                    log.warning(
                        "%s: near the open-file limit (%d): not accepting until connections close",
                        self.name,
                        self._budget.limit,
                    )
                backoff = await self._wait_for_room(backoff)
                continue
            try:
                conn, address = await loop.sock_accept(self._sock)
            except OSError as exc:
                if exc.errno not in _OUT_OF_RESOURCES:
                    log.warning("%s: accept failed: %s", self.name, exc)
                else:
                    log.warning("%s: out of descriptors (%s): backing off", self.name, exc.strerror)
                backoff = await self._wait_for_room(backoff)
                continue
            backoff = _BACKOFF_MIN
            self._budget.opened()
            self._admit(conn, address)

    async def _wait_for_room(self, backoff: float) -> float:
        """Sleep `backoff` or until a connection closes; returns the next backoff."""
        self._budget.freed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._budget.freed.wait(), backoff)
        return min(_BACKOFF_MAX, backoff * 2)

    def _admit(self, conn: socket.socket, address: tuple) -> None:
        """Close at once what the limits refuse; hand the rest to a protocol."""
        peer = str(address[0]) if address else "?"
        why = self._refusal(peer)
        if why is not None:
            self.refused[why] += 1
            log.warning("%s: connection from %s closed at once: %s", self.name, peer, why)
            with contextlib.suppress(OSError):
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            conn.close()
            return
        self.active += 1
        self._per_peer[peer] += 1
        task = asyncio.get_running_loop().create_task(self._hand_over(conn, peer))
        self._handing.add(task)
        task.add_done_callback(self._handing.discard)

    def _refusal(self, peer: str) -> str | None:
        """Why a connection from `peer` may not be served now, or None."""
        limits = self.limits
        if limits.allow:
            try:
                ip = ipaddress.ip_address(peer.split("%")[0])
            except ValueError:
                return "not an IP peer"
            if not any(ip in net for net in limits.allow):
                return "not in listen.allow"
        if self.active >= limits.max_connections:
            return f"{self.active} connections (the limit)"
        if self._per_peer[peer] >= limits.max_per_peer:
            return f"{self._per_peer[peer]} connections from this address (the limit)"
        return None

    async def _hand_over(self, conn: socket.socket, peer: str) -> None:
        """Wrap the socket in a transport with the real protocol, counted until it is lost."""
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                self.active -= 1
                self._per_peer[peer] -= 1
                if self._per_peer[peer] <= 0:
                    del self._per_peer[peer]
                self._budget.closed()

        try:
            await asyncio.get_running_loop().connect_accepted_socket(
                lambda: _Counted(self._factory(), release), conn
            )
        except BaseException:
            conn.close()
            release()
            raise


StreamCallback = Callable[[asyncio.StreamReader, asyncio.StreamWriter], object]


def stream_factory(on_connect: StreamCallback) -> ProtocolFactory:
    """The protocol asyncio.start_server would build: a StreamReader/StreamWriter pair for `on_connect`."""

    def build() -> asyncio.BaseProtocol:
        return asyncio.StreamReaderProtocol(asyncio.StreamReader(limit=2**16), on_connect)

    return build
