"""Ordinary caller turns that must neither hand over nor be lost (found by a review of the rules that
read thanks, suppositions, errands, contempt of oneself and a step's own yes/no words)."""

from __future__ import annotations

import pytest

from ivr.bot import Hangup, Transfer
from ivr.dialogue.semantic import _as_written
from ivr.dialogue.sentiment import read
from ivr.dialogue.slots import parse_yes_no
from tests.unit.dialogue_flow.test_flow_callers import flow, start, texts  # noqa: F401 (fixture)


def first_turn(flow, said: str, language: str = "en"):  # noqa: F811
    bot, _ = start(flow, returning=False, language=language)
    return bot, bot.on_transcript(said, 0.9)


def transfers(actions) -> list[str]:
    return [a.reason for a in actions if isinstance(a, Transfer)]


@pytest.mark.parametrize("said", ["great, thank you so much", "okay thanks"])
def test_thanks_at_anything_else_ends_the_call(flow, said):  # noqa: F811
    bot, _ = start(flow, returning=False)
    for turn in ("reset my password", "1 2 3 4 5 6", "yes"):
        bot.on_transcript(turn, 0.9)
    assert bot.step_name == "more"
    actions = bot.on_transcript(said, 0.9)
    assert isinstance(actions[-1], Hangup) and actions[-1].goodbye, actions


def test_thanks_then_a_request_is_the_request(flow):  # noqa: F811
    bot, _ = first_turn(flow, "Thanks for your help but I still need to check my balance")
    assert bot.intent == "balance"


@pytest.mark.parametrize(
    "said",
    [
        "sorry to waste your time but what's my balance",
        "I saw your advert in the newspapers, I want to change my plan",
        "I'm done with this call, thanks",
        "I treat my phone badly",
        "I'm hopeless with technology",
    ],
)
def test_ordinary_turns_are_not_strongly_negative(said):
    assert not read(said, "en").strong


@pytest.mark.parametrize(
    ("said", "language"),
    [
        ("I'm paying for rubbish", "en"),
        ("I get rubbish service every month", "en"),
        ("I was given useless advice", "en"),
        ("you treat your customers like dirt", "en"),
        ("我买的都是废物", "zh"),
    ],
)
def test_contempt_for_what_the_company_gives_stays_strong(said, language):
    assert read(said, language).strong


@pytest.mark.parametrize(
    "said",
    ["the app is frozen", "my ping is higher than usual in the evenings", "my download speed has doubled"],
)
def test_a_word_shared_with_a_sensitive_topic_does_not_send_the_caller_to_billing(flow, said):  # noqa: F811
    _, actions = first_turn(flow, said)
    assert "sensitive" not in transfers(actions)


@pytest.mark.parametrize(
    ("said", "language", "intent"),
    [
        ("If I'm honest my bill is too high", "en", "billing_dispute"),
        ("my internet drops out if it rains", "en", "network_fault"),
        ("我的话费还剩多少", "zh", "balance"),
    ],
)
def test_a_statement_with_if_in_it_is_not_a_supposition(flow, said, language, intent):  # noqa: F811
    bot, _ = first_turn(flow, said, language)
    assert bot.intent == intent


@pytest.mark.parametrize(
    "said", ["will my line get blocked if I pay late", "if I get a refund does it go back on the same card"]
)
def test_a_question_about_a_case_is_still_a_supposition(flow, said):  # noqa: F811
    bot, actions = first_turn(flow, said)
    assert bot.intent is None and not transfers(actions)


@pytest.mark.parametrize(
    ("said", "language"),
    [
        ("can I speak to someone to fix this", "en"),
        ("I want a human to fix this mess", "en"),
        ("can a real person come to the phone please", "en"),
        ("我要找人工修一下", "zh"),
    ],
)
def test_asking_to_talk_to_somebody_who_fixes_is_a_request_for_a_person(flow, said, language):  # noqa: F811
    _, actions = first_turn(flow, said, language)
    assert transfers(actions) == ["caller-request"]


def test_somebody_sent_to_fix_the_line_is_still_an_errand(flow):  # noqa: F811
    _, actions = first_turn(flow, "I need someone to fix my line")
    assert not transfers(actions)


ALL_DEVICES_EN = {True: ["all", "every", "everything"], False: ["only", "just"]}
ALL_DEVICES_ZH = {True: ["所有", "全部", "每"], False: ["只有", "只是", "仅"]}


@pytest.mark.parametrize(
    ("said", "language", "answer"),
    [
        ("not all of them", "en", False),
        ("I don't think it's all of them", "en", False),
        ("not just my phone, everything", "en", True),
        ("every device can't connect", "en", True),
        ("并不是所有的都坏了", "zh", False),
        ("不只是我的手机", "zh", True),
        ("全部都上不了网", "zh", True),
    ],
)
def test_a_negator_turns_a_steps_own_answer_word_round(said, language, answer):
    own = ALL_DEVICES_ZH if language == "zh" else ALL_DEVICES_EN
    assert parse_yes_no(said, language, own) is answer


def test_only_a_sentence_capital_is_lowered_for_meaning():
    assert _as_written("SIM card is barred.") == "SIM card is barred"
    assert (
        _as_written("This is bad.") == "this is bad" and _as_written("I want a refund") == "I want a refund"
    )


def test_a_yes_no_step_s_own_answer_words_are_among_the_recogniser_hints(flow):  # noqa: F811
    bot, _ = first_turn(flow, "my internet is not working")
    assert bot.step_name == "network"
    assert {"only", "every", "yes", "no"} <= set(bot.hints()), bot.hints()


@pytest.mark.parametrize(
    ("said", "language"),
    [
        ("are you a real person?", "en"),
        ("am I talking to a computer?", "en"),
        ("Am I talking to our computer?", "en"),  # a recogniser's near miss is still a question
        ("你是机器人吗", "zh"),
    ],
)
def test_asking_who_answers_gets_the_assistant_and_the_way_to_a_person(flow, said, language):  # noqa: F811
    _, actions = first_turn(flow, said, language)
    assert not transfers(actions)
    assert any("agent" in t or "人工" in t for t in texts(actions)), texts(actions)
