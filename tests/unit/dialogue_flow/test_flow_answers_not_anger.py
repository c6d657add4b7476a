"""Turns from a fourteenth probe set (dev-*-nNNN): a step's own answer that sounds like anger, Cantonese
answers, advice to ask for a person that the caller then sets aside, a bar of signal, and new words for
the flow's topics, with what must not change."""

from __future__ import annotations

import pytest

from ivr.dialogue import person
from ivr.dialogue.sentiment import read
from ivr.dialogue.slots import parse_yes_no
from ivr.dialogue.yes_no import without_own_answers
from tests.unit.dialogue_flow.test_flow_callers import flow, reached, start, texts  # noqa: F401 (fixture)
from tests.unit.dialogue_flow.test_flow_new_phrasings import reasons, said_first

TIP_TRIED = ["我家网络坏了", "只有手机"]


@pytest.mark.parametrize(
    ("said", "technician", "reason"),
    [
        ("早就重启过了，一点用都没有", True, "flow"),
        ("一点用都没有", True, "flow"),
        ("完全没用", True, "flow"),
        # what must not change: anger beside the answer, or the answer's words said of the company
        ("早就重启过了，一点用都没有，气死我了", None, "sentiment"),
        ("你这个机器人一点用都没有", None, "sentiment"),
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


@pytest.mark.parametrize(
    ("said", "all_devices", "reason"),
    [
        ("净係我部手机唔得，电脑冇问题", False, None),
        ("净系我部手机唔得", False, None),
        ("唔只係手机，全部都唔得", True, None),
        # the answer's 全部 leaves the anger of 全部取消 whole
        ("算了算了，全部取消", None, "sentiment"),
    ],
)
def test_all_devices_in_cantonese(flow, said, all_devices, reason):  # noqa: F811
    bot = reached(flow, ["我家网络坏了"], language="zh")
    actions = bot.on_transcript(said, 0.9)
    assert bot.slots.get("all_devices") is all_devices and reasons(actions) == ([reason] if reason else [])


@pytest.mark.parametrize(
    ("said", "language", "words", "left"),
    [
        ("TRIED it, USELESS!!!", "en", ["useless"], "TRIED it,  !!!"),
        ("it didn't help at all", "en", ["didnt help"], "it   at all"),
        ("早就重启过了，一点用都没有", "zh", ["一点用都没有"], "早就重启过了， "),
        # said of the company, the words stay: an insult, not the answer
        ("you lot are useless", "en", ["useless"], "you lot are useless"),
        ("你们公司一点用也没有", "zh", ["一点用也没有"], "你们公司一点用也没有"),
    ],
)
def test_the_answer_is_taken_out_and_the_rest_kept(said, language, words, left):
    assert without_own_answers(said, language, words) == left


@pytest.mark.parametrize(
    ("said", "answer"),
    [
        ("啱", True),
        ("啱啦", True),
        ("啱，係呀", True),
        ("啱啱打过", None),
        ("唔啱", False),
        ("冇错，啱", True),
    ],
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
        ("there was still credit on it, I'd like the credit returned to me please", "en", "refund"),
        ("Why am I still paying for a landline I got rid of in the summer?", "en", "billing_dispute"),
        ("I've been charged for calls to a number in Latvia", "en", "billing_dispute"),
        ("我充值的时候号码输错了，能帮我弄回来吗", "zh", "refund"),
        ("我个号码俾你哋封咗，可唔可以帮我解返", "zh", "account_unlock"),
        ("这个月账单里有个什么彩铃费，我根本没开过这个", "zh", "billing_dispute"),
        # what must not change (the reviews' guards): a bar on the account, leaving when the contract ends,
        # a refund already back, prices of calls, a parcel returned, a husband who hangs up, the handset
        # still being paid for, airplane mode, a road closed
        ("my line has been barred", "en", "account_unlock"),
        ("there's a bar on my account, please remove it", "en", "account_unlock"),
        ("why is there a bar on my number", "en", "account_unlock"),
        ("you lot are hopeless, I'm leaving the minute my contract ends", "en", None),
        ("充错了的钱已经退回来了，我想查下话费", "zh", "balance"),
        ("how much will I be charged for calls to Spain", "en", None),
        ("the router got returned to me because the courier had the wrong address", "en", "network_fault"),
        ("my husband keeps hanging up on me when I ring him about the bill", "en", "balance"),
        ("how much am I still paying for the handset", "en", "balance"),
        ("关咗airplane mode都冇signal", "zh", "network_fault"),
        ("条路封咗，师傅入唔到嚟，个网仲係断", "zh", None),
    ],
)
def test_new_words_for_the_flows_topics(flow, said, language, intent):  # noqa: F811
    bot, actions = said_first(flow, said, language)
    if intent is None:  # nothing acted on, and no topic's transfer (a complaint may still hand over)
        assert bot.acted is None and not set(reasons(actions)) & {"sensitive", "flow"}, texts(actions)
    else:
        assert bot.intent == intent or bot.acted == intent, texts(actions)


@pytest.mark.parametrize(
    ("said", "reason"),
    [
        ("can I ask for the loyalty team please", "caller-request"),
        ("I tried the app but I just want to talk to a person", "caller-request"),
        ("transfer me to billing but I only need a minute", "caller-request"),
        ("can I have someone from billing but I just need to query one charge", "caller-request"),
        ("I cannot reach anybody at your company", "caller-request"),
        # the phone reaches nobody: a fault, not a request; advice set aside for what the caller wants
        ("Please, my phone has been showing no network since yesterday, I cannot reach anybody at all", None),
        ("my son said to ask for a human straight away but honestly I only want to know what I owe", None),
        ("my son told me to ask for an agent, but I just want to know my bill", None),
        ("they told me to speak to an agent but to be fair I just want my balance", None),
        ("I didn't ask for an agent", None),
        ("I'll speak to billing when I get my statement, for now what's my balance", None),
    ],
)
def test_asking_for_a_person_or_setting_it_aside(flow, said, reason):  # noqa: F811
    _, actions = said_first(flow, said)
    assert reasons(actions) == ([reason] if reason else []), texts(actions)


def test_advice_set_aside_leaves_the_request_that_follows():
    said = "my son said to ask for a human but I just need my balance"
    assert person.verdict(said, "en") is False
    assert person.verdict("my son said to speak to someone, so can you put me through", "en") is True


@pytest.mark.parametrize(
    ("said", "language", "strong"),
    [
        ("I've been messed about by your company for a month, it's a scandal", "en", True),
        ("I'm seriously about to lose it, I've reset my password three times", "en", True),
        ("激死我呀，你哋个网三日两头断，有冇搞错呀", "zh", True),
        # what must not change: grateful, excited, a calm question, credit that may be lost, an apology,
        # the news, a bill checked for mistakes, a daughter's data
        ("真是感激死了，网络终于修好了", "zh", False),
        ("if I don't use my credit am I going to lose it", "en", False),
        ("my signal comes and goes, I'm going to lose it any second now", "en", False),
        ("sorry for losing my temper earlier, can we check my bill", "en", False),
        ("I read about the data scandal in the news, is my account safe", "en", False),
        ("我想问下账单有冇搞错", "zh", False),
        ("我个女激死我，成日用晒data，想加流量", "zh", False),
        ("看球赛太刺激死我了结果网断了", "zh", False),
        ("I'm not going to lose my number if I switch plan, am I?", "en", False),
    ],
)
def test_strongly_negative_turns(said, language, strong):
    assert bool(read(said, language).strong) is strong


@pytest.mark.parametrize(
    ("said", "language", "intent"),
    [
        (
            "I wanted to check my balance, oh and also while I've got you, my password's stopped working",
            "en",
            "password_reset",
        ),
        ("my phone's saying no service, and while I'm at it, how much is my bill?", "en", "balance"),
        ("网断了，顺便问一下这个月话费多少", "zh", "balance"),
        # what must not change: a second clause with no matter of its own leaves the first
        ("my internet is down, and also I've been waiting ages", "en", "network_fault"),
    ],
)
def test_a_second_matter_moved_on_to_is_served_first(flow, said, language, intent):  # noqa: F811
    bot, actions = said_first(flow, said, language)
    assert bot.acted == intent, texts(actions)
