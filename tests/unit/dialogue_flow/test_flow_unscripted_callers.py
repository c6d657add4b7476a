"""Turns from an eighth probe set (dev-*-hNNN): long-winded, hedged and colloquial callers."""

from __future__ import annotations

import pytest

from ivr.dialogue import person
from ivr.dialogue.sentiment import read
from ivr.dialogue.slots import parse_digits, parse_yes_no
from tests.unit.dialogue_flow.test_flow_callers import flow, reached  # noqa: F401 (fixture)
from tests.unit.dialogue_flow.test_flow_new_phrasings import is_chinese_text


def language_of(said: str) -> str:
    """The language a test turn is written in."""
    return "zh" if is_chinese_text(said) else "en"


@pytest.mark.parametrize(
    "said",
    [
        "Would it be at all possible to have a quick word with somebody?",
        "Is there a real lady or gentleman there I could talk to?",
        "honestly I think it'd be quicker if I just explained it all to one of your team",
        "Honestly, I'd prefer to explain the whole thing to one of the technicians, if that's possible.",
        "I'm not really sure, love. Could you just put me onto one of your people?",
        "能不能让我直接跟你们的师傅讲",
        "还有个事儿，这个我得跟人说，麻烦帮我转一下",
        "我哪知道啊，我不懂这些，你给我找个懂的人吧",
        "if I need an engineer, when can they come",  # no talking supposed: not the opening hours
    ],
)
def test_hedged_and_roundabout_requests_for_a_person(said):
    assert person.verdict(said, language_of(said)) is True


@pytest.mark.parametrize(
    "said",
    [
        "我现在是在跟人说话吗",
        "one of your team rang me yesterday and was lovely",
        "我不想跟人说，帮我查一下话费",  # 不想 takes it back
        "我觉得跟人说不清楚，帮我查一下话费",  # 觉得, not 我得
        "师傅，我要查话费",  # 师傅 as a form of address
        "I had a quick word with your colleague yesterday about my password",
        "the engineer put me onto a new line and now the internet is worse",
    ],
)
def test_a_question_or_a_mention_near_those_words_asks_nobody(said):
    assert not person.verdict(said, language_of(said))


def test_a_short_team_name_after_a_moment_is_a_team(flow):  # noqa: F811
    actions = reached(flow, [], language="zh").on_transcript("帮我转一下财务，谢谢", 0.9)
    assert actions[-1].reason == "caller-request" and actions[-1].queue == "billing", actions


@pytest.mark.parametrize(
    ("said", "strong"),
    [
        ("This is the last straw, honestly, the broadband has dropped every single evening", True),
        ("I honestly give up. I've rung four times", True),
        ("this is a fucking joke, mate, the wifi's been off since Sunday", True),
        ("I've been with you twelve years and this is how I get treated.", True),
        ("Are you lot even capable of anything? Genuinely asking.", True),
        ("算了算了，我也不指望你们了，爱咋咋地吧", True),
        ("真是绝了，查个话费还要绕这么大一圈，你们是故意的吧", True),
        ("I'll give you a ring back tomorrow if it's still slow", False),
        ("fucking lovely, thats all thanks", False),  # friendly swearing
        ("how much will it cost if I give up my contract", False),
        ("听说你们最牛的是5G信号", False),
    ],
)
def test_anger_in_less_obvious_words(said, strong):
    assert read(said, language_of(said)).is_strong(-0.75) is strong


@pytest.mark.parametrize(
    ("said", "intent"),
    [
        (
            "so I run a little cafe and the card machine goes through the wifi, and it just won't connect",
            "network_fault",
        ),
        ("yo so my phone's just showing SOS up in the corner, what's going on", "network_fault"),
        (
            "my grandson set it up and now it wants a secret word off me and I haven't the foggiest",
            "password_reset",
        ),
        (
            "I barely use half my data, is there something smaller I could go on, that costs a bit less?",
            "plan_change",
        ),
        ("I paid what was overdue on Monday, but it says my service is restricted.", "account_unlock"),
        ("she wants to know what's on her account for this month", "balance"),
        ("Anyway! How much am I owing you?", "balance"),
        ("the bill's fine, I checked it, it's not that, it's the broadband, it's crawling", "network_fault"),
        (
            "my internet's been rubbish, actually no, forget that, how much is coming out of my account",
            "balance",
        ),
        ("我想问下我张单今个月几多钱啊", "balance"),
    ],
)
def test_topics_said_in_passing_or_taken_back(flow, said, intent):  # noqa: F811
    bot = reached(flow, [said], language=language_of(said))
    assert bot.intent == intent


@pytest.mark.parametrize(
    ("said", "all_devices"),
    [
        ("Well, my husband's phone works fine, it's mine that doesn't.", False),
        ("Nothing in the house will connect.", True),
        ("电视盒子、平板还有我手机，没一个能用的", True),
        ("none of them, just my phone", False),  # "just" wins
        ("its mine, everything in the house", True),
    ],
)
def test_all_devices_answered_in_other_words(flow, said, all_devices):  # noqa: F811
    language = language_of(said)
    way = ["my internet is not working"] if language == "en" else ["网络坏了"]
    bot = reached(flow, [*way, said], language=language)
    assert bot.slots.get("all_devices") is all_devices


@pytest.mark.parametrize(
    ("said", "digits"),
    [
        ("等一下啊，我找一下账单……找到了，六六八八一二三四", "66881234"),
        ("邮编是二零零零八一下面的区", "200081"),  # digits run into 一下: the 一 is the last digit
    ],
)
def test_the_one_of_a_chinese_word_is_no_digit(said, digits):
    assert parse_digits(said, "zh") == digits


def test_its_not_that_takes_nothing_back(flow):  # noqa: F811
    said = "I cant log in, its not that my account is blocked, I just forgot my password"
    assert reached(flow, [said]).intent == "password_reset"


@pytest.mark.parametrize(
    ("said", "answer"), [("hmm, which issue was that?", None), ("hmm?", None), ("mhm", True)]
)
def test_a_hmm_before_a_question_back_is_no_yes(said, answer):
    assert parse_yes_no(said, "en") is answer
