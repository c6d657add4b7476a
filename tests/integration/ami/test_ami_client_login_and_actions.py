"""AmiClient against FakeAmiServer over TCP: logins, backoff on bad credentials, actions and replies."""

import asyncio
import hashlib
import itertools
import logging

import pytest

from ivr.ami.client import AmiClient
from ivr.ami.codec import AmiMessage
from ivr.ami.errors import AmiClosedError, AmiTimeoutError
from ivr.errors import LocalProtocolError
from ivr.fakepbx.ami import FakeAmiServer, FakeAmiSession

from .conftest import StartClient


async def test_md5_login_uses_the_challenge_and_never_sends_the_secret(
    ami_server: FakeAmiServer, start_client: StartClient
) -> None:
    client = await start_client(auth="md5")
    await client.wait_connected(5)
    challenge, login = ami_server.actions[:2]
    assert challenge.action == "Challenge" and challenge.get("AuthType") == "MD5"
    assert login.action == "Login"
    assert login.get("Username") == "ivr"
    assert login.get("Secret") is None
    [session] = ami_server.logged_in_sessions
    assert session.challenge is not None
    assert login.get("Key") == hashlib.md5((session.challenge + "s3cret").encode()).hexdigest()
    assert login.get("Events") == "on"


async def test_plain_login_sends_the_secret(ami_server: FakeAmiServer, start_client: StartClient) -> None:
    client = await start_client(auth="plain", events="off")
    await client.wait_connected(5)
    assert [a.action for a in ami_server.actions] == ["Login"]
    assert ami_server.actions[0].get("Secret") == "s3cret"
    assert ami_server.actions[0].get("Events") == "off"
    assert ami_server.logins == 1


async def test_bad_secret_is_logged_and_retried_with_growing_backoff(
    ami_server: FakeAmiServer, start_client: StartClient, caplog: pytest.LogCaptureFixture
) -> None:
    loop = asyncio.get_running_loop()
    attempts: list[float] = []

    async def timed_login(session: FakeAmiSession, request: AmiMessage) -> None:
        attempts.append(loop.time())
        await ami_server.action_login(session, request)

    ami_server.set_handler("Login", timed_login)
    with caplog.at_level(logging.INFO, logger="ivr.ami.client"):
        client = await start_client(secret="wrong", backoff_initial=0.04, backoff_max=0.16)
        await ami_server.wait_until(lambda: len(attempts) >= 5)
    assert not client.connected.is_set()
    assert ami_server.logins == 0
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) >= 4
    assert all("Authentication failed" in r.getMessage() for r in errors)
    # Each wait is at least half its base (jitter only shortens): 0.04, 0.08, 0.16, 0.16 seconds.
    gaps = [later - earlier for earlier, later in itertools.pairwise(attempts)]
    for gap, base in zip(gaps, [0.04, 0.08, 0.16, 0.16], strict=False):
        assert gap >= base / 2 * 0.9


async def test_connection_refused_is_retried_until_the_server_appears(start_client: StartClient) -> None:
    server = FakeAmiServer({"ivr": "s3cret"})
    await server.start()
    port = server.port
    await server.close()  # nothing listens on `port` now
    client = AmiClient("127.0.0.1", port, "ivr", "s3cret", backoff_initial=0.02, backoff_max=0.05)
    task = asyncio.create_task(client.run())
    try:
        await server.start(port=port)
        await client.wait_connected(5)
        assert server.logins == 1
    finally:
        await client.close()
        await task
        await server.close()


async def test_plain_action_list_action_and_queue_ack(
    ami_server: FakeAmiServer, start_client: StartClient
) -> None:
    client = await start_client()
    await client.wait_connected(5)

    ping = await client.send_action("Ping")
    assert ping.ok and ping.message.get("Ping") == "Pong" and ping.events == ()

    added = await client.send_action(
        "QueueAdd", {"Queue": "support", "Interface": "PJSIP/1000", "Penalty": 2}
    )
    assert added.ok and added.message_text == "Added interface to queue"
    again = await client.send_action("QueueAdd", {"Queue": "support", "Interface": "PJSIP/1000"})
    assert not again.ok and again.message_text == "Unable to add interface: Already there"

    status = await client.send_action("QueueStatus", {"Queue": "support"})
    assert status.ok and status.message.event_list == "start"
    assert [e.event for e in status.events] == ["QueueParams", "QueueMember", "QueueMember"]
    assert {e.get("Location") for e in status.events[1:]} == {"Local/agent1@agents/n", "PJSIP/1000"}
    assert status.complete is not None and status.complete.event == "QueueStatusComplete"
    assert status.complete.get("ListItems") == "3"
    sent = ami_server.actions_named("QueueStatus")[0]
    assert {e.action_id for e in status.events} == {sent.action_id}


async def test_action_ids_are_unique_and_replies_are_matched(
    ami_server: FakeAmiServer, start_client: StartClient
) -> None:
    client = await start_client()
    await client.wait_connected(5)
    replies = await asyncio.gather(
        *(client.send_action("Setvar", {"Variable": f"V{i}", "Value": str(i)}) for i in range(20))
    )
    assert all(r.message_text == "Variable Set" for r in replies)
    sent = ami_server.actions_named("Setvar")
    assert len({a.action_id for a in sent}) == 20
    by_id = {a.action_id: a.get("Variable") for a in sent}
    assert [by_id[r.message.action_id] for r in replies] == [f"V{i}" for i in range(20)]


async def test_async_originate_acks_at_once_and_dispatches_originate_response(
    ami_server: FakeAmiServer, start_client: StartClient
) -> None:
    client = await start_client()
    responses: asyncio.Queue[AmiMessage] = asyncio.Queue()
    client.subscribe("OriginateResponse", responses.put_nowait)
    await client.wait_connected(5)
    ack = await client.send_action(
        "Originate",
        {"Channel": "Local/100@hotline", "Context": "caller-sim", "Exten": "s", "Priority": 1,
         "CallerID": '"Test Caller" <5551234>', "Variable": ["SAY1=hello", "WAIT1=1"], "Async": "true"},
    )  # fmt: skip
    assert ack.ok and ack.message_text == "Originate successfully queued"
    event = await asyncio.wait_for(responses.get(), 5)
    sent = ami_server.actions_named("Originate")[0]
    assert sent.get_all("Variable") == ["SAY1=hello", "WAIT1=1"]
    assert event.action_id == sent.action_id == ack.message.action_id
    assert (event.response, event.get("Reason"), event.get("CallerIDName")) == ("Success", "4", "Test Caller")


async def test_user_event_action_reaches_subscribers(start_client: StartClient) -> None:
    client = await start_client()
    got: asyncio.Queue[AmiMessage] = asyncio.Queue()
    client.subscribe("userevent", got.put_nowait)
    await client.wait_connected(5)
    reply = await client.send_action("UserEvent", {"UserEvent": "ScreenPop", "Agent": "1001"})
    assert reply.message_text == "Event Sent"
    event = await asyncio.wait_for(got.get(), 5)
    assert (event.get("UserEvent"), event.get("Agent")) == ("ScreenPop", "1001")


async def test_error_reply_is_returned_not_raised(start_client: StartClient) -> None:
    client = await start_client()
    await client.wait_connected(5)
    reply = await client.send_action("NoSuchThing")
    assert not reply.ok
    assert reply.message_text.startswith("Invalid/unknown command: NoSuchThing.")


async def test_unanswered_action_times_out(ami_server: FakeAmiServer, start_client: StartClient) -> None:
    client = await start_client()
    await client.wait_connected(5)
    ami_server.paused = True
    with pytest.raises(AmiTimeoutError):
        await client.send_action("Setvar", {"Variable": "X"}, timeout=0.1)
    ami_server.paused = False
    assert (await client.send_action("Ping")).ok


async def test_caller_may_not_choose_the_action_id(start_client: StartClient) -> None:
    client = await start_client()
    with pytest.raises(LocalProtocolError):
        await client.send_action("Ping", {"ActionID": "mine"})


async def test_close_fails_waiting_actions_and_leaves_no_tasks(ami_server: FakeAmiServer) -> None:
    client = AmiClient("127.0.0.1", ami_server.port, "ivr", "s3cret", ping_interval=0.05)
    events: list[AmiMessage] = []

    async def on_connect() -> None:
        await client.send_action("QueueStatus")  # an on_connect task that is running when we close

    client.on_connect(on_connect)
    client.subscribe("*", events.append)
    task = asyncio.create_task(client.run())
    await client.wait_connected(5)
    ami_server.paused = True  # nothing is answered any more
    waiting = asyncio.create_task(client.send_action("Setvar", {"Variable": "X"}))
    await ami_server.wait_until(lambda: bool(ami_server.actions_named("Setvar")))
    await client.close()
    await asyncio.wait_for(task, 5)
    with pytest.raises(AmiClosedError):
        await waiting
    with pytest.raises(AmiClosedError):
        await client.send_action("Ping")
    await ami_server.close()
    assert asyncio.all_tasks() == {asyncio.current_task()}
