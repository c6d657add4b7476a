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
_ACCEPTS_PER_WAKE = 64  # then let the loop serve the calls before accepting more
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
        self._waiting: set[Callable[[], None]] = set()  # paused listeners, retried when a connection closes

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
        """A counted connection closed: paused listeners try again at once."""
        waiting, self._waiting = self._waiting, set()
        for resume in waiting:
            resume()

    def wake_on_close(self, resume: Callable[[], None]) -> None:
        """Call `resume` (once) when the next counted connection closes."""
        self._waiting.add(resume)

    def forget(self, resume: Callable[[], None]) -> None:
        """Stop waking `resume`."""
        self._waiting.discard(resume)


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
        self._loop: asyncio.AbstractEventLoop | None = None
        self._reading = False
        self._backoff = _BACKOFF_MIN
        self._retry: asyncio.TimerHandle | None = None
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
        self._sock, self._loop = sock, asyncio.get_running_loop()
        self._resume()

    @property
    def port(self) -> int:
        """The bound port."""
        if self._sock is None:
            raise RuntimeError(f"{self.name} is not listening")
        return int(self._sock.getsockname()[1])

    def is_serving(self) -> bool:
        """True until close() (as asyncio.Server.is_serving): accepting, or paused for descriptors."""
        return self._sock is not None

    @property
    def sockets(self) -> list[socket.socket]:
        """The listening socket (as asyncio.Server.sockets)."""
        return [self._sock] if self._sock is not None else []

    async def close(self) -> None:
        """Stop accepting and close the listening socket (open connections are their owners' to close)."""
        self._pause()
        if self._retry is not None:
            self._retry.cancel()
            self._retry = None
        self._budget.forget(self._resume)
        for task in list(self._handing):
            task.cancel()
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    # Accepting is driven by the loop's reader callback, as asyncio's own servers do, so that pausing
    # and closing are plain synchronous steps with no accept future left behind to race them.

    def _resume(self) -> None:
        """Accept again if there is room; otherwise stay paused and retry later."""
        self._retry = None
        if self._sock is None or self._reading:
            return
        if self._budget.free() < self.limits.reserve_fds:
            self._wait_for_room()
            return
        assert self._loop is not None
        self._loop.add_reader(self._sock.fileno(), self._on_readable)
        self._reading = True

    def _pause(self) -> None:
        """Stop watching the listening socket (connections wait in the kernel's backlog)."""
        if self._reading and self._sock is not None and self._loop is not None:
            self._loop.remove_reader(self._sock.fileno())
        self._reading = False

    def _wait_for_room(self) -> None:
        """Paused: retry after the backoff, or as soon as a connection closes; log once per episode."""
        self._pause()
        if self._backoff == _BACKOFF_MIN:
            self.paused += 1
            log.warning(
                "%s: near the open-file limit (%d): not accepting until connections close",
                self.name,
                self._budget.limit,
            )
        assert self._loop is not None
        if self._retry is None:
            self._retry = self._loop.call_later(self._backoff, self._resume)
        self._budget.wake_on_close(self._resume_soon)
        self._backoff = min(_BACKOFF_MAX, self._backoff * 2)

    def _resume_soon(self) -> None:
        """A connection closed: retry now instead of at the end of the backoff."""
        if self._retry is not None:
            self._retry.cancel()
        self._resume()

    def _on_readable(self) -> None:
        """Accept what the backlog holds while there is room; never spin, never raise."""
        assert self._sock is not None
        for _ in range(_ACCEPTS_PER_WAKE):
            if self._budget.free() < self.limits.reserve_fds:
                self._wait_for_room()
                return
            try:
                conn, address = self._sock.accept()
            except (BlockingIOError, InterruptedError):
                self._backoff = _BACKOFF_MIN
                return
            except ConnectionAbortedError:
                continue  # the peer gave up while waiting in the backlog
            except OSError as exc:
                if exc.errno in _OUT_OF_RESOURCES:
                    log.warning("%s: out of descriptors (%s): backing off", self.name, exc.strerror)
                else:
                    log.warning("%s: accept failed: %s", self.name, exc)
                self._wait_for_room()
                return
            conn.setblocking(False)
            self._budget.opened()
            self._admit(conn, address)

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
