"""Turns from an eleventh probe set (dev-*-kNNN): a question about the question, a copula 是 that is no yes,
Cantonese yes, no and "nothing else"; and what must not change."""

from __future__ import annotations

import pytest

from ivr.bot import Hangup, Transfer
from ivr.dialogue.slots import parse_yes_no
from tests.unit.dialogue_flow.test_flow_callers import flow, reached, start, texts  # noqa: F401 (fixture)
from tests.unit.dialogue_flow.test_flow_leaving_callers import BALANCE_GIVEN_ZH
from tests.unit.dialogue_flow.test_flow_new_phrasings import reasons, said_first

NETWORK, NETWORK_ZH = ["my internet is not working"], ["网络坏了"]
POSTCODE, POSTCODE_ZH = [*NETWORK, "yes"], [*NETWORK_ZH, "是的"]


@pytest.mark.parametrize(
    ("said", "language", "answer"),
    [
        ("what do you mean by all my devices", "en", None),
        ("你说的所有设备是什么意思", "zh", None),
        # an answer beside the question about it still answers (the review's guards)
        ("what devices do you mean, only my phone", "en", False),
        ("什么意思？对，都不行", "zh", True),
        ("我们家所有设备都上不了网，你说的意思是指什么", "zh", True),
        # what must not change: an answer that opens with a question word, or has a question after it
        ("what yeah all of them", "en", True),
        ("when it drops it's all of them", "en", True),
        ("how about no", "en", False),
        ("all of them, why?", "en", True),
        ("yes, what do I do now", "en", True),
        ("都上不了，怎么回事", "zh", True),
    ],
)
def test_a_question_about_the_question_is_no_answer(said, language, answer):
    own = {True: ["all", "都上不了", "所有"], False: ["only", "只有"]}
    assert parse_yes_no(said, language, own) is answer


@pytest.mark.parametrize(
    ("way", "said", "language", "told"),
    [
        (NETWORK, "what do you mean by all my devices", "en", "everything that uses your connection"),
        (NETWORK_ZH, "你说的所有设备是什么意思", "zh", "使用您网络的所有设备"),
        (POSTCODE, "why do you need my postcode?", "en", "which local network serves you"),
        (POSTCODE_ZH, "为什么需要邮编", "zh", "本地网络"),
    ],
)
def test_a_question_about_the_step_is_answered_by_its_help_and_asked_again(flow, way, said, language, told):  # noqa: F811
    bot = reached(flow, way, language=language)
    step = bot.step_name
    said_back = texts(bot.on_transcript(said, 0.9))
    assert told in said_back[0] and bot.step_name == step and bot.slots.get("all_devices") is not False
    assert bot.acted == "help"


@pytest.mark.parametrize(
    ("said", "same", "intent"),
    [
        ("我这次打电话是想重置一下登录密码", None, "password_reset"),  # 是想: a copula, no yes
        ("唔係，今次係第二件事", False, None),  # Cantonese no
        ("係", True, None),  # Cantonese yes
        ("我是要说上次那个问题", True, None),  # 是要 after one character may still answer
        # the review's guards: an emphatic 就是 answers, a Cantonese 係 inside the turn does not
        ("我打电话就是想说这个", True, None),
        ("我这次来电就是为了上次那件事", True, None),
        ("今次係为咗查话费", None, "balance"),
    ],
)
def test_a_returning_callers_chinese_answer(flow, said, same, intent):  # noqa: F811
    bot, _ = start(flow, returning=True, language="zh")
    actions = bot.on_transcript(said, 0.9)
    if intent:
        assert bot.intent == intent and not any(isinstance(a, Transfer) for a in actions)
    else:
        assert bot.slots.get("same_issue") is same, texts(actions)


@pytest.mark.parametrize(
    ("said", "ends"), [("冇嘢啦，唔该", True), ("冇嘢了", True), ("冇其他嘢，我想查下话费", False)]
)
def test_cantonese_nothing_else_ends_the_call(flow, said, ends):  # noqa: F811
    bot = reached(flow, BALANCE_GIVEN_ZH, language="zh")
    assert bot.step_name == "more"
    assert any(isinstance(a, Hangup) for a in bot.on_transcript(said, 0.9)) is ends


@pytest.mark.parametrize(
    ("said", "language", "intent", "reason"),
    [
        ("so is there something with a lot more data", "en", "plan_change", "flow"),
        ("my number's been switched off and i've no idea why", "en", "account_unlock", "sensitive"),
        ("I was told I'd be getting some money back after the outage", "en", "refund", "sensitive"),
        ("the box in the hallway has a red light on it and nothing's loading", "en", "network_fault", None),
        ("basically you took the payment for the same bill twice", "en", "billing_dispute", "sensitive"),
        (
            "I keep typing my details into the website and it just says incorrect",
            "en",
            "password_reset",
            None,
        ),
        ("这个月账单里有个什么会员费，我从来没办过这个", "zh", "billing_dispute", "sensitive"),
        # the topic inside anger goes on the screen-pop
        (
            "I'm sick of this, I just want to know what I owe and it's a disgrace",
            "en",
            "balance",
            "sentiment",
        ),
        (
            "your company is a joke, i can't sign into anything and i'm furious",
            "en",
            "password_reset",
            "sentiment",
        ),
        ("你哋搞乜鬼啊，成日断网，激死我啦", "zh", "network_fault", "sentiment"),
        # what must not change: where to pay is the knowledge base's, what I owe there is no request
        ("where can I pay what I owe", "en", None, None),
        # the review's guards: a knowledge question that asks what something means, the wifi, excitement
        ("what do you mean by roaming charges", "en", None, None),
        ("I can't sign into the wifi on my laptop", "en", "network_fault", None),
        ("看球赛太刺激死我了结果网断了", "zh", "network_fault", None),
    ],
)
def test_requests_in_new_words(flow, said, language, intent, reason):  # noqa: F811
    bot, actions = said_first(flow, said, language)
    assert (bot.acted, reasons(actions)) == (intent, [reason] if reason else []), texts(actions)


@pytest.mark.parametrize(
    ("said", "intent"),
    [
        ("actually forget the password i'd rather sort out a new plan", "plan_change"),  # no break said
        ("forget about the account number i just want an agent", "agent"),
        ("forget the password, my internet's down", "network_fault"),
        ("I forget the password I set up for my account", None),  # the verb: no plan, the step goes on
    ],
)
def test_a_topic_set_aside_without_a_break(flow, said, intent):  # noqa: F811
    bot = reached(flow, ["I forgot my password"])
    bot.on_transcript(said, 0.9)
    assert bot.acted == intent


@pytest.mark.parametrize(
    ("said", "language", "intent"),
    [
        ("No, I want to check my balance.", "en", "balance"),
        ("Nah, it's about my password this time.", "en", "password_reset"),
        ("不是的，我想查一下这个月的话费", "zh", "balance"),
    ],
)
def test_a_no_with_a_new_request_answers_the_returning_callers_question(flow, said, language, intent):  # noqa: F811
    bot, _ = start(flow, returning=True, language=language)
    bot.on_transcript(said, 0.9)
    assert (bot.intent, bot.slots.get("same_issue")) == (intent, False)


@pytest.mark.parametrize(
    ("way", "said", "language", "step", "acted"),
    [
        (
            NETWORK_ZH,
            "我部手机係坏咗",
            "zh",
            "network",
            None,
        ),  # a Cantonese copula is no yes to "all your devices?"
        (NETWORK, "what devices do you mean, only my phone", "en", "tip_tried", None),
        (POSTCODE, "why do you need that? I just want it fixed", "en", "postcode", "help"),
    ],
)
def test_a_question_beside_an_answer(flow, way, said, language, step, acted):  # noqa: F811
    bot = reached(flow, way, language=language)
    bot.on_transcript(said, 0.9)
    assert bot.step_name == step and bot.acted == acted


def test_what_do_you_mean_to_a_read_back_hears_it_again(flow):  # noqa: F811
    bot = reached(flow, ["I want to check my balance", "one two three four five six"])
    assert texts(bot.on_transcript("what do you mean", 0.9)) == ["I heard 1 2 3 4 5 6. Is that right?"]
    bot.on_transcript("yes", 0.9)
    assert bot.slots.get("account") == "123456"


def test_help_at_a_read_back_asks_the_read_back_again(flow):  # noqa: F811
    bot = reached(flow, ["I want to check my balance", "one two three four five six"])
    said = texts(bot.on_transcript("help", 0.9))
    assert said[-1] == "I heard 1 2 3 4 5 6. Is that right?" and "top of every bill" in said[0]
    bot.on_transcript("yes", 0.9)
    assert bot.slots.get("account") == "123456"
