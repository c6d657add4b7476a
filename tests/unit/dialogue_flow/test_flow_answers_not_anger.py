"""Turns from a fourteenth probe set (dev-*-nNNN): a step's own answer that sounds like anger, Cantonese
answers, advice to ask for a person that the caller then sets aside, a bar of signal, and new words for
the flow's topics, with what must not change."""

from __future__ import annotations

import pytest

from ivr.dialogue import person
from ivr.dialogue.sentiment import read
from ivr.dialogue.slots import parse_yes_no
from tests.unit.dialogue_flow.test_flow_callers import flow, reached, start, texts  # noqa: F401 (fixture)
from tests.unit.dialogue_flow.test_flow_new_phrasings import reasons, said_first

TIP_TRIED = ["我家网络坏了", "只有手机"]


@pytest.mark.parametrize(
    ("said", "technician", "reason"),
    [
        ("早就重启过了，一点用都没有", True, "flow"),
        ("一点用都没有", True, "flow"),
        # what must not change: anger beside the answer is still anger
        ("早就重启过了，一点用都没有，气死我了", None, "sentiment"),
    ],
)
def test_the_steps_own_answer_is_no_outburst(flow, said, technician, reason):  # noqa: F811
    bot = reached(flow, TIP_TRIED, language="zh")
    assert bot.step_name == "tip_tried"
    actions = bot.on_transcript(said, 0.9)
    assert bot.slots.get("wants_technician") is technician and reasons(actions) == [reason], texts(actions)


def test_the_steps_own_answer_is_no_outburst_in_english(flow):  # noqa: F811
    bot = reached(flow, ["my internet is not working", "only my phone"])
    actions = bot.on_transcript("yes I tried that, this is ridiculous", 0.9)
    assert reasons(actions) == ["sentiment"], texts(actions)


def test_only_my_phone_in_cantonese(flow):  # noqa: F811
    bot = reached(flow, ["我家网络坏了"], language="zh")
    bot.on_transcript("净係我部手机唔得，电脑冇问题", 0.9)
    assert bot.slots.get("all_devices") is False


@pytest.mark.parametrize(
    ("said", "answer"), [("啱", True), ("啱啦", True), ("啱啱打过", None), ("唔啱", False)]
)
def test_cantonese_right_alone_is_a_yes(said, answer):
    assert parse_yes_no(said, "zh") is answer


def test_a_cantonese_right_confirms_the_account(flow):  # noqa: F811
    bot = reached(flow, ["我想查话费", "九八七六五四三"], language="zh")
    bot.on_transcript("啱", 0.9)
    assert bot.slots.get("account") == "9876543"


def test_same_again_answers_the_question_and_asks_nothing_else(flow):  # noqa: F811
    bot, actions = said_first(flow, "Aye, same again", returning=True)
    assert bot.slots.get("same_issue") is True and bot.acted is None and reasons(actions) == ["flow"]


@pytest.mark.parametrize(
    ("said", "language", "intent"),
    [
        ("Hiya, yeah, I was just wondering what I'm due to pay you lot this month", "en", "balance"),
        ("I'd like to find out where my account stands at the moment", "en", "balance"),
        ("I got the statement in the mail and I just wanna know what the damage is", "en", "balance"),
        ("I cannae get a single bar on my mobile since Tuesday", "en", "network_fault"),
        ("her voice keeps freezing and then the call just hangs up on us", "en", "network_fault"),
        ("Kinda bummed, my data's been super slow all day", "en", "network_fault"),
        ("My contract finishes next month, what could you offer me if I stay on", "en", "plan_change"),
        ("there was still credit on it, I'd like that returned to me please", "en", "refund"),
        ("Why am I still paying for a landline I got rid of in the summer?", "en", "billing_dispute"),
        ("I've been charged for calls to a number in Latvia", "en", "billing_dispute"),
        ("我想upgrade一下我的plan，多要点流量", "zh", "plan_change"),
        ("我充值的时候号码输错了，能帮我弄回来吗", "zh", "refund"),
        ("我个号码俾你哋封咗，可唔可以帮我解返", "zh", "account_unlock"),
        ("这个月账单里有个什么彩铃费，我根本没开过这个", "zh", "billing_dispute"),
        # what must not change: a bar that is no signal, leaving when the contract ends, a refund already
        # back before the balance
        ("my line has been barred", "en", "account_unlock"),
        ("you lot are hopeless, I'm leaving the minute my contract ends", "en", None),
        ("充错了的钱已经退回来了，我想查下话费", "zh", "balance"),
    ],
)
def test_new_words_for_the_flows_topics(flow, said, language, intent):  # noqa: F811
    bot, actions = said_first(flow, said, language)
    assert bot.intent == intent or bot.acted == intent, texts(actions)


@pytest.mark.parametrize(
    ("said", "reason"),
    [
        ("I was told to ask for the loyalty team when I rang", "caller-request"),
        ("I tried the app but I just want to talk to a person", "caller-request"),
        # the phone reaches nobody: a fault, not a request; advice set aside for what the caller wants
        ("Please, my phone has been showing no network since yesterday, I cannot reach anybody at all", None),
        ("my son said to ask for a human straight away but honestly I only want to know what I owe", None),
    ],
)
def test_asking_for_a_person_or_setting_it_aside(flow, said, reason):  # noqa: F811
    _, actions = said_first(flow, said)
    assert reasons(actions) == ([reason] if reason else []), texts(actions)


def test_advice_set_aside_leaves_the_request_that_follows():
    said = "my son said to ask for a human but I just need my balance"
    assert person.verdict(said, "en") is None
    assert person.verdict("my son said I should ask for a human, so can I have one", "en") is True


@pytest.mark.parametrize(
    ("said", "language", "strong"),
    [
        ("I've been messed about by your company for a month, it's a scandal", "en", True),
        ("I'm seriously about to lose it, I've reset my password three times", "en", True),
        ("激死我呀，你哋个网三日两头断，有冇搞错呀", "zh", True),
        # what must not change: grateful, excited, a calm question
        ("真是感激死了，网络终于修好了", "zh", False),
        ("看球赛太刺激死我了结果网断了", "zh", False),
        ("I'm not going to lose my number if I switch plan, am I?", "en", False),
    ],
)
def test_strongly_negative_turns(said, language, strong):
    assert bool(read(said, language).strong) is strong
