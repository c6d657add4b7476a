"""Turns from a sixteenth probe set (dev-*-pNNN): a missing answer beside a turn to another topic, "I
suppose I'd better", "how the hell", compensation and a kept deposit, roaming billed, Cantonese extra
charges, leave-taking at "anything else?", with what must not change."""

from __future__ import annotations

import pytest

from ivr.bot import Hangup
from ivr.dialogue.sentiment import read
from tests.unit.dialogue_flow.test_flow_callers import flow, reached, start, texts  # noqa: F401 (fixture)
from tests.unit.dialogue_flow.test_flow_leaving_callers import BALANCE_GIVEN
from tests.unit.dialogue_flow.test_flow_new_phrasings import reasons, said_first


@pytest.mark.parametrize(
    ("said", "language", "step"),
    [
        ("I don't have my account number, it's about my internet actually, it drops", "en", "network"),
        ("账号我不记得了，先帮我看看网络吧，老是断线", "zh", "network"),
        ("我唔记得个账号，其实系上网嘅问题", "zh", "network"),
        # what must not change: the lack alone, beside the topic already asked about, or explained
        ("I don't have my account number", "en", "balance"),
        ("I can't find my account number, the internet is down so I can't log in", "en", "balance"),
        ("I don't have my account number, I've just moved onto a new plan", "en", "balance"),
        ("账号我找不到，网络一直断所以看不了邮件", "zh", "balance"),
        ("I don't have the account number for my bill", "en", "balance"),
        ("账号我不记得了", "zh", "balance"),
    ],
)
def test_a_missing_answer_beside_another_topic_moves_on(flow, said, language, step):  # noqa: F811
    bot = reached(flow, ["what is my balance" if language == "en" else "我要查询话费"], language=language)
    assert bot.step_name == "balance"
    actions = bot.on_transcript(said, 0.9)
    assert bot.step_name == step and not reasons(actions), texts(actions)


@pytest.mark.parametrize(
    ("said", "intent", "reason"),
    [
        ("ugh, I suppose I'd better find out what I owe", "balance", None),
        ("I suppose I should reset my password", "password_reset", None),
        # what must not change: a case supposed ("if I pay late") asks about it, nothing more
        ("I suppose you'll block my line if I pay late", None, None),
        ("I suppose I'd be blocked if I paid late", None, None),
        ("I suppose I should expect my line to be cut off if I don't pay this month", None, None),
    ],
)
def test_i_suppose_as_resignation_is_no_supposition(flow, said, intent, reason):  # noqa: F811
    bot, actions = said_first(flow, said)
    assert bot.intent == intent and reasons(actions) == ([reason] if reason else []), texts(actions)


@pytest.mark.parametrize(
    ("said", "strong"),
    [
        ("how the hell would I know, just fix the damn thing", True),
        ("how the hell is the internet down again", True),
        ("just fix the damn thing", False),
        ("sure, why the hell not", False),
        ("it's been hell trying to get online", False),
    ],
)
def test_the_hell_after_a_question_word_is_anger(said, strong):
    assert bool(read(said, "en").strong) is strong


@pytest.mark.parametrize(
    ("said", "language", "intent", "reason"),
    [
        ("I'd like to be compensated for the week I had no service", "en", "refund", "sensitive"),
        ("I cancelled the broadband but you kept my deposit, I want it back", "en", "refund", "sensitive"),
        ("why have I been billed for roaming, I've not been abroad", "en", "billing_dispute", "sensitive"),
        ("我張單多咗一筆唔知乜嘢錢", "zh", "billing_dispute", "sensitive"),
        # what must not change: compensation told of the past, a deposit asked about, roaming supposed
        ("the router I was compensated for is broken", "en", "network_fault", None),
        ("do I pay extra if I'm billed for roaming in France", "en", None, None),
        ("will I be billed for roaming in Ireland", "en", None, None),
        ("how long are you keeping my deposit for", "en", None, None),
        ("我想查下我仲有几多钱，上个月多咗一笔充值", "zh", "balance", None),
        ("连网都断了，账号都被锁了", "zh", "account_unlock", "sensitive"),
    ],
)
def test_new_words_for_the_topics(flow, said, language, intent, reason):  # noqa: F811
    bot, actions = said_first(flow, said, language)
    assert bot.intent == intent and reasons(actions) == ([reason] if reason else []), texts(actions)


def test_a_deposit_asked_about_is_no_refund(flow):  # noqa: F811
    bot, actions = said_first(flow, "will I get my deposit back when I cancel the broadband")
    assert bot.intent != "refund" and not reasons(actions), texts(actions)


@pytest.mark.parametrize("said", ["I suppose I'd better let you go", "I'd best get going"])
def test_leave_taking_at_anything_else_ends_the_call(flow, said):  # noqa: F811
    bot = reached(flow, BALANCE_GIVEN)
    assert bot.step_name == "more"
    actions = bot.on_transcript(said, 0.9)
    assert actions and isinstance(actions[-1], Hangup) and not reasons(actions), texts(actions)
