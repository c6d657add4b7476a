"""AmiClient events and resilience: replayed captures, dropped connections, dead peers, bad callbacks."""

import asyncio
import logging
from collections.abc import Awaitable, Callable

import pytest

from ivr.ami.codec import AmiMessage
from ivr.fakepbx.ami import FakeAmiServer, FakeAmiSession, parse_capture

from .conftest import CAPTURES, StartClient

Handler = Callable[[FakeAmiSession, AmiMessage], Awaitable[None]]


class FirstOnly:
    """An action handler that does `first` with the first request and `then` with every later one."""

    def __init__(self, first: Handler, *, then: Handler) -> None:
        self.first, self.then, self.calls = first, then, 0

    async def __call__(self, session: FakeAmiSession, request: AmiMessage) -> None:
        self.calls += 1
        await (self.first if self.calls == 1 else self.then)(session, request)


async def test_replayed_capture_reaches_subscribers_in_order(
    ami_server: FakeAmiServer, start_client: StartClient
) -> None:
    client = await start_client()
    seen: list[AmiMessage] = []
    done = asyncio.Event()

    def record(message: AmiMessage) -> None:
        seen.append(message)
        if message.get("UserEvent") == "end":
            done.set()

    client.subscribe("*", record)
    await client.wait_connected(5)
    capture = CAPTURES / "transfer-answered" / "ami-events.txt"
    await ami_server.emit({"Event": "UserEvent", "UserEvent": "start"})
    await ami_server.replay(capture)
    await ami_server.emit({"Event": "UserEvent", "UserEvent": "end"})
    await asyncio.wait_for(done.wait(), 5)
    start = next(i for i, m in enumerate(seen) if m.get("UserEvent") == "start")
    replayed = seen[start + 1 : -1]
    assert replayed == parse_capture(capture)
    queue_flow = [m.event for m in replayed if m.event in ("QueueCallerJoin", "AgentCalled", "AgentConnect")]
    assert queue_flow == ["QueueCallerJoin", "AgentCalled", "AgentConnect"]


async def test_reconnect_after_drop_keeps_subscriptions_and_reruns_on_connect(
    ami_server: FakeAmiServer, start_client: StartClient
) -> None:
    client = await start_client()
    got: asyncio.Queue[AmiMessage] = asyncio.Queue()
    logins: list[int] = []
    twice = asyncio.Event()

    async def on_connect() -> None:
        logins.append(ami_server.logins)
        if len(logins) == 2:
            twice.set()

    client.subscribe("QueueCallerJoin", got.put_nowait)
    client.on_connect(on_connect)
    await client.wait_connected(5)
    await ami_server.drop_connections()
    await ami_server.wait_until(lambda: ami_server.logins == 2)
    await client.wait_connected(5)
    await ami_server.emit({"Event": "QueueCallerJoin", "Queue": "support", "Linkedid": "1.0"})
    event = await asyncio.wait_for(got.get(), 5)
    assert event.get("Linkedid") == "1.0"
    assert ami_server.connections == 2
    await asyncio.wait_for(twice.wait(), 5)
    assert logins == [1, 2]


async def test_action_sent_while_down_completes_after_reconnect(
    ami_server: FakeAmiServer, start_client: StartClient
) -> None:
    client = await start_client()
    await client.wait_connected(5)
    release = asyncio.Event()

    async def held_login(session: FakeAmiSession, request: AmiMessage) -> None:
        await release.wait()
        await ami_server.action_login(session, request)

    ami_server.set_handler("Login", held_login)
    await ami_server.drop_connections()
    await ami_server.wait_until(lambda: len(ami_server.actions_named("Login")) == 2)
    assert not client.connected.is_set()  # reconnected, but the login is still held
    sending = asyncio.create_task(client.send_action("Setvar", {"Variable": "IVR_X", "Value": "1"}))
    release.set()
    reply = await asyncio.wait_for(sending, 5)
    assert reply.message_text == "Variable Set"
    names = [a.action for a in ami_server.actions]
    assert names.count("Setvar") == 1
    assert names.index("Setvar") > max(i for i, n in enumerate(names) if n == "Login")
    assert ami_server.variables[("", "IVR_X")] == "1"


async def test_action_in_flight_when_the_connection_drops_is_resent(
    ami_server: FakeAmiServer, start_client: StartClient
) -> None:
    client = await start_client()
    await client.wait_connected(5)

    async def lose(session: FakeAmiSession, request: AmiMessage) -> None:
        pass

    handler = FirstOnly(lose, then=ami_server.action_queuestatus)
    ami_server.set_handler("QueueStatus", handler)
    sending = asyncio.create_task(client.send_action("QueueStatus", timeout=5))
    await ami_server.wait_until(lambda: handler.calls == 1)
    await ami_server.drop_connections()
    reply = await asyncio.wait_for(sending, 5)
    assert reply.complete is not None and reply.complete.get("ListItems") == "3"
    first, second = ami_server.actions_named("QueueStatus")
    assert first.action_id == second.action_id
    assert ami_server.logins == 2


async def test_unanswered_pings_make_the_client_reconnect(
    ami_server: FakeAmiServer, start_client: StartClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="ivr.ami.client"):
        # Pings every 50 ms, but a reply gets a whole second: a busy machine can delay an answered Ping
        # for longer than a tight timeout, and that must not count as a dead peer here.
        client = await start_client(ping_interval=0.05, ping_timeout=1.0)
        await client.wait_connected(5)
        await ami_server.wait_until(lambda: len(ami_server.actions_named("Ping")) >= 2)
        assert ami_server.connections == 1  # answered pings keep the session
        ami_server.stop_answering_pings()
        await ami_server.wait_until(lambda: ami_server.logins >= 2)
    assert any("no reply to Ping" in r.getMessage() for r in caplog.records)


async def test_garbage_from_the_peer_ends_the_session_and_reconnects(
    ami_server: FakeAmiServer, start_client: StartClient, caplog: pytest.LogCaptureFixture
) -> None:
    client = await start_client()
    await client.wait_connected(5)

    async def garbage(session: FakeAmiSession, request: AmiMessage) -> None:
        await session.send_raw(b"this line has no colon\r\n\r\n")

    handler = FirstOnly(garbage, then=ami_server.action_setvar)
    ami_server.set_handler("Setvar", handler)
    with caplog.at_level(logging.WARNING, logger="ivr.ami.client"):
        reply = await client.send_action("Setvar", {"Variable": "X"}, timeout=5)
    assert reply.message_text == "Variable Set"
    assert ami_server.logins == 2 and handler.calls == 2
    first, second = ami_server.actions_named("Setvar")
    assert first.action_id == second.action_id
    assert any("not 'Key: Value'" in r.getMessage() for r in caplog.records)


async def test_raising_callbacks_disturb_nothing(
    ami_server: FakeAmiServer, start_client: StartClient, caplog: pytest.LogCaptureFixture
) -> None:
    client = await start_client()
    good: asyncio.Queue[AmiMessage] = asyncio.Queue()

    def bad_sync(message: AmiMessage) -> None:
        raise ValueError("bad sync callback")

    async def bad_async(message: AmiMessage) -> None:
        raise ValueError("bad async callback")

    client.subscribe("Hangup", bad_sync)
    client.subscribe("*", bad_async)
    client.subscribe("Hangup", good.put_nowait)
    client.on_connect(lambda: 1 / 0)
    await client.wait_connected(5)
    with caplog.at_level(logging.ERROR):
        for cause in ("16", "17"):
            await ami_server.emit({"Event": "Hangup", "Cause": cause})
        assert (await asyncio.wait_for(good.get(), 5)).get("Cause") == "16"
        assert (await asyncio.wait_for(good.get(), 5)).get("Cause") == "17"
    assert (await client.send_action("Ping")).ok
    assert ami_server.connections == 1 and client.connected.is_set()
    assert sum("raised" in r.getMessage() for r in caplog.records) >= 4


async def test_unsubscribed_callback_gets_nothing_more(
    ami_server: FakeAmiServer, start_client: StartClient
) -> None:
    client = await start_client()
    first: list[str] = []
    after: asyncio.Queue[AmiMessage] = asyncio.Queue()
    unsubscribe = client.subscribe("Newchannel", lambda m: first.append(m.get("N") or ""))
    client.subscribe("Newchannel", after.put_nowait)
    await client.wait_connected(5)
    await ami_server.emit({"Event": "Newchannel", "N": "1"})
    await asyncio.wait_for(after.get(), 5)
    unsubscribe()
    await ami_server.emit({"Event": "Newchannel", "N": "2"})
    await asyncio.wait_for(after.get(), 5)
    assert first == ["1"]
