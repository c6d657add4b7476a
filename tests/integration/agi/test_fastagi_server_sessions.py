"""FastAgiServer over real sockets against the fake Asterisk: replies in step, errors, timeouts."""

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from ivr.agi import (
    AgiChannel,
    AgiCommandError,
    AgiConnectionClosed,
    AgiTimeoutError,
    FastAgiServer,
    Quoted,
    split_command,
)
from ivr.fakepbx.agi import FakeAgiClient, capture_env_fields, replay_capture

HANGUP_UUID = "cb248159-161f-42f0-b88b-836affd7c439"
SAFETY = 5.0


@asynccontextmanager
async def running_server(
    handler: Callable[[AgiChannel], Awaitable[None]], **kw: Any
) -> AsyncIterator[FastAgiServer]:
    server = FastAgiServer(handler, scripts=kw.pop("scripts", ("hotline",)), **kw)
    await server.start("127.0.0.1", 0)
    try:
        yield server
    finally:
        await server.close()


async def run_session(body: Callable[[AgiChannel], Awaitable[Any]], client: FakeAgiClient, **kw: Any) -> Any:
    """Run `body` as the AGI handler of one fake call; return its result or raise its exception."""
    outcome: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    async def handler(channel: AgiChannel) -> None:
        try:
            outcome.set_result(await body(channel))
        except Exception as exc:
            outcome.set_exception(exc)

    async with running_server(handler, **kw) as server:
        await asyncio.wait_for(client.run("127.0.0.1", server.port), SAFETY)
    return await asyncio.wait_for(outcome, SAFETY)


def _captured_commands(captures_dir: Path, name: str) -> list[tuple[str, ...]]:
    """The capture's commands as words, with the words the capture server quoted kept Quoted."""
    out = []
    for direction, data in replay_capture(captures_dir / name / "fastagi.txt"):
        if direction == "out":
            line = data.decode()
            out.append(tuple(Quoted(w) if f'"{w}"' in line else w for w in split_command(line[:-1])))
    return out


async def test_caller_hangup_replay_gives_the_bot_unshifted_replies(captures_dir: Path) -> None:
    pairs = replay_capture(captures_dir / "caller-hangup" / "fastagi.txt")

    async def audiosocket(app: str, args: str) -> int:
        assert (app, args) == ("AudioSocket", f"{HANGUP_UUID},127.0.0.1:4574")
        client.hangup()  # the caller hangs up during the stream, as in the capture
        return -1

    client = FakeAgiClient(
        capture_env_fields(pairs), variables={"CALL_UUID": HANGUP_UUID}, exec_hook=audiosocket
    )

    async def bot(channel: AgiChannel) -> list[tuple[str, bool]]:
        assert channel.env.uniqueid == "1795272987.9"
        seen = []
        for words in _captured_commands(captures_dir, "caller-hangup"):
            reply = await channel.command(*words)
            seen.append((reply.text, channel.hung_up.is_set()))
        return seen

    seen = await run_session(bot, client)
    assert [text for text, _ in seen] == [
        f"200 result=1 ({HANGUP_UUID})",
        "200 result=1 (5551234)",
        f"200 result=1 ({HANGUP_UUID})",
        "200 result=0",
        "510 Invalid or unknown command",
        "200 result=-1",
        "200 result=1",
        "200 result=1",
        f"200 result=1 ({HANGUP_UUID})",
        f"200 result=1 ({HANGUP_UUID})",
        "200 result=1",
    ]
    assert [hung for _, hung in seen[:5]] == [False] * 5
    assert all(hung for _, hung in seen[6:])
    # Byte for byte what the capture shows on both sides (plus VERBOSE's reply the capture never read).
    assert [c.encode() + b"\n" for c in client.commands] == [d for k, d in pairs if k == "out"]
    assert client.sent == [d for k, d in pairs if k == "in"] + [b"200 result=1\n"]
    assert client.ivr_variables == {"IVR_ACTION": "transfer", "IVR_QUEUE": "support"}


async def test_transfer_session_through_the_helpers(captures_dir: Path) -> None:
    uuid = "da5eb3a7-426c-4a1e-84bb-97b62a89bebc"
    execs: list[tuple[str, str]] = []

    async def hook(app: str, args: str) -> int:
        execs.append((app, args))
        return 0

    pairs = replay_capture(captures_dir / "transfer-answered" / "fastagi.txt")
    client = FakeAgiClient(capture_env_fields(pairs), variables={"CALL_UUID": uuid}, exec_hook=hook)

    async def bot(channel: AgiChannel) -> tuple:
        got = await channel.get_variable("CALL_UUID")
        number = await channel.get_variable("CALLERID(num)")
        missing = await channel.get_variable("NONEXISTENT_VAR")
        result = await channel.exec_app("AudioSocket", f"{got},127.0.0.1:4574")
        await channel.set_variable("IVR_ACTION", "transfer")
        await channel.set_variable("IVR_QUEUE", "support")
        await channel.verbose("ivr done")
        return got, number, missing, result, channel.hung_up.is_set()

    assert await run_session(bot, client) == (uuid, "5551234", None, 0, False)
    assert execs == [("AudioSocket", f"{uuid},127.0.0.1:4574")]
    assert client.ivr_variables == {"IVR_ACTION": "transfer", "IVR_QUEUE": "support"}
    assert client.commands[-2:] == ['SET VARIABLE IVR_QUEUE "support"', 'VERBOSE "ivr done" 1']


async def test_510_520_and_511_keep_replies_in_step() -> None:
    client = FakeAgiClient(variables={"FOO": "bar (baz)"})

    async def bot(channel: AgiChannel) -> tuple:
        bogus = await channel.command("BOGUS", "COMMAND")
        usage = await channel.command("GET", "VARIABLE")
        foo = await channel.get_variable("FOO")
        await channel.command("HANGUP")
        with pytest.raises(AgiCommandError) as dead:
            await channel.answer()
        await channel.set_variable("IVR_ACTION", "transfer")  # dead-capable, still in step
        return bogus, usage, foo, dead.value.reply, channel.hung_up.is_set()

    bogus, usage, foo, dead, hung_up = await run_session(bot, client)
    assert (bogus.code, bogus.text) == (510, "510 Invalid or unknown command")
    assert (
        usage.code == 520 and usage.text.count("\n") == 3 and usage.text.endswith("520 End of proper usage.")
    )
    assert foo == "bar (baz)"
    assert dead.code == 511
    assert hung_up
    assert client.ivr_variables == {"IVR_ACTION": "transfer"}


async def test_exec_of_unknown_app_returns_minus_two() -> None:
    async def bot(channel: AgiChannel) -> int:
        return await channel.exec_app("NoSuchApp")

    client = FakeAgiClient()
    assert await run_session(bot, client) == -2
    assert client.commands == ["EXEC NoSuchApp"]


async def test_command_timeout_closes_the_connection() -> None:
    release = asyncio.Event()

    async def stuck(app: str, args: str) -> int:
        await release.wait()
        return 0

    client = FakeAgiClient(exec_hook=stuck)

    async def bot(channel: AgiChannel) -> tuple:
        with pytest.raises(AgiTimeoutError):
            await channel.exec_app("Wait", "10", timeout=0.05)
        closed = channel.closed
        with pytest.raises(AgiConnectionClosed):
            await channel.verbose("never sent")
        release.set()
        return closed, channel.hung_up.is_set()

    assert await run_session(bot, client) == (True, False)
    assert client.commands == ["EXEC Wait 10"]


async def test_unknown_script_is_answered_with_verbose_then_closed(caplog: pytest.LogCaptureFixture) -> None:
    called = []

    async def handler(channel: AgiChannel) -> None:
        called.append(channel)

    client = FakeAgiClient({"script": "nope?x=1"})
    with caplog.at_level(logging.WARNING, logger="ivr.agi.server"):
        async with running_server(handler) as server:
            await asyncio.wait_for(client.run("127.0.0.1", server.port), SAFETY)
    assert called == []
    assert client.commands == ['VERBOSE "ivr: unknown AGI script nope" 1']
    assert client.sent[-1] == b"200 result=1\n"
    assert "unknown script 'nope'" in caplog.text


async def test_query_and_args_reach_the_handler() -> None:
    async def bot(channel: AgiChannel) -> tuple:
        return channel.env.script, channel.env.query, channel.env.args

    client = FakeAgiClient({"script": "hotline?lang=ko", "args": ["vip", "two words"]})
    assert await run_session(bot, client) == ("hotline", {"lang": "ko"}, ("vip", "two words"))


async def test_eof_during_a_command_sets_hung_up_and_raises() -> None:
    outcome: asyncio.Future[tuple] = asyncio.get_running_loop().create_future()

    async def bot(channel: AgiChannel) -> None:
        try:
            await channel.get_variable("X")
        except AgiConnectionClosed:
            outcome.set_result((channel.hung_up.is_set(), channel.closed))

    async with running_server(bot) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"agi_network: yes\nagi_network_script: hotline\n\n")
        assert await asyncio.wait_for(reader.readline(), SAFETY) == b"GET VARIABLE X\n"
        writer.close()
        await writer.wait_closed()
        assert await asyncio.wait_for(outcome, SAFETY) == (True, True)


async def test_hangup_while_idle_is_an_event_before_the_next_reply() -> None:
    client = FakeAgiClient(variables={"CALL_UUID": "u-9"})

    async def bot(channel: AgiChannel) -> tuple:
        await channel.verbose("before")
        client.hangup()  # the next reply arrives as HANGUP + reply
        before = channel.hung_up.is_set()
        value = await channel.get_variable("CALL_UUID")
        after = await channel.get_variable("CALL_UUID")
        return before, value, after, channel.hung_up.is_set()

    assert await run_session(bot, client) == (False, "u-9", "u-9", True)
    assert client.sent[-3:] == [b"HANGUP\n", b"200 result=1 (u-9)\n", b"200 result=1 (u-9)\n"]


async def test_nul_in_the_script_name_is_refused_without_a_traceback(caplog: pytest.LogCaptureFixture):
    called = []

    async def handler(channel: AgiChannel) -> None:
        called.append(channel)

    client = FakeAgiClient({"script": "hot\x00line", "calleridname": "E\x00ve"})
    with caplog.at_level(logging.INFO):
        async with running_server(handler) as server:
            await asyncio.wait_for(client.run("127.0.0.1", server.port), SAFETY)
    assert called == []  # not served as "hotline" either
    assert client.commands == ['VERBOSE "ivr: unknown AGI script hotline" 1']
    assert "unknown script 'hot\\x00line'" in caplog.text
    assert not [r for r in caplog.records if r.exc_info], "a garbled script name must not log a traceback"
