"""Thanks, "okay" and goodbye (ivr.dialogue.courtesy), and what they do to a turn of the shipped flow."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ivr.bot import CallInfo, Hangup
from ivr.dialogue.courtesy import read
from ivr.dialogue.engine import FlowBot
from ivr.dialogue.registry import FlowRegistry
from tests.unit.dialogue_flow.routers import FixedRouter

DIALPLAN = Path(__file__).resolve().parents[3] / "dialplan"
NOW = datetime(2024, 5, 6, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def flow():
    return FlowRegistry.load(DIALPLAN).current().flow_for("hotline")


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("oh okay, thanks very much", "en"),
        ("great stuff, thank you", "en"),
        ("thanks for your help", "en"),  # what follows "for" is what is thanked for, not a request
        ("thank you so much for sorting all of that out today", "en"),
        ("好的，谢谢", "zh"),
        ("谢谢你的帮忙", "zh"),
    ],
)
def test_thanks_alone_asks_for_nothing_and_does_not_close(text, language):
    said = read(text, language)
    assert said.only_courtesy and said.core == "" and not said.closing


@pytest.mark.parametrize(
    ("text", "language", "core"),
    [
        ("thank you, hold on, I need to look it up", "en", "hold on, I need to look it up"),
        ("no thanks", "en", "no thanks"),  # not all courtesy: the clause keeps its words
        ("谢谢，我要查话费", "zh", "我要查话费"),
        ("okay", "en", "okay"),  # no thanks: nothing is set aside
    ],
)
def test_a_request_beside_thanks_is_kept(text, language, core):
    said = read(text, language)
    assert said.core == core and not said.only_courtesy


@pytest.mark.parametrize(
    ("text", "language", "closing"),
    [
        ("thanks, bye", "en", True),
        ("that's all, thank you", "en", True),
        ("no, that was all I needed", "en", True),
        ("好的谢谢，再见", "zh", True),
        ("okay thanks, I'll call back another time", "en", True),
        ("cheers, that's great", "en", False),
        ("太感谢了", "zh", False),
    ],
)
def test_a_closing_word_is_what_ends_a_call(text, language, closing):
    assert read(text, language).closing is closing


def test_a_flows_own_goodbye_keyword_closes_too():
    assert not read("ciao ciao", "en").closing
    assert read("ciao ciao", "en", ("ciao",)).closing


def start(flow, language="en"):
    bot = FlowBot(flow, router=FixedRouter(), now=lambda: NOW)
    bot.start(CallInfo("uuid-1", "5551234", None, language))
    return bot


@pytest.mark.parametrize(
    ("language", "said"), [("en", "oh okay, thanks very much"), ("zh", "哦好的，太感谢了")]
)
def test_thanks_at_a_question_is_welcomed_not_a_miss_and_not_a_goodbye(flow, language, said):
    bot = start(flow, language)
    actions = bot.on_transcript(said, 0.9)
    assert not any(isinstance(a, Hangup) for a in actions) and bot.acted is None
    assert actions[0].text == ("You're welcome." if language == "en" else "不客气。")
    assert bot.policy.no_match == 0 and bot.step_name == "main"
    request = "I'd like to check my bill" if language == "en" else "我想查一下话费"
    assert bot.on_transcript(request, 0.9) and bot.step_name == "balance"


def test_thanks_for_help_is_not_the_help_intent(flow):
    bot = start(flow)
    bot.on_transcript("thanks for your help", 0.9)
    assert bot.acted is None and bot.step_name == "main"


@pytest.mark.parametrize(
    "said", ["no, that's everything, thanks", "that's everything, thanks, have a good day"]
)
def test_a_goodbye_that_answers_anything_else_is_the_steps_answer(flow, said):
    bot = start(flow)
    for turn in ("I want to check my balance", "one two three four five six", "yes"):
        bot.on_transcript(turn, 0.9)
    assert bot.step_name == "more"
    actions = bot.on_transcript(said, 0.9)
    assert bot.acted == "done" and isinstance(actions[-1], Hangup)  # routed to bye, not the global goodbye


def test_a_plain_goodbye_still_ends_the_call(flow):
    bot = start(flow)
    actions = bot.on_transcript("sorry, wrong number, bye", 0.9)
    assert bot.acted == "goodbye" and isinstance(actions[-1], Hangup)


@pytest.mark.parametrize(
    ("text", "language", "greeting"),
    [
        ("hi there", "en", True),
        ("good morning, how are you", "en", True),
        ("喂，你好", "zh", True),
        ("hi, I want to check my balance", "en", False),  # a request after the greeting
        ("hello, is that billing", "en", False),
    ],
)
def test_a_greeting_alone_is_courtesy(text, language, greeting):
    polite = read(text, language)
    assert (polite.greeted and polite.only_courtesy) is greeting
