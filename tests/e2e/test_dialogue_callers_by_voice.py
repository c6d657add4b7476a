"""Callers as they really talk, by voice: espeak-ng speaks through the fake PBX, Whisper tiny.en hears.

Each test runs with a first-time caller and with a returning one (whose earlier call was handed to a
person and is still open, so the flow asks "same issue as last time?" first). A returning caller's
earlier call is a real call of the same number that pressed 0.
"""

from __future__ import annotations

import functools
import itertools
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ivr.dialogue.engine import FlowBot
from ivr.dialogue.registry import FlowRegistry
from ivr.dialogue.sentiment_lexicon import lexicon
from ivr.fakepbx.ami import FakeAmiServer
from ivr.fakepbx.audiosocket import Digit, Speech, answered, until_the_bot_ends
from ivr.routing import StaticRouter
from tests.e2e.handoff_support import AMI_SECRET, handoff_service
from tests.support.calls import pbx_for
from tests.support.corpus import espeak_pcm

DIALPLAN = Path(__file__).resolve().parents[2] / "dialplan"
NUMBER = "5552468"


def says(text: str) -> Speech:
    """The caller's words, spoken by espeak-ng at the call rate."""
    return Speech(espeak_pcm(text, "en-us", 8000))


def transcript(record) -> str:
    """The call as stored, one turn a line, for assertion messages."""
    return "\n".join(f"{t.speaker}: {t.text or ''}{' key ' + t.dtmf if t.dtmf else ''}" for t in record.turns)


@functools.cache
def shipped_flow():
    """The shipped flow, loaded (and its matchers built) once, as the service does at start-up."""
    return FlowRegistry.load(DIALPLAN).current().flow_for("hotline")


@pytest.fixture(autouse=True, scope="module")
def _flow_ready_before_calls():
    """Load the flow before any call, as the service does before it answers: not on a call's event loop."""
    shipped_flow()


def flow_bot(call):
    """What the service makes per call: the shipped flow, every skill a queue of that name."""
    return FlowBot(shipped_flow(), router=StaticRouter("support"), now=lambda: datetime.now(UTC))


async def call_as(service, returning: bool, script: list) -> tuple[dict, object]:
    """One call of NUMBER (after an earlier, still open one when `returning`): IVR_* and the stored call."""
    pbx = pbx_for(service)
    if returning:
        press_0 = [answered(), Digit("0"), until_the_bot_ends()]
        earlier = await pbx.call(press_0, caller_number=NUMBER, max_seconds=30)
        assert earlier.variables["IVR_REASON"] == "keypad-0"
        await service.store.wait_flushed()
    result = await pbx.call(script, caller_number=NUMBER, max_seconds=90)
    record = await service.store.get_call(result.call_uuid)
    bot_lines = [t.text for t in record.turns if t.speaker == "bot"]
    assert ("same issue as last time" in bot_lines[0]) == returning, bot_lines
    return result.variables, record


@pytest.mark.parametrize("returning", [False, True], ids=["first-time", "returning"])
async def test_a_request_is_heard_at_the_yes_no_question_and_at_a_collect_step(running_service, returning):
    # Item 1: the returning caller answers "same issue?" with a new fault; the first-time caller changes
    # their mind at the account-number step. Both are routed, not told "Sorry, I didn't understand that."
    if returning:
        script = [answered(), says("No, my internet is down."), answered()]
        expected, asked = "network_fault", "all your devices"
    else:
        script = [answered(), says("I want to check my bill."), answered()]
        script += [says("Actually, I forgot my password."), answered()]
        expected, asked = "password_reset", "To reset your password"
    script += [says("I want to talk to an agent."), until_the_bot_ends()]
    async with running_service(bot_for_call=flow_bot) as service:
        variables, record = await call_as(service, returning, script)
    bot_lines = [t.text for t in record.turns if t.speaker == "bot"]
    assert any(asked in line for line in bot_lines), transcript(record)
    assert not any("didn't understand" in line for line in bot_lines), transcript(record)
    assert variables["IVR_REASON"] == "caller-request", transcript(record)
    assert record.transfers[-1].context["intent"] == expected


@pytest.mark.parametrize("returning", [False, True], ids=["first-time", "returning"])
async def test_one_furious_turn_reaches_a_person_with_an_apology_and_the_words(running_service, returning):
    # Item 2: emotion at once, at the main question or at the returning caller's yes/no question.
    angry = "This is ridiculous. I am really angry. Nothing works and you keep wasting my time."
    async with running_service(bot_for_call=flow_bot) as service:
        variables, record = await call_as(service, returning, [answered(), says(angry), until_the_bot_ends()])
    assert variables.get("IVR_REASON") == "sentiment", transcript(record)
    notice = record.turns[-1]
    assert notice.text.startswith("I'm sorry about this. Let me get you to someone who can help right away.")
    mood = record.transfers[-1].context["sentiment"]
    # The words that made the turn strongly negative reach the agent: which of the three sentences the
    # recogniser gave the bot ("angry", "ridiculous", "wasting my time") depends on where it cut the turn.
    strong = lexicon(False).strong
    assert mood["score"] < 0 and any(w in strong for w in mood["words"]), (mood, transcript(record))
    assert mood["words"][0] in record.transfers[-1].summary


@pytest.mark.parametrize("returning", [False, True], ids=["first-time", "returning"])
async def test_a_balance_question_lands_on_the_balance_even_when_half_heard(running_service, returning):
    # Item 3: the recogniser gets the step's hints; what it half understands is confirmed, not dropped.
    # Whether Whisper hears it whole (routed at once) or half ("Is this about ... or ...?" then "my
    # balance"), the caller ends at the account-number step with the topic known to the agent.
    script = [answered()]
    if returning:
        script += [says("No."), answered()]
    script += [says("What is my account balance?"), answered(), says("My balance."), answered()]
    script += [says("I want to talk to an agent."), until_the_bot_ends()]
    async with running_service(bot_for_call=flow_bot) as service:
        variables, record = await call_as(service, returning, script)
    bot_lines = [t.text for t in record.turns if t.speaker == "bot"]
    assert any("account number" in line for line in bot_lines), transcript(record)
    assert variables["IVR_REASON"] == "caller-request", transcript(record)
    assert variables["IVR_QUEUE"] == "billing"
    assert record.transfers[-1].context["intent"] == "balance"


@pytest.mark.parametrize("returning", [False, True], ids=["first-time", "returning"])
async def test_re_prompts_escalate_to_the_keypad_without_repeating_a_sentence(running_service, returning):
    # Item 4: two misses: examples first, then keypad choices; the caller takes the keypad choice. The misses
    # are what callers say when they do not know what to ask: Whisper hears them reliably, and they mean
    # nothing the flow offers (by words or by meaning), so no half-understood request can change the path.
    script = [answered()]
    if returning:
        script += [says("No."), answered()]
    script += [says("I don't know."), answered(), says("I'm not sure."), answered()]
    script += [Digit("1"), answered(), says("I want to talk to an agent."), until_the_bot_ends()]
    async with running_service(bot_for_call=flow_bot) as service:
        variables, record = await call_as(service, returning, script)
    bot_lines = [t.text for t in record.turns if t.speaker == "bot"]
    assert all(a != b for a, b in itertools.pairwise(bot_lines)), transcript(record)
    # The first miss rephrases with examples, the second offers the keypad; nothing is asked back.
    examples = next((i for i, line in enumerate(bot_lines) if line.startswith("For example")), None)
    choices = next((i for i, line in enumerate(bot_lines) if "Press 1 for your bill" in line), None)
    assert examples is not None and choices is not None and examples < choices, transcript(record)
    assert not any(line.startswith(("Is this", "You'd")) for line in bot_lines), transcript(record)
    assert variables["IVR_REASON"] == "caller-request", transcript(record)
    assert record.transfers[-1].context["intent"] == "balance"  # the keypad choice named the topic


@pytest.mark.parametrize("returning", [False, True], ids=["first-time", "returning"])
async def test_an_english_caller_with_nobody_logged_in_waits_in_the_english_queue(
    running_service, monkeypatch, returning
):
    # Item 5: AMI is up and reports every queue empty; asking for a person keeps the caller's language.
    empty = {name: {} for name in ("support-en", "support-zh", "billing-en", "billing-zh")}
    ami = FakeAmiServer({"ivr": AMI_SECRET}, queues=empty)
    script = [answered(), says("I want to talk to an agent."), until_the_bot_ends()]
    async with handoff_service(running_service, monkeypatch, ami) as service:
        variables, record = await call_as(service, returning, script)
    reason, queue = variables["IVR_REASON"], variables["IVR_QUEUE"]
    assert (reason, queue) == ("caller-request", "support-en"), transcript(record)
