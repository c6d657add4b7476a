"""The telecom flow by voice: espeak-ng speaks the caller through the fake PBX, Whisper tiny.en hears it."""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ivr.dialogue.engine import FlowBot
from ivr.dialogue.registry import FlowRegistry
from ivr.fakepbx.audiosocket import Speech, answered, until_the_bot_ends
from ivr.routing import StaticRouter
from tests.support.calls import pbx_for
from tests.support.corpus import espeak_pcm

DIALPLAN = Path(__file__).resolve().parents[2] / "dialplan"


def caller_says(text: str) -> Speech:
    """The caller's words, spoken by espeak-ng at the call rate."""
    return Speech(espeak_pcm(text, "en-us", 8000))


@pytest.fixture
def flows(tmp_path: Path) -> Path:
    """A private copy of the shipped flows (the reload test edits it)."""
    folder = tmp_path / "dialplan"
    folder.mkdir()
    shutil.copy(DIALPLAN / "telecom.yaml", folder / "telecom.yaml")
    return folder


def bot_maker(registry: FlowRegistry, started: asyncio.Event | None = None):
    """What the service calls per call: a FlowBot on the flow version current at the call's start."""

    def make(call):
        bot = FlowBot(
            registry.current().flow_for("hotline"),
            router=StaticRouter("support"),
            now=lambda: datetime.now(UTC),
        )
        if started is not None:
            started.set()
        return bot

    return make


async def test_an_account_number_is_collected_by_voice_and_the_notice_is_played_in_full(
    running_service, flows
):
    registry = FlowRegistry.load(flows)
    # Each answer waits for the bot's question (not a fixed time): under load a slower decode must not
    # make the caller talk into the previous step.
    script = [
        answered(),
        caller_says("Question about my bill."),
        answered(),
        caller_says("one two three four five six"),
        answered(),
        caller_says("yes"),
        answered(),
        caller_says("I want to talk to an agent."),
        until_the_bot_ends(),
    ]
    async with running_service(bot_for_call=bot_maker(registry)) as service:
        result = await pbx_for(service).call(script, max_seconds=180)
        record = await service.store.get_call(result.call_uuid)

    heard = [(t.speaker, t.text) for t in record.turns]
    assert result.variables["IVR_ACTION"] == "transfer"
    assert result.variables["IVR_REASON"] == "caller-request", heard
    assert result.variables["IVR_QUEUE"] == "billing"
    bot_lines = [t.text for t in record.turns if t.speaker == "bot"]
    assert "I heard 1 2 3 4 5 6. Is that right?" in bot_lines, bot_lines
    notice = record.turns[-1]
    assert notice.speaker == "bot" and notice.text == "Of course. I'm connecting you to a billing specialist."
    assert notice.interrupted is False and notice.meta["played_seconds"] == notice.meta["total_seconds"]
    (transfer,) = record.transfers
    assert transfer.context["slots"] == {"account": "123456"} and transfer.context["intent"] == "balance"
    assert (
        transfer.summary.splitlines()[0] == "Caller 5551234 (en) wants their balance or bill; account 123456."
    )
    assert record.meta["slots"] == {"account": "123456"} and record.meta["language"] == "en"


async def test_a_knowledge_answer_during_a_reload_comes_from_the_version_the_call_started_with(
    running_service, flows
):
    registry = FlowRegistry.load(flows)
    started = asyncio.Event()
    script = [answered(), caller_says("How do I pay my bill?"), until_the_bot_ends()]
    async with running_service(bot_for_call=bot_maker(registry, started)) as service:
        call = asyncio.ensure_future(pbx_for(service).call(script, max_seconds=180))
        await asyncio.wait_for(started.wait(), 60)
        path = flows / "telecom.yaml"
        path.write_text(
            path.read_text(encoding="utf-8").replace("by direct debit", "by carrier pigeon"), encoding="utf-8"
        )
        assert registry.reload().version == 2
        result = await call
        record = await service.store.get_call(result.call_uuid)

    bot_lines = [t.text for t in record.turns if t.speaker == "bot"]
    answers = [line for line in bot_lines if line.startswith("You can pay in the Example Telecom app")]
    assert answers and "by direct debit" in answers[0], bot_lines
    assert record.meta["flow_version"] == 1 and record.meta["answers_tried"] == ["how to pay a bill"]
    assert registry.current().flow_for(None).version == 2
