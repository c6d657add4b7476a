"""ClusterLink: one worker's own PostgreSQL connection to the rest of the cluster.

How this works: the link holds one autocommit psycopg connection (apart from the storage pool) and,
every `period` seconds:
* tries `pg_try_advisory_lock(DUTY_LOCK)` unless it holds it or drains. The lock belongs to this
  connection: when the worker dies, its connection closes and PostgreSQL frees the lock at once (a lost
  host is found by the TCP keepalives set below, within about 11 s); the next worker to try takes it and
  its `on_lead` runs (the callback scheduler takes over). Losing the connection means losing the lock:
  `on_resign` runs before anything else, so two workers never dial at the same time;
* writes its row of `cluster_workers` (heartbeat, draining, leader, the live calls) and reads the rows of
  the others whose heartbeat is fresh: `peer_calls()` is what the supervisor view adds to its own calls;
* between beats it waits on `LISTEN ivr_reload, ivr_knowledge`: `ivr reload` and a knowledge-base
  publication on any worker reach every worker within milliseconds.
Callbacks run as tasks of the link's TaskGroup, so a slow reload never delays the heartbeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.types.json import Json

from ivr.cluster.pg import libpq_url

log = logging.getLogger("ivr.cluster")

DUTY_LOCK = 0x6976722D64757479  # "ivr-duty": the advisory lock key of the once-per-cluster duties
RELOAD_CHANNEL = "ivr_reload"
KNOWLEDGE_CHANNEL = "ivr_knowledge"
STALE_PERIODS = 5  # a worker whose heartbeat is older than this many periods is gone
FORGET_SECONDS = 3600  # rows of workers gone this long are deleted by the leader
# Server side TCP keepalives of the link's session: a vanished host frees the lock in ~11 s, not hours.
KEEPALIVES = {"tcp_keepalives_idle": 5, "tcp_keepalives_interval": 2, "tcp_keepalives_count": 3}

Hook = Callable[[], Awaitable[Any]]


@dataclass
class ClusterLink:
    """Duty lease, worker registry and notifications of one worker."""

    url: str
    name: str
    period: float = 1.0
    calls: Callable[[], list[dict[str, Any]]] = list  # this worker's live calls, for the registry
    on_lead: Hook | None = None
    on_resign: Hook | None = None
    on_reload: Hook | None = None
    on_knowledge: Hook | None = None
    on_duty: Hook | None = None  # run after each beat while this worker holds the lease (one at a time)
    leader: bool = False
    draining: bool = False
    peers: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> {"calls", "leader", ...}
    beats: int = 0
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _duty: asyncio.Task[None] | None = None
    _failing: bool = False

    # -- public --------------------------------------------------------------------------------------

    async def run(self) -> None:
        """Stay connected (reconnecting with backoff) until cancelled; then leave the registry."""
        async with asyncio.TaskGroup() as tg:
            self._tg = tg
            delay = 0.5
            while True:
                beats = self.beats
                try:
                    await self._session()
                except (psycopg.Error, OSError) as exc:
                    await self._lost(exc)
                delay = 0.5 if self.beats > beats else min(delay * 2, 5.0)  # reset once connected again
                await asyncio.sleep(delay)  # a backoff timer before reconnecting

    def peer_calls(self) -> list[dict[str, Any]]:
        """Live calls of the other workers, as their last heartbeat said."""
        return [call for peer in self.peers.values() for call in peer["calls"]]

    async def resign(self) -> None:
        """Draining: hand the duty lease over at the next beat and say so in the registry."""
        self.draining = True
        await self.wait_for(lambda: not self.leader, timeout=5 * self.period + 5)

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until predicate() holds; re-checked after every beat and notification."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), timeout)

    # -- the connection ------------------------------------------------------------------------------

    async def _session(self) -> None:
        """One connection's life: LISTEN, then beat and wait for notifications until cancelled."""
        conn = await psycopg.AsyncConnection.connect(
            libpq_url(self.url), autocommit=True, connect_timeout=5, application_name=f"ivr {self.name}"[:63]
        )
        try:
            for setting, value in KEEPALIVES.items():
                await conn.execute(f"SET {setting} = {int(value)}")
            await conn.execute(f"LISTEN {RELOAD_CHANNEL}")
            await conn.execute(f"LISTEN {KNOWLEDGE_CHANNEL}")
            log.info("cluster: worker %s joined", self.name)
            self._failing = False
            while True:
                async with asyncio.timeout(max(5.0, 3 * self.period)):
                    await self._beat(conn)
                async for notice in conn.notifies(timeout=self.period):
                    self._dispatch(notice.channel)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2):
                    await conn.execute("DELETE FROM cluster_workers WHERE name = %s", (self.name,))
            raise
        finally:
            with contextlib.suppress(Exception):
                await conn.close()

    async def _beat(self, conn: psycopg.AsyncConnection) -> None:
        """Lease, heartbeat and peers: one round trip each."""
        if self.leader and self.draining:
            await conn.execute("SELECT pg_advisory_unlock(%s)", (DUTY_LOCK,))
            await self._set_leader(False)
        elif not self.leader and not self.draining:
            cur = await conn.execute("SELECT pg_try_advisory_lock(%s)", (DUTY_LOCK,))
            if (await cur.fetchone())[0]:
                await self._set_leader(True)
        await conn.execute(
            "INSERT INTO cluster_workers (name, started_at, heartbeat_at, draining, leader, calls)"
            " VALUES (%s, now(), now(), %s, %s, %s) ON CONFLICT (name) DO UPDATE SET heartbeat_at = now(),"
            " draining = EXCLUDED.draining, leader = EXCLUDED.leader, calls = EXCLUDED.calls",
            (self.name, self.draining, self.leader, Json(self.calls(), dumps=_dumps)),
        )
        fresh = STALE_PERIODS * self.period
        cur = await conn.execute(
            "SELECT name, calls, draining, leader FROM cluster_workers"
            " WHERE name <> %s AND heartbeat_at > now() - make_interval(secs => %s)",
            (self.name, fresh),
        )
        self.peers = {
            name: {"calls": calls or [], "draining": draining, "leader": leader}
            for name, calls, draining, leader in await cur.fetchall()
        }
        if self.leader:
            await conn.execute(
                "DELETE FROM cluster_workers WHERE heartbeat_at < now() - make_interval(secs => %s)",
                (FORGET_SECONDS,),
            )
        self.beats += 1
        if self.leader and self.on_duty is not None and (self._duty is None or self._duty.done()):
            self._duty = self._tg.create_task(_logged(self.on_duty, "duty"), name="cluster-duty")
        await self._notify()

    async def _set_leader(self, leader: bool) -> None:
        """Follow the lease: run the hook that starts or stops the duties."""
        self.leader = leader
        log.warning("cluster: worker %s %s the cluster duties", self.name, "holds" if leader else "released")
        hook = self.on_lead if leader else self.on_resign
        if hook is not None:
            try:
                await hook()
            except Exception:
                log.exception("cluster: %s hook failed", "lead" if leader else "resign")

    async def _lost(self, exc: BaseException) -> None:
        """The connection broke: without it the lock is gone too, so stop the duties first."""
        if not self._failing:  # once per outage, like the storage log
            log.error("cluster: connection to the database lost (%s); reconnecting", type(exc).__name__)
        self._failing = True
        if self.leader:
            await self._set_leader(False)
        self.peers = {}
        await self._notify()

    def _dispatch(self, channel: str) -> None:
        """Run the hook of a notification as a task of the link (a reload must not stop the beats)."""
        hook = {RELOAD_CHANNEL: self.on_reload, KNOWLEDGE_CHANNEL: self.on_knowledge}.get(channel)
        log.info("cluster: %s notification received", channel)
        if hook is not None:
            self._tg.create_task(_logged(hook, channel), name=f"cluster-{channel}")

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()


async def _logged(hook: Hook, what: str) -> None:
    """Run a notification hook; its failure is logged, never fatal to the link."""
    try:
        await hook()
    except Exception:
        log.exception("cluster: %s hook failed", what)


def _dumps(value: Any) -> str:
    """JSON for the registry (datetimes as ISO text)."""
    return json.dumps(value, default=str, separators=(",", ":"))
