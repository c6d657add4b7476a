"""EventDispatcher: matching, order, unsubscribe, failing callbacks, bounded queue."""

import asyncio
import logging

import pytest

from ivr.ami.codec import AmiMessage
from ivr.ami.dispatch import EventDispatcher


def event(name: str, **headers: str) -> AmiMessage:
    return AmiMessage((("Event", name), *headers.items()))


async def test_exact_names_are_case_insensitive_and_globs_match() -> None:
    dispatcher = EventDispatcher()
    seen: list[tuple[str, str]] = []
    dispatcher.subscribe("agentcalled", lambda m: seen.append(("exact", m.event)))
    dispatcher.subscribe("Agent*", lambda m: seen.append(("glob", m.event)))
    dispatcher.subscribe("*", lambda m: seen.append(("all", m.event)))
    for name in ("AgentCalled", "AgentConnect", "Hangup"):
        await dispatcher.deliver(event(name))
    assert seen == [
        ("exact", "AgentCalled"),
        ("glob", "AgentCalled"),
        ("all", "AgentCalled"),
        ("glob", "AgentConnect"),
        ("all", "AgentConnect"),
        ("all", "Hangup"),
    ]


async def test_unsubscribe_stops_delivery_and_is_idempotent() -> None:
    dispatcher = EventDispatcher()
    seen: list[str] = []
    stop_exact = dispatcher.subscribe("Hangup", lambda m: seen.append("exact"))
    stop_glob = dispatcher.subscribe("Hang*", lambda m: seen.append("glob"))
    await dispatcher.deliver(event("Hangup"))
    stop_exact()
    stop_exact()
    stop_glob()
    await dispatcher.deliver(event("Hangup"))
    assert seen == ["exact", "glob"]


async def test_raising_callbacks_are_logged_and_others_still_run(caplog: pytest.LogCaptureFixture) -> None:
    dispatcher = EventDispatcher()
    seen: list[str] = []

    def bad_sync(message: AmiMessage) -> None:
        raise RuntimeError("sync boom")

    async def bad_async(message: AmiMessage) -> None:
        raise RuntimeError("async boom")

    async def good_async(message: AmiMessage) -> None:
        seen.append(message.get("N") or "")

    for callback in (bad_sync, bad_async, good_async):
        dispatcher.subscribe("*", callback)
    with caplog.at_level(logging.ERROR, logger="ivr.ami.dispatch"):
        await dispatcher.deliver(event("X", N="1"))
        await dispatcher.deliver(event("X", N="2"))
    assert seen == ["1", "2"]
    assert sum("raised" in r.getMessage() for r in caplog.records) == 4


async def test_run_delivers_queued_events_in_order() -> None:
    dispatcher = EventDispatcher()
    seen: list[str] = []
    done = asyncio.get_running_loop().create_future()

    async def record(message: AmiMessage) -> None:
        seen.append(message.get("N") or "")
        if len(seen) == 3:
            done.set_result(None)

    dispatcher.subscribe("*", record)
    for n in "abc":
        dispatcher.put(event("X", N=n))
    runner = asyncio.create_task(dispatcher.run())
    await asyncio.wait_for(done, 5)
    runner.cancel()
    with pytest.raises(asyncio.CancelledError):
        await runner
    assert seen == ["a", "b", "c"]


async def test_full_queue_drops_the_oldest_and_counts() -> None:
    dispatcher = EventDispatcher(max_queued=2)
    seen: list[str] = []
    last = asyncio.get_running_loop().create_future()

    def record(message: AmiMessage) -> None:
        seen.append(message.get("N") or "")
        if message.get("N") == "d":
            last.set_result(None)

    dispatcher.subscribe("*", record)
    for n in "abcd":
        dispatcher.put(event("X", N=n))
    assert dispatcher.dropped == 2
    runner = asyncio.create_task(dispatcher.run())
    await asyncio.wait_for(last, 5)
    runner.cancel()
    with pytest.raises(asyncio.CancelledError):
        await runner
    assert seen == ["c", "d"]
