"""Turns from a tenth probe set (dev-*-jNNN) and its review: dialect anger, softened annoyance, a frozen
account, an A-not-A with its verb said twice, questions at "anything else?", a topic set aside; and what must
not change."""

from __future__ import annotations

import pytest

from ivr.bot import Hangup
from ivr.dialogue.sentiment import read
from ivr.dialogue.text import marked_question
from tests.unit.dialogue_flow.test_flow_callers import flow, reached, texts  # noqa: F401 (fixture)
from tests.unit.dialogue_flow.test_flow_new_phrasings import reasons, said_first
from tests.unit.dialogue_flow.test_flow_unscripted_callers import language_of

BALANCE_GIVEN = ["I want to check my balance", "one two three four five six", "yes"]
BALANCE_GIVEN_ZH = ["我要查询话费", "一二三四五六", "对"]


@pytest.mark.parametrize(
    ("said", "strong"),
    [
        ("搞乜嘢啊，成日冇信号，真系顶唔顺", True),  # Cantonese: can't stand it
        ("bit fed up with the signal in the kitchen, it's always a bit weak in there", False),  # "a bit"
        ("I'm fed up with the signal in the kitchen", True),
        # the review's guards: asking how to leave, gratitude, somebody else's anger, "every bit as"
        ("what's the process for moving to another provider", False),
        ("携号转网可以吗", False),
        ("我就想问问怎么转网", False),
        ("真是感激死了，网络终于修好了", False),
        ("我冇嬲你，我只係想查下话费", False),
        ("your service is every bit as appalling as people say", True),
        ("this bit is ridiculous, I was charged for roaming", True),
        ("唔系顶唔顺，我想查下话费", False),  # Cantonese negation
        ("有啲顶唔顺，个网好慢", False),  # Cantonese "a bit"
    ],
)
def test_dialect_anger_and_softened_annoyance(said, strong):
    assert bool(read(said, language_of(said)).strong) is strong


@pytest.mark.parametrize(
    ("said", "reason"),
    [
        ("can you unfreeze my account please", "sensitive"),  # unlock, not a password reset
        ("could I please be put through to the help desk", "caller-request"),
        ("can I please be put through to help, Mac?", "caller-request"),  # as tiny.en heard it
        # the review's guards: a screen is no account, a payment put through is no request
        ("how do I unfreeze my screen", None),
        ("when will my payment be put through", None),
        ("how long does it take for a refund to be put through", None),
        ("I don't want to be put through, I just want my balance", None),
        ("no need to be put through, what's my balance", None),
    ],
)
def test_the_first_turn_goes_where_it_should(flow, said, reason):  # noqa: F811
    _, actions = said_first(flow, said, language_of(said))
    assert reasons(actions) == ([reason] if reason else [])


@pytest.mark.parametrize(
    ("said", "marked"),
    [
        ("你们人工客服周末上不上班啊", "你们人工客服周末上班吗啊"),  # the verb said twice
        ("人工客服现在上不上班，帮我转一下", "人工客服现在上不上班，帮我转一下"),  # more after it: a request
        ("你们上不上门？", "你们上不上门？"),  # a home visit
        ("我的号码还能不能用", "我的号码还能不能用"),  # no question about roaming
        ("帮我看看网通不通", "帮我看看网通不通"),  # a fault
        ("能不能帮我转人工", "能不能帮我转人工"),  # a request
    ],
)
def test_an_a_not_a_of_opening_hours_asks(said, marked):
    assert marked_question(said, "zh") == marked


def test_an_a_not_a_about_the_agents_hours_gets_the_hours(flow):  # noqa: F811
    _, actions = said_first(flow, "你们人工客服周末上不上班啊", "zh")
    assert not reasons(actions), texts(actions)


@pytest.mark.parametrize(
    ("turns", "said", "ends"),
    [
        (BALANCE_GIVEN_ZH, "暂时就这些，谢谢你", True),
        (BALANCE_GIVEN_ZH, "就这些了吗", False),  # a question about the answer
        (BALANCE_GIVEN, "no that's all thanks", True),
        (BALANCE_GIVEN, "is that all?", False),
        (BALANCE_GIVEN, "that's it?", False),
        (BALANCE_GIVEN, "how kind, no that's all thanks", True),  # a question word, then a statement
        (BALANCE_GIVEN, "What? No. That's all.", True),
        (BALANCE_GIVEN, "no, my account was unfrozen already, thanks", True),
        (BALANCE_GIVEN_ZH, "没有了，我知道怎么弄了，谢谢", True),
        (BALANCE_GIVEN_ZH, "就这些？", False),
    ],
)
def test_only_a_statement_ends_the_call_at_anything_else(flow, turns, said, ends):  # noqa: F811
    bot = reached(flow, turns, language=language_of(said))
    assert bot.step_name == "more"
    actions = bot.on_transcript(said, 0.9)
    assert (bool(actions) and isinstance(actions[-1], Hangup)) is ends, texts(actions)


@pytest.mark.parametrize(
    ("turns", "said", "intent"),
    [
        ([], "actually forget the bill, my internet's down", "network_fault"),
        (["I want to check my balance"], "forget the balance, my internet's down", "network_fault"),
        ([], "forget the refund, I just want my internet working", "network_fault"),
        ([], "先别管账单了，网断了", "network_fault"),  # (so before too: 网断了 outweighs 账单)
        ([], "I always forget the password, can you reset it", "password_reset"),  # no topic set aside
    ],
)
def test_a_topic_set_aside_gives_way_to_the_next_clause(flow, turns, said, intent):  # noqa: F811
    bot = reached(flow, turns, language=language_of(said))
    bot.on_transcript(said, 0.9)
    assert bot.acted == intent
