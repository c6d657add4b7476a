"""Turns from a fifteenth probe set (dev-*-oNNN): traditional Chinese characters, short and contracted
English ("what d'you mean", "get me billing", "my 4G's gone"), a returning caller's "still no joy", a
second matter after 哦对了, and what must not change."""

from __future__ import annotations

import pytest

from ivr.dialogue.hanzi import simplified
from ivr.dialogue.schema import IntentDef
from ivr.dialogue.text import normalise
from tests.unit.dialogue_flow.test_flow_callers import flow, reached, texts  # noqa: F401 (fixture)
from tests.unit.dialogue_flow.test_flow_new_phrasings import reasons, said_first


@pytest.mark.parametrize(
    ("said", "kept"),
    [
        ("唔記得咗密碼", "唔记得咗密码"),
        ("淨係手機", "净係手机"),  # 係 stays: the lexicons' Cantonese copula, not the 系 of 系统
        ("係咪嗰個", "係咪嗰个"),
        ("我的 account 還是不行", "我的 account 还是不行"),
        ("my internet's down", "my internet's down"),
    ],
)
def test_traditional_characters_are_read_as_simplified(said, kept):
    assert simplified(said) == kept


def test_a_flow_written_in_traditional_characters_meets_callers_in_either_script():
    spec = IntentDef.model_validate({"examples": {"zh": ["查詢話費"], "en": ["check my bill"]}, "goto": "x"})
    assert spec.examples["zh"] == ["查询话费"] and spec.examples["en"] == ["check my bill"]


@pytest.mark.parametrize(
    ("said", "language", "intent", "reason"),
    [
        ("唔記得咗密碼", "zh", "password_reset", None),
        ("你哋啲網爛到痴線！", "zh", "network_fault", "sentiment"),
        ("my 4G's gone", "en", "network_fault", None),
        ("get me billing", "en", "agent", "caller-request"),
        ("先查下余额，哦对了，宽带老掉线", "zh", "network_fault", None),
        ("我想查下我仲有几多钱", "zh", "balance", None),
        # what must not change: a price per minute, the opening hours, telling the bot a detail
        ("打去美國幾多錢一分鐘", "zh", None, None),
        ("人工几点有人啊", "zh", None, None),
        ("can you give me billing information", "en", "balance", None),
    ],
)
def test_short_contracted_and_traditional_turns(flow, said, language, intent, reason):  # noqa: F811
    bot, actions = said_first(flow, said, language)
    assert (bot.acted or bot.intent) == intent and reasons(actions) == ([reason] if reason else []), texts(
        actions
    )


@pytest.mark.parametrize(
    ("said", "same"),
    [
        ("ah it is yeah, still no joy", True),
        ("you said it was sorted but it's gone again", True),
        ("no joy, it's doing it again", True),
    ],
)
def test_a_returning_callers_same_issue_in_other_words(flow, said, same):  # noqa: F811
    bot, actions = said_first(flow, said, returning=True)
    assert bot.slots.get("same_issue") is same and reasons(actions) == ["flow"], texts(actions)


@pytest.mark.parametrize(
    ("steps", "said", "language"),
    [
        (["my internet is not working"], "what d'you mean, all of them?", "en"),
        (["my internet is not working", "all of them"], "why d'you need that?", "en"),
        (["我家网络坏了", "都不行"], "要邮编干嘛？", "zh"),
    ],
)
def test_what_the_question_means_gets_the_help(flow, steps, said, language):  # noqa: F811
    bot = reached(flow, steps, language=language)
    actions = bot.on_transcript(said, 0.9)
    assert bot.acted == "help" and reasons(actions) == [], texts(actions)


def test_a_returning_caller_who_never_called_hears_what_it_was(flow):  # noqa: F811
    bot, actions = said_first(flow, "什么问题？我没打过电话啊", "zh", returning=True)
    assert bot.acted == "help" and reasons(actions) == [], texts(actions)


@pytest.mark.parametrize(
    ("said", "technician"), [("done it twice already", True), ("no joy", True), ("I'll give it a go", False)]
)
def test_tried_it_in_short_words(flow, said, technician):  # noqa: F811
    bot = reached(flow, ["my internet is not working", "only my phone"])
    bot.on_transcript(said, 0.9)
    assert bot.slots.get("wants_technician") is technician


def test_do_you_contracted_is_do_you():
    assert normalise("What d'you mean?", "en") == "what do you mean"
    assert normalise("I'd do it", "en") == "id do it"


def test_right_at_a_read_back_is_no_second_matter(flow):  # noqa: F811
    bot = reached(flow, ["我想查话费", "一二三四五六"], language="zh")
    bot.on_transcript("对了，就是这个", 0.9)
    assert bot.slots.get("account") == "123456"
