"""Turns from a twelfth probe set (dev-*-lNNN): a no followed by a knowledge question, hesitations and
forms of address around a yes or no, Cantonese yes typed in simplified characters, new words for requests
and anger; and what must not change."""

from __future__ import annotations

import pytest

from ivr.bot import Transfer
from ivr.dialogue.slots import parse_yes_no
from tests.unit.dialogue_flow.test_flow_callers import flow, reached, start, texts  # noqa: F401 (fixture)
from tests.unit.dialogue_flow.test_flow_new_phrasings import reasons, said_first

TIP_TRIED, TIP_TRIED_ZH = ["my internet is not working", "no"], ["网络坏了", "不是"]
PASSWORD_READ_BACK_ZH = ["我忘记密码了", "六六八零零三二"]


@pytest.mark.parametrize(
    ("said", "language", "answer"),
    [
        ("erm, no, no, that got sorted", "en", False),  # the answer after the hesitation leads
        ("hmm, yes, same as before", "en", True),
        ("nah mate", "en", False),  # a form of address is no more than the answer
        ("yes love", "en", True),
        ("系呀，仲未搞掂", "zh", True),  # 係呀 typed in simplified characters
        ("系", "zh", True),
        ("啱呀", "zh", True),
        # what must not change: 系 elsewhere, 啱啱 (just now), a hesitation before no answer
        ("系统坏了", "zh", None),
        ("没关系", "zh", False),  # as before: 没 says no
        ("啱啱重启咗", "zh", None),
        ("erm, I'm not sure", "en", None),
        # the review's guards: an answer taken back after the hesitation is no answer
        ("um, no, wait, yes it is", "en", None),
        ("well, no, I mean yes", "en", None),
        ("mate, it's been three days", "en", None),
    ],
)
def test_hesitations_and_address_around_an_answer(said, language, answer):
    assert parse_yes_no(said, language) is answer


@pytest.mark.parametrize(
    ("said", "language", "same", "intent", "reason"),
    [
        # a no and a knowledge question: the no is kept and the question answered, no hand-off
        ("no, how long does a refund take?", "en", False, None, None),
        ("不是，营业时间是什么时候", "zh", False, None, None),
        # a no and a request is still the request
        ("no, I want a refund", "en", False, "refund", "sensitive"),
        # the review's guards: a request beside the question is the request
        ("no, I want a refund, how long will it take", "en", False, "refund", "sensitive"),
        (
            "no, I was charged for roaming, does my phone even work abroad?",
            "en",
            False,
            "billing_dispute",
            "sensitive",
        ),
        (
            "Erm, no, no, that got sorted, this time I want to find out what my bill is",
            "en",
            False,
            "balance",
            None,
        ),
        (
            "Nah mate, different kettle of fish, got charged twice for the same month",
            "en",
            False,
            "billing_dispute",
            "sensitive",
        ),
        ("不是，上次那个早弄好了，我这次想查一下话费", "zh", False, "balance", None),
        # what must not change: told it was fixed but it is not, a yes with detail
        ("上次说弄好了，结果又断了", "zh", True, None, "flow"),
        ("修好了几天又不行了", "zh", True, None, "flow"),  # the review's guard: fixed, then broke again
        ("上次那个修好了，这次是话费", "zh", None, "balance", None),
        ("yes, it's the same thing", "en", True, None, "flow"),
    ],
)
def test_a_returning_callers_no_and_what_follows(flow, said, language, same, intent, reason):  # noqa: F811
    bot, _ = start(flow, returning=True, language=language)
    actions = bot.on_transcript(said, 0.9)
    assert bot.slots.get("same_issue") is same, texts(actions)
    assert (bot.acted if intent else None, reasons(actions)) == (intent, [reason] if reason else [])


@pytest.mark.parametrize(
    ("said", "language", "answer"),
    [
        ("no, how long does a refund take?", "en", "10 working days"),
        ("不是，你都能帮我干什么", "zh", "智能语音助手"),
    ],
)
def test_a_no_then_a_knowledge_question_hears_the_answer(flow, said, language, answer):  # noqa: F811
    bot, _ = start(flow, returning=True, language=language)
    told = texts(bot.on_transcript(said, 0.9))
    assert any(answer in s for s in told), told


@pytest.mark.parametrize(
    ("way", "said", "language", "technician"),
    [
        (TIP_TRIED, "I've turned it off and on more times than I can count, doesn't do anything", "en", True),
        (TIP_TRIED, "made no difference at all", "en", True),
        (TIP_TRIED, "okay I'll give it a go", "en", False),
        (TIP_TRIED, "I'll turn it off and on again then", "en", False),  # the review's guard: not yet tried
        (TIP_TRIED_ZH, "重启了好几回了，还是不行", "zh", True),
        (TIP_TRIED_ZH, "我先试试", "zh", False),
        (TIP_TRIED_ZH, "系喇，我试下先", "zh", False),  # Cantonese: yes, I'll try it first
        (TIP_TRIED_ZH, "那我重启了试试", "zh", False),  # the review's guard: they will restart it
    ],
)
def test_whether_the_tip_was_tried(flow, way, said, language, technician):  # noqa: F811
    bot = reached(flow, way, language=language)
    assert bot.step_name == "tip_tried"
    actions = bot.on_transcript(said, 0.9)
    assert bot.slots.get("wants_technician") is technician, texts(actions)


def test_a_cantonese_yes_confirms_a_read_back(flow):  # noqa: F811
    bot = reached(flow, PASSWORD_READ_BACK_ZH, language="zh")
    bot.on_transcript("啱呀", 0.9)
    assert bot.slots.get("account") == "6680032"


@pytest.mark.parametrize(
    ("said", "language", "intent", "reason"),
    [
        ("My landline is not having any tone since two days, please check.", "en", "network_fault", None),
        ("every time I'm on a call it goes all robotic and then the call drops", "en", "network_fault", None),
        ("my contract ran out in March and I'm paying over the odds now", "en", "plan_change", "flow"),
        (
            "I am unable to access my account on your website, it says invalid credentials",
            "en",
            "password_reset",
            None,
        ),
        ("I was told I'd get forty pounds put back on my card", "en", "refund", "sensitive"),
        ("I missed one payment and you've switched my phone off", "en", "account_unlock", "sensitive"),
        (
            "there's a premium service on my statement and I never signed up for it",
            "en",
            "billing_dispute",
            "sensitive",
        ),
        (
            "I don't get on with these machines, is there a lady or a gentleman I could talk to?",
            "en",
            "agent",
            "caller-request",
        ),
        ("打电话的时候对方老说听不清我说话", "zh", "network_fault", None),
        ("上个月多交了三百块，想把这钱要回来", "zh", "refund", "sensitive"),
        # the review's guards: a mother's phone, the caller who cannot hear the bot, money already back
        ("我妈妈的手机上不了网", "zh", "network_fault", None),
        ("听不清楚你说什么", "zh", "repeat", None),
        ("充错了的钱已经退回来了，我想查下话费", "zh", "balance", None),
    ],
)
def test_requests_and_anger_in_new_words(flow, said, language, intent, reason):  # noqa: F811
    bot, actions = said_first(flow, said, language)
    assert (bot.acted, reasons(actions)) == (intent, [reason] if reason else []), texts(actions)
    assert not reason or isinstance(actions[-1], Transfer)
