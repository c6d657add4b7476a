"""ClusterLink on a real PostgreSQL: one lease holder, take-over when it goes, notifications, registry."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from ivr.cluster.link import KNOWLEDGE_CHANNEL, RELOAD_CHANNEL, ClusterLink
from ivr.cluster.pg import notify, notify_async
from ivr.storage.db import async_engine, upgrade_database

pytestmark = pytest.mark.postgres


class Worker:
    """A link plus what its hooks saw."""

    def __init__(self, url: str, name: str) -> None:
        self.seen: Counter[str] = Counter()
        self.changed = asyncio.Event()
        self.link = ClusterLink(
            url,
            name,
            period=0.2,
            calls=lambda: [{"call_uuid": f"call-of-{name}", "worker": name}],
            on_lead=self._hook("lead"),
            on_resign=self._hook("resign"),
            on_reload=self._hook("reload"),
            on_knowledge=self._hook("knowledge"),
        )
        self.task = asyncio.get_running_loop().create_task(self.link.run())

    def _hook(self, name: str):
        async def hook() -> None:
            self.seen[name] += 1
            await self.link._notify()

        return hook

    async def stop(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


async def test_one_leader_take_over_notifications_and_registry(fresh_postgres_url: str):
    await asyncio.to_thread(upgrade_database, fresh_postgres_url)
    workers = [Worker(fresh_postgres_url, f"w{i}") for i in range(3)]
    try:
        for w in workers:
            await w.link.wait_for(lambda w=w: w.link.beats >= 3 and len(w.link.peers) == 2)
        leaders = [w for w in workers if w.link.leader]
        assert len(leaders) == 1, "exactly one worker holds the duty lease"
        first = leaders[0]
        others = [w for w in workers if w is not first]
        expected = sorted(f"call-of-{w.link.name}" for w in workers if w is not others[0])
        # Waited for, not read once: a peer whose beat a busy machine delayed past the 1 s freshness
        # drops out of one snapshot and is back at the next beat.
        await others[0].link.wait_for(
            lambda: sorted(c["call_uuid"] for c in others[0].link.peer_calls()) == expected
        )

        await asyncio.to_thread(notify, fresh_postgres_url, RELOAD_CHANNEL)
        engine = async_engine(fresh_postgres_url)
        await notify_async(engine, KNOWLEDGE_CHANNEL)
        await engine.dispose()
        for w in workers:
            await w.link.wait_for(lambda w=w: w.seen["reload"] == 1 and w.seen["knowledge"] == 1)

        await first.stop()  # its connection closes: PostgreSQL frees the lock
        await others[0].link.wait_for(lambda: any(w.link.leader for w in others), timeout=10)
        assert sum(w.link.leader for w in others) == 1
        for w in others:
            await w.link.wait_for(lambda w=w: first.link.name not in w.link.peers, timeout=10)

        second = next(w for w in others if w.link.leader)
        await second.link.resign()  # draining: it hands the lease over and keeps running
        third = next(w for w in others if w is not second)
        await third.link.wait_for(lambda: third.link.leader, timeout=10)
        assert second.seen["resign"] == 1 and not second.link.leader
        await third.link.wait_for(lambda: third.link.peers.get(second.link.name, {}).get("draining") is True)
    finally:
        for w in workers:
            await w.stop()


async def test_a_holder_cut_off_from_the_database_stops_its_duties_before_another_takes_them(
    fresh_postgres_url: str,
):
    from sqlalchemy.engine import make_url

    from tests.integration.storage.tcp_gate import TcpGate
    from tests.support.postgres import free_port

    await asyncio.to_thread(upgrade_database, fresh_postgres_url)
    target = make_url(fresh_postgres_url)
    gate = TcpGate(free_port(), target.host or "127.0.0.1", target.port or 5432)
    await gate.open()
    gated = target.set(host="127.0.0.1", port=gate.port).render_as_string(hide_password=False)
    cut = Worker(gated, "cut")
    other: Worker | None = None
    try:
        await cut.link.wait_for(lambda: cut.link.leader)
        other = Worker(fresh_postgres_url, "other")
        await other.link.wait_for(lambda: other.link.beats >= 3)
        assert not other.link.leader

        await gate.close()  # the holder's host loses the database
        await cut.link.wait_for(lambda: not cut.link.leader, timeout=10)
        assert cut.seen["resign"] == 1
        await other.link.wait_for(lambda: other.link.leader, timeout=15)

        await gate.open()  # back: it rejoins without the duties
        beats = cut.link.beats
        await cut.link.wait_for(lambda: cut.link.beats >= beats + 3, timeout=20)
        assert not cut.link.leader and other.link.leader and cut.seen["lead"] == 1
    finally:
        if other is not None:
            await other.stop()
        await cut.stop()
        await gate.close()
