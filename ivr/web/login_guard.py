"""Login throttling and the client's address: sans-IO, fed `now`, safe under concurrency.

How this works: `begin(username, address, now)` counts the attempt *before* the password is checked and
either returns a ticket or refuses (with how long to wait). It never awaits, so in asyncio the check and
the count are one step: 300 concurrent guesses at one username let at most `max_per_user` through to
the password check. A username that reaches its limit is locked with a backoff that doubles each time
(60 s, 120 s, ... up to an hour); a correct password clears that username's record only, never another
user's. The client address has a looser limit of its own (many users sit behind one proxy or NAT), so
spraying many usernames from one place is slowed too; a successful login gives its own attempt back to
the address. Memory is bounded: past `max_keys` usernames or addresses the oldest is forgotten.
"""

from __future__ import annotations

import contextlib
import ipaddress
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

MAX_USERNAME_KEY = 64
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Ticket:
    """An attempt that may go on to the password check."""

    username: str
    address: str
    at: float


@dataclass(frozen=True, slots=True)
class Refusal:
    """An attempt refused before the password check; `retry_after` in seconds."""

    reason: str
    retry_after: float


@dataclass
class _UserRecord:
    attempts: deque[float] = field(default_factory=deque)
    locked_until: float = 0.0
    locks: int = 0  # how many times the limit was reached since the last success (the backoff level)


@dataclass
class LoginGuard:
    """Per-username (with lock and backoff) and per-address limits on login attempts."""

    max_per_user: int = 5
    max_per_address: int = 30
    window_s: float = 300.0
    lock_base_s: float = 60.0
    lock_cap_s: float = 3600.0
    max_keys: int = 10_000
    _users: OrderedDict[str, _UserRecord] = field(default_factory=OrderedDict)
    _addresses: OrderedDict[str, deque[float]] = field(default_factory=OrderedDict)

    def begin(self, username: str, address: str, now: float) -> Ticket | Refusal:
        """Count one attempt, or refuse it; call before checking the password, without awaiting."""
        key = username.strip().lower()[:MAX_USERNAME_KEY]
        user = self._user(key)
        if now < user.locked_until:
            return Refusal("username locked", user.locked_until - now)
        _prune(user.attempts, now - self.window_s)
        if len(user.attempts) >= self.max_per_user:
            lock = min(self.lock_cap_s, self.lock_base_s * 2 ** min(user.locks, 30))
            user.locked_until, user.locks = now + lock, user.locks + 1
            user.attempts.clear()
            return Refusal("username locked", lock)
        seen = self._address(address)
        _prune(seen, now - self.window_s)
        if len(seen) >= self.max_per_address:
            return Refusal("too many attempts from this address", seen[0] + self.window_s - now)
        user.attempts.append(now)
        seen.append(now)
        return Ticket(key, address, now)

    def succeeded(self, ticket: Ticket) -> None:
        """The password was right: that username starts afresh; the address gets this attempt back."""
        self._users.pop(ticket.username, None)
        seen = self._addresses.get(ticket.address)
        if seen is not None:
            with contextlib.suppress(ValueError):
                seen.remove(ticket.at)

    def _user(self, key: str) -> _UserRecord:
        """The record of a username, created when new."""
        return _entry(self._users, key, _UserRecord, self.max_keys)

    def _address(self, address: str) -> deque[float]:
        """The recent attempts of an address, created when new."""
        return _entry(self._addresses, address, deque, self.max_keys)


def _entry(table: OrderedDict[str, T], key: str, make: Callable[[], T], max_keys: int) -> T:
    """table[key], created (forgetting the oldest key past max_keys) when missing."""
    value = table.get(key)
    if value is None:
        if len(table) >= max_keys:
            table.popitem(last=False)
        value = table[key] = make()
    return value


def _prune(times: deque[float], before: float) -> None:
    """Drop the attempts older than the window."""
    while times and times[0] <= before:
        times.popleft()


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """Addresses or CIDR blocks (`10.0.0.5`, `10.0.0.0/24`, `::1`); ValueError names a bad one."""
    return tuple(ipaddress.ip_network(value.strip(), strict=False) for value in values)


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An IP address, or None for anything else."""
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_address(peer: str | None, forwarded_for: str | None, trusted: tuple[Network, ...]) -> str:
    """The client's address: the peer, or, when the peer is a trusted proxy, the nearest untrusted hop
    of X-Forwarded-For (read from the right: only the entries our own proxies added can be believed)."""
    peer_ip = _ip(peer or "")
    if peer_ip is None:
        return peer or "?"
    if not forwarded_for or not any(peer_ip in net for net in trusted):
        return str(peer_ip)
    hop = peer_ip
    for entry in reversed(forwarded_for.split(",")):
        ip = _ip(entry)
        if ip is None:
            break  # a garbled entry: trust nothing left of it
        hop = ip
        if not any(ip in net for net in trusted):
            break
    return str(hop)
