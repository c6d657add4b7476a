"""Screen-pop benchmark: AMI AgentCalled in → WebSocket message out, with 50 agents connected.

Run: `python tests/bench/bench_screenpop.py [--agents 50] [--events 200] [--interval-ms 100] [--turns 20]`
(not collected by pytest; target: p95 ≤ 50 ms).

How this works
--------------
Everything real except Asterisk: a migrated SQLite CallStore, the FakeAmiServer with a real AmiClient
logged in to it, the desktop app (ScreenPop → Hub) on a TCP port, and one aiohttp WebSocket client per
agent, each logged in through the real login form. Every event gets its own stored bot call of a
realistic size (`--turns` turns, a transfer with the dialogue manager's context, and up to five earlier
calls of the same number for the caller history). The fake Asterisk then emits `--events` AgentCalled
events, one every `--interval-ms`, each ringing the next agent in turn, without waiting for the pops.
Printed: p50/p95/max of ScreenPop.latencies (AgentCalled handler start → WebSocket send done, on the
server) and of the client-side time (the fake Asterisk's write of the event → the agent's client has
the message; this adds the AMI socket, its parsing and the WebSocket hop). Both ends share one event
loop and two cores, so the client-side figure is an upper bound.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from ivr.ami.client import AmiClient
from ivr.fakepbx.ami import FakeAmiServer
from ivr.storage.desk import DeskStore
from ivr.storage.store import CallStore
from ivr.web.app import WebServer, make_app
from ivr.web.auth import hash_password
from ivr.web.deps import WebDeps
from ivr.web.screenpop import SCREENPOP
from tests.integration.web_core.seed import agent_event
from tests.support.desk_queues import desk_queues

PASSWORD = "bench password 123"
CALLER_SAYS = "I was charged twice for my order A-1234 last week and I would like my money back please"
BOT_SAYS = "I can help with billing. Could you tell me your order number, please?"
T0 = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
CONTEXT = {
    "intent": "billing.refund", "intent_score": 0.81, "slots": {"order_id": "A-1234", "amount": "49.90"},
    "answers_tried": ["billing.refund_policy", "billing.where_invoices"], "reason": "sensitive-topic",
    "sentiment": {"scores": [0.2, 0.0, -0.3, -0.5], "trend": "worse"}, "language": "en", "tier": "gold",
}  # fmt: skip


def interface(n: int) -> str:
    """The queue member interface of agent n."""
    return f"Local/agent{n}@agents"


def p95_of(values: list[float]) -> float:
    """Nearest-rank 95th percentile (infinite without samples)."""
    if not values:
        return float("inf")
    ordered = sorted(values)
    return ordered[max(1, math.ceil(0.95 * len(ordered))) - 1]


def percentiles(values: list[float]) -> str:
    """p50 / p95 / max in milliseconds."""
    if not values:
        return "no samples"
    ordered = sorted(values)
    return (
        f"p50 {statistics.median(ordered) * 1000:7.2f} ms   p95 {p95_of(ordered) * 1000:7.2f} ms   "
        f"max {ordered[-1] * 1000:7.2f} ms   (n={len(ordered)})"
    )


async def store_call(store: CallStore, n: int, number: str, turns: int, started: datetime) -> str:
    """One transferred bot call with `turns` turns; returns the AGI Uniqueid AgentCalled will carry."""
    uniqueid = f"1795272894.{n}"
    handle = await store.start_call(
        call_uuid=str(uuid.uuid4()), agi_uniqueid=uniqueid, channel=f"PJSIP/trunk-{n:08x}",
        caller_number=number, caller_name=f"Caller {n}", language="en", started_at=started,
    )  # fmt: skip
    for i in range(turns):
        at = started + timedelta(seconds=6 * i)
        caller = i % 2 == 1
        await store.add_turn(
            handle, speaker="caller" if caller else "bot", text=CALLER_SAYS if caller else BOT_SAYS,
            started_at=at, ended_at=at + timedelta(seconds=4), confidence=0.9 if caller else None,
        )  # fmt: skip
    await store.record_transfer(
        handle, reason="sensitive-topic", queue="billing", priority=5, context=CONTEXT,
        summary="Double charge on order A-1234; refund policy read; caller upset and asked for a person.",
        created_at=started + timedelta(seconds=6 * turns),
    )  # fmt: skip
    await store.end_call(handle, ended_at=started + timedelta(seconds=6 * turns + 1), end_reason="transfer",
                         outcome="transferred", queue="billing")  # fmt: skip
    return uniqueid


class Arrivals:
    """When each screen-pop reached its agent's client; `all_in` is set once `expected` have arrived."""

    def __init__(self, expected: int) -> None:
        self.at: dict[str, float] = {}
        self.expected = expected
        self.all_in = asyncio.Event()

    def note(self, uniqueid: str, at: float) -> None:
        """Record one arrival."""
        self.at[uniqueid] = at
        if len(self.at) >= self.expected:
            self.all_in.set()


async def agent_client(base: str, username: str, arrivals: Arrivals) -> tuple:
    """Log in through the form, open the WebSocket, and record when each screen-pop arrives."""
    session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    await (await session.get(f"{base}/login")).read()
    csrf = next(c.value for c in session.cookie_jar if c.key == "ivr_csrf")
    response = await session.post(f"{base}/api/login", json={"username": username, "password": PASSWORD},
                                  headers={"X-CSRF-Token": csrf})  # fmt: skip
    assert response.status == 200, await response.text()
    ws = await session.ws_connect(f"{base}/ws", origin=base)

    async def read() -> None:
        async for message in ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            at = time.perf_counter()
            data = json.loads(message.data)
            if data.get("type") == "screenpop" and data.get("known"):
                arrivals.note(data.get("uniqueid") or "", at)

    return session, ws, asyncio.get_running_loop().create_task(read())


async def main(args: argparse.Namespace) -> None:
    """Set everything up, emit the events, print the numbers."""
    tmp = Path(tempfile.mkdtemp(prefix="bench-screenpop-"))
    store = await CallStore.open(f"sqlite:///{tmp / 'ivr.db'}")
    desk = DeskStore(store.session_factory)
    agents = {interface(n): f"A{n}" for n in range(args.agents)}
    digest = hash_password(PASSWORD)
    for n in range(args.agents):
        await desk.create_user(
            username=f"agent{n}", password_hash=digest, role="agent", agent_id=f"A{n}", now=T0
        )
    print(f"storing {args.events} bot calls of {args.turns} turns…", flush=True)
    uniqueids = [
        await store_call(store, n, f"+1555{n % args.agents:04d}", args.turns, T0 + timedelta(minutes=n))
        for n in range(args.events)
    ]
    await store.wait_flushed()
    ami_server = FakeAmiServer({"ivr": "s3cret"})
    await ami_server.start()
    ami = AmiClient("127.0.0.1", ami_server.port, "ivr", "s3cret", action_timeout=2.0)
    ami_task = asyncio.get_running_loop().create_task(ami.run())
    await ami.wait_connected(5)
    deps = WebDeps(store=store, desk=desk, agent_of=agents.get, **desk_queues(ami, store),
                   interface_of={v: k for k, v in agents.items()}.get)  # fmt: skip
    app = make_app(deps, secret=b"bench-secret-0123456789abcdef012")
    server = WebServer(app)
    await server.start("127.0.0.1", 0)
    base = f"http://127.0.0.1:{server.port}"
    arrivals = Arrivals(args.events)
    print(f"logging in {args.agents} agents…", flush=True)
    clients = [await agent_client(base, f"agent{n}", arrivals) for n in range(args.agents)]
    pop = app[SCREENPOP]
    sent: dict[str, float] = {}
    print(f"emitting {args.events} AgentCalled, one every {args.interval_ms} ms…", flush=True)
    for n, uniqueid in enumerate(uniqueids):
        headers = agent_event("AgentCalled", uniqueid=uniqueid, caller_name=f"Caller {n}",
                              interface=interface(n % args.agents) + "/n")  # fmt: skip
        sent[uniqueid] = time.perf_counter()
        await ami_server.emit(headers)
        await asyncio.sleep(args.interval_ms / 1000)  # pacing of the load generator, not a wait for a result
    await pop.wait_latencies(len(uniqueids), timeout=30)
    # The clients' readers run a hop behind the server's sends.
    await asyncio.wait_for(arrivals.all_in.wait(), 30)
    client_side = [arrivals.at[u] - sent[u] for u in uniqueids if u in arrivals.at]
    print()
    print(f"agents connected: {args.agents}; events: {args.events}; turns per call: {args.turns}")
    print(f"server (AgentCalled handled → WS sent):   {percentiles(pop.latencies)}")
    print(f"client (AMI event written → WS received): {percentiles(client_side)}")
    print(f"target p95 ≤ 50 ms: {'met' if p95_of(pop.latencies) <= 0.050 else 'NOT met'}")
    for session, ws, reader in clients:
        await ws.close()
        reader.cancel()
        await session.close()
    await server.stop()
    await ami.close()
    await asyncio.wait_for(ami_task, 5)
    await ami_server.close()
    await store.close()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--interval-ms", type=float, default=100.0)
    parser.add_argument("--turns", type=int, default=20)
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
