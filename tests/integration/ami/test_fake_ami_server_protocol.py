"""FakeAmiServer as seen by a raw socket: the texts a real Asterisk would send."""

import asyncio
import hashlib
from collections.abc import AsyncIterator

import pytest

from ivr.ami.codec import AmiBanner, AmiDecoder, AmiMessage, encode_action
from ivr.fakepbx.ami import FakeAmiServer


class RawAmi:
    """A hand-driven AMI connection: write actions, read whatever comes back."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.decoder = AmiDecoder()
        self.items: list[AmiBanner | AmiMessage] = []

    async def next(self) -> AmiBanner | AmiMessage:
        while not self.items:
            data = await asyncio.wait_for(self.reader.read(65536), 5)
            if not data:
                raise EOFError
            self.items += self.decoder.feed(data)
        return self.items.pop(0)

    async def act(self, action: str, **headers: str) -> AmiMessage:
        self.writer.write(encode_action(action, {**headers, "ActionID": f"t-{action}"}))
        reply = await self.next()
        assert isinstance(reply, AmiMessage)
        return reply

    async def login(self) -> None:
        reply = await self.act("Login", Username="ivr", Secret="s3cret")
        assert reply.get("Message") == "Authentication accepted"
        assert (await self.next()).event == "FullyBooted"


@pytest.fixture
async def raw(ami_server: FakeAmiServer) -> AsyncIterator[RawAmi]:
    reader, writer = await asyncio.open_connection("127.0.0.1", ami_server.port)
    conn = RawAmi(reader, writer)
    yield conn
    writer.close()
    await writer.wait_closed()


async def test_banner_bytes_are_exactly_the_captured_ones(ami_server: FakeAmiServer) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", ami_server.port)
    assert await asyncio.wait_for(reader.readuntil(b"\n"), 5) == b"Asterisk Call Manager/13.0.0\r\n"
    writer.close()
    await writer.wait_closed()


async def test_before_login_only_login_challenge_logoff(raw: RawAmi) -> None:
    assert await raw.next() == AmiBanner("Asterisk Call Manager/13.0.0")
    denied = await raw.act("Ping")
    assert (denied.response, denied.action_id, denied.get("Message")) == (
        "Error",
        "t-Ping",
        "Permission denied",
    )
    raw.writer.write(b"Foo: bar\r\n\r\n")
    assert (await raw.next()).get("Message") == "Missing action in request"
    challenge = await raw.act("Challenge", AuthType="MD5")
    assert challenge.response == "Success" and (challenge.get("Challenge") or "").isdigit()
    assert [name for name, _ in challenge.headers] == ["Response", "ActionID", "Challenge"]
    key = hashlib.md5(((challenge.get("Challenge") or "") + "s3cret").encode()).hexdigest()
    login = await raw.act("Login", Username="ivr", AuthType="MD5", Key=key)
    assert [name for name, _ in login.headers] == ["Response", "ActionID", "Message"]
    assert (await raw.next()).headers == (
        ("Event", "FullyBooted"),
        ("Privilege", "system,all"),
        ("Uptime", "6"),
        ("LastReload", "6"),
        ("Status", "Fully Booted"),
    )
    unknown = await raw.act("Frobnicate")
    assert unknown.get("Message") == (
        "Invalid/unknown command: Frobnicate. Use Action: ListCommands to show available commands."
    )
    goodbye = await raw.act("Logoff")
    assert (goodbye.response, goodbye.get("Message")) == ("Goodbye", "Thanks for all the fish.")
    with pytest.raises(EOFError):
        await raw.next()


async def test_failed_login_replies_then_closes(raw: RawAmi, ami_server: FakeAmiServer) -> None:
    await raw.next()
    reply = await raw.act("Login", Username="ivr", Secret="nope")
    assert (reply.response, reply.get("Message")) == ("Error", "Authentication failed")
    with pytest.raises(EOFError):
        await raw.next()
    assert ami_server.logins == 0


async def test_queue_actions_use_the_real_texts_and_emit_member_events(raw: RawAmi) -> None:
    await raw.next()
    await raw.login()
    member = {"Queue": "support", "Interface": "PJSIP/1000"}
    assert (await raw.act("QueueAdd", **member, MemberName="Kim")).get(
        "Message"
    ) == "Added interface to queue"
    added = await raw.next()
    assert (added.event, added.get("MemberName"), added.get("Membership")) == (
        "QueueMemberAdded",
        "Kim",
        "dynamic",
    )
    assert (await raw.act("QueueAdd", Queue="nope", Interface="x")).get("Message") == (
        "Unable to add interface to queue: No such queue"
    )
    paused = await raw.act("QueuePause", Interface="PJSIP/1000", Paused="true", Reason="lunch")
    assert paused.get("Message") == "Interface paused successfully"
    pause_event = await raw.next()
    assert (pause_event.event, pause_event.get("Paused"), pause_event.get("PausedReason")) == (
        "QueueMemberPause",
        "1",
        "lunch",
    )
    penalty = await raw.act("QueuePenalty", Interface="PJSIP/1000", Penalty="3")
    assert penalty.get("Message") == "Interface penalty set successfully"
    assert (await raw.next()).get("Penalty") == "3"
    static = await raw.act("QueueRemove", Queue="support", Interface="Local/agent1@agents/n")
    assert static.get("Message") == "Member not dynamic"
    assert (await raw.act("QueueRemove", **member)).get("Message") == "Removed interface from queue"
    assert (await raw.next()).event == "QueueMemberRemoved"
    assert (await raw.act("QueueRemove", **member)).get("Message") == "Unable to remove interface: Not there"


async def test_queue_summary_is_a_list_reply(raw: RawAmi) -> None:
    await raw.next()
    await raw.login()
    ack = await raw.act("QueueSummary")
    assert (ack.get("EventList"), ack.get("Message")) == ("start", "Queue summary will follow")
    items = [await raw.next() for _ in range(3)]
    assert [(m.event, m.get("Queue"), m.get("LoggedIn")) for m in items[:2]] == [
        ("QueueSummary", "support", "1"),
        ("QueueSummary", "billing", "0"),
    ]
    assert (items[2].event, items[2].event_list, items[2].get("ListItems")) == (
        "QueueSummaryComplete",
        "complete",
        "2",
    )
    assert {m.action_id for m in items} == {"t-QueueSummary"}


async def test_sync_originate_and_failure_reason(raw: RawAmi, ami_server: FakeAmiServer) -> None:
    await raw.next()
    await raw.login()
    assert (await raw.act("Originate", Channel="PJSIP/1")).get("Message") == "Originate successfully queued"
    ami_server.originate_reason = 5
    assert (await raw.act("Originate", Channel="PJSIP/1")).get("Message") == "Originate failed"
    assert (await raw.act("Originate", Channel="PJSIP/1", Async="yes")).response == "Success"
    event = await raw.next()
    assert (event.event, event.response, event.get("Reason")) == ("OriginateResponse", "Failure", "5")
    assert (await raw.act("Redirect", Channel="PJSIP/1", Context="c", Exten="s", Priority="1")).get(
        "Message"
    ) == "Redirect successful"
