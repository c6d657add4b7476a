"""Turns from a tenth probe set (dev-*-jNNN): callers leaving for a competitor, dialect anger, softened
annoyance, a frozen account, an A-not-A with its verb said twice."""

from __future__ import annotations

import pytest

from ivr.bot import Hangup
from ivr.dialogue.sentiment import read
from tests.unit.dialogue_flow.test_flow_callers import flow, reached, texts  # noqa: F401 (fixture)
from tests.unit.dialogue_flow.test_flow_new_phrasings import reasons, said_first
from tests.unit.dialogue_flow.test_flow_unscripted_callers import language_of


@pytest.mark.parametrize(
    ("said", "strong"),
    [
        ("cancel everything. all of it. I'm going to another network", True),
        ("right, that's it, I'm moving to another provider", True),
        ("服务这么差，我明天就去携号转网", True),  # leaving, said as done
        ("再这样我干脆换运营商", True),
        ("搞乜嘢啊，成日冇信号，真系顶唔顺", True),  # Cantonese: can't stand it
        ("how do I switch to another network and keep my number?", False),  # only asks
        ("携号转网可以吗", False),
        ("我想携号转网，要怎么办", False),
        ("bit fed up with the signal in the kitchen, it's always a bit weak in there", False),  # softened
        ("I'm fed up with the signal in the kitchen", True),
    ],
)
def test_leaving_said_as_done_and_dialect_anger_are_strong(said, strong):
    assert bool(read(said, language_of(said)).strong) is strong


@pytest.mark.parametrize(
    ("said", "reason"),
    [
        ("I think I need my account unfrozen please", "sensitive"),  # unlock, not a password reset
        ("服务这么差，我明天就去携号转网", "sentiment"),
        ("携号转网可以吗", None),
    ],
)
def test_the_first_turn_goes_where_it_should(flow, said, reason):  # noqa: F811
    _, actions = said_first(flow, said, language_of(said))
    assert reasons(actions) == ([reason] if reason else [])


def test_that_is_all_at_anything_else_ends_the_call(flow):  # noqa: F811
    bot = reached(flow, ["我要查询话费", "一二三四五六", "对"], language="zh")
    assert bot.step_name == "more"
    actions = bot.on_transcript("暂时就这些，谢谢你", 0.9)
    assert isinstance(actions[-1], Hangup) and bot.acted == "done"  # before: "抱歉，我没有听懂"


@pytest.mark.parametrize(
    ("said", "told"),
    [
        ("oh dear, I'm not very good with these machines. where's the account number written?", True),
        ("where is the account number", True),
        ("where's my account number, I want to change my plan", False),  # says more than where
    ],
)
def test_where_the_number_is_written_is_told_in_a_sentence_of_its_own(flow, said, told):  # noqa: F811
    bot = reached(flow, ["I want to check my balance"])
    spoken = " ".join(texts(bot.on_transcript(said, 0.9)))
    assert ("top of every bill" in spoken and "understand" not in spoken) is told, spoken
