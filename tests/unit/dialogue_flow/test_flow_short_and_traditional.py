"""Turns from a fifteenth probe set (dev-*-oNNN): traditional Chinese characters, short and contracted
English ("what d'you mean", "get me billing", "my 4G's gone"), a returning caller's "still no joy", a
second matter after 哦对了, and what must not change."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ivr.dialogue.asides import said_now
from ivr.dialogue.hanzi import simplified
from ivr.dialogue.knowledge import KnowledgeBase, KnowledgeEntry
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
        ("沒關係", "没关系"),  # the 係 of 關係 is 系
        ("帳單同甚麼", "账单同什么"),  # in the lexicons' forms, not t2s's 帐, 甚么
        ("呢隻係新手機", "呢隻係新手机"),  # 隻 stays: t2s's 只 would say "only"
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
        ("我今个月几多钱", "zh", "balance", None),
        ("關於帳單的問題", "zh", "balance", None),
        ("冇訊號", "zh", "network_fault", None),
        ("我想搵職員", "zh", "agent", "caller-request"),
        # what must not change: the opening hours, telling the bot a detail, a cancellation as a thing, a
        # past matter beside 顺便, how long a repair takes
        ("人工几点有人啊", "zh", None, None),
        ("can you give me billing information", "en", "balance", None),
        ("can you give me billing for January", "en", "balance", None),
        ("我要改密码，顺便说一下我上个月退过款", "zh", "password_reset", None),
        ("仲有几多耐先修好", "zh", None, None),
        ("你係咪真人", "zh", None, None),
        ("我剛剛跟接線生講過了，她說要打這個號碼查話費", "zh", "balance", None),
    ],
)
def test_short_contracted_and_traditional_turns(flow, said, language, intent, reason):  # noqa: F811
    bot, actions = said_first(flow, said, language)
    assert (bot.acted or bot.intent) == intent and reasons(actions) == ([reason] if reason else []), texts(
        actions
    )


@pytest.mark.parametrize(
    ("said", "same", "reason"),
    [
        ("ah it is yeah, still no joy", True, "flow"),
        ("no joy, it's doing it again", True, "flow"),
        # what must not change: a question about an outage is no yes
        ("is the network down again?", None, None),
    ],
)
def test_a_returning_callers_same_issue_in_other_words(flow, said, same, reason):  # noqa: F811
    bot, actions = said_first(flow, said, returning=True)
    assert bot.slots.get("same_issue") is same, texts(actions)
    assert reasons(actions) == ([reason] if reason else []), texts(actions)


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


def test_a_price_per_minute_is_no_balance(flow):  # noqa: F811
    bot, actions = said_first(flow, "打去美國幾多錢一分鐘", "zh")
    assert bot.acted is None and any("国际长途" in t for t in texts(actions)), texts(actions)


def test_a_number_asked_back_beside_why_is_still_the_answer(flow):  # noqa: F811
    bot = reached(flow, ["my internet is not working", "all of them"])
    actions = bot.on_transcript("why do you need my postcode? 2 0 0 0?", 0.9)
    assert "2 0 0 0" in " ".join(texts(actions)), texts(actions)


def test_a_knowledge_entry_typed_in_traditional_characters_is_found():
    kb = KnowledgeBase([KnowledgeEntry("pets", "zh", ("點樣申請寵物託運",), "请到营业厅办理。")])
    hit = kb.best(simplified("點樣申請寵物託運"), "zh")
    assert hit is not None and hit.entry.id == "pets"


def _strings(node):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(key)
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)
    elif isinstance(node, str):
        yield node


def test_the_lexicons_are_written_in_the_script_callers_are_read_in():
    folder = Path(__file__).parents[3] / "ivr" / "dialogue" / "lexicons"
    changed = [
        (path.name, word)
        for path in sorted(folder.glob("*.yaml"))
        for word in _strings(yaml.safe_load(path.read_text("utf-8")))
        if simplified(word) != word
    ]
    assert changed == []


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
    assert normalise("what d'ya mean", "en") == "what do you mean"  # not the yes "ya"
    assert normalise("I'd do it", "en") == "id do it"


def test_right_alone_moves_on_to_nothing():
    assert said_now("我想查话费，对了，就是这个账号", "zh") is None
    assert said_now("我想查话费，哦对了，网也断了", "zh") == ("我想查话费", "哦对了，网也断了")
