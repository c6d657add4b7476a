"""Turns from a seventh probe set and the sixth's leftovers: agents' hours, requests for a person and
sensitive topics in rarer words, sarcasm, "sorry" that asks nothing, and a knowledge question asked
after an earlier matter."""

from __future__ import annotations

import pytest

from ivr.bot import Transfer
from ivr.dialogue import person
from ivr.dialogue.sentiment import read
from ivr.dialogue.text import is_cjk
from tests.unit.dialogue_flow.test_flow_callers import flow, reached, start, texts  # noqa: F401 (fixture)


def is_chinese_text(said: str) -> bool:
    """The turn is written in Chinese characters."""
    return any(is_cjk(c) for c in said)


HOURS = {"en": "Our agents are available every day", "zh": "人工客服服务时间"}


def said_first(flow, said: str, language: str = "en", returning: bool = False):  # noqa: F811
    bot, _ = start(flow, returning=returning, language=language)
    return bot, bot.on_transcript(said, 0.9)


def reasons(actions) -> list[str]:
    return [a.reason for a in actions if isinstance(a, Transfer)]


@pytest.mark.parametrize(
    ("said", "language"),
    [
        ("what time do the agents start tomorrow?", "en"),
        ("are the customer service people in on bank holidays?", "en"),
        ("do your agents work weekends", "en"),
        ("if I wanted to chat to a real person later on, when's the best time to call?", "en"),
        ("oh that's a shame, I hoped someone would still be there. What time do the agents start?", "en"),
        ("what time does customer services close tonight?", "en"),
        ("你们客服周末上班吗", "zh"),
    ],
)
def test_a_question_when_the_agents_work_gets_the_opening_hours(flow, said, language):  # noqa: F811
    _, actions = said_first(flow, said, language)
    assert not reasons(actions) and HOURS[language] in " ".join(texts(actions)), texts(actions)


@pytest.mark.parametrize(
    "said",
    [
        "when will I be able to speak to a person",  # a request verb between: still a request
        "I want to speak to someone tomorrow",
        "is an agent available",
        "I'd prefer to sort this out with an advisor if possible",
        "I think it'd be easier if I just spoke to somebody directly",
        "I want to talk to your executive only, not this automated thing",
        "are you able to put me through to someone tonight",  # "tonight" is now
        "when is the next agent free",  # waiting for one
        "do you work weekends because I need an agent",
        "do you have a manager I can speak to, I was cut off over the weekend",
    ],
)
def test_requests_for_a_person_in_rarer_words_are_put_through(flow, said):  # noqa: F811
    _, actions = said_first(flow, said)
    assert reasons(actions) == ["caller-request"], texts(actions)


@pytest.mark.parametrize(
    ("said", "language", "asks"),
    [
        ("no, I don't think I need to speak to anybody, that's all for today", "en", False),
        ("上周我老公找客服问过账单了", "zh", False),  # 过: once done
        ("昨天找过客服了", "zh", False),
        ("我找过客服了，还是没解决", "zh", True),  # no past time: still unsolved, still asks
        ("我想找客服办过户", "zh", True),  # 过户 is a word
        ("转人工过了十分钟还没人接", "zh", True),  # time passing
        ("你们上班吗我要人工", "zh", True),  # a request after the hours question, no punctuation
        ("你是机器人还是真人啊", "zh", False),
        ("周末有人工吗我要转", "zh", None),  # no longer a question about the hours: the matcher decides
        ("last time if I spoke to someone they just hung up on me", "en", False),
        # as tiny.en hears "I work as an insurance agent", "had to talk", "when's the best time"
        ("I work on an insurance agent, so I'm on the phone all day", "en", False),
        ("Last time I came to talk to an agent because I was locked out", "en", False),
        ("I came to talk to an agent", "en", True),  # no past: why the caller rang
        ("If I wanted to chat a real person later on, when the next time to call.", "en", False),
        ("转人工过来", "zh", True),  # 过来: a direction
        ("我要找客服", "zh", True),
    ],
)
def test_a_person_once_asked_or_not_needed_is_no_request(said, language, asks):
    verdict = person.verdict(said, language)
    assert verdict is asks if asks is None else bool(verdict) is asks


@pytest.mark.parametrize(
    ("said", "intent", "language"),
    [
        ("I sent the phone back within the fourteen days but I still haven't seen my money", "refund", "en"),
        ("I overpaid last month by about forty quid and I'd like it put back on my card", "refund", "en"),
        ("I paid everything off this morning, so can you switch my line back on", "account_unlock", "en"),
        ("I've been billed twice this month, two lots of forty-five pounds gone", "billing_dispute", "en"),
        ("I've been charged for roaming but I haven't left the country all year", "billing_dispute", "en"),
        ("账单上多了个什么视频会员，我从来没开过", "billing_dispute", "zh"),
    ],
)
def test_sensitive_topics_in_other_words_are_handed_over(flow, said, intent, language):  # noqa: F811
    bot, actions = said_first(flow, said, language)
    assert bot.intent == intent and reasons(actions) == ["sensitive"], texts(actions)


@pytest.mark.parametrize(
    ("said", "intent", "language"),
    [
        ("yeah hi, I was just wondering what's owing on the account at the moment", "balance", "en"),
        ("Good morning, I want to know how much amount is pending on my postpaid line", "balance", "en"),
        ("um, since lunchtime nothing'll load, the light on the box has gone orange", "network_fault", "en"),
        ("yeah the Netflix keeps buffering and the kids are doing my head in", "network_fault", "en"),
        ("customer services rang me earlier and I missed it, anyway my wifi's dead", "network_fault", "en"),
        ("你们这什么破网啊，三天两头断", "network_fault", "zh"),
    ],
)
def test_topics_in_callers_own_words_are_understood(flow, said, intent, language):  # noqa: F811
    bot, _ = said_first(flow, said, language)
    assert bot.intent == intent


def test_a_payment_by_direct_debit_is_no_balance_by_a_close_spelling(flow):  # noqa: F811
    bot, _ = said_first(flow, "is my payment going through by direct debit")
    assert bot.intent != "balance"  # "going" is not the keyword "owing"


@pytest.mark.parametrize(
    ("said", "language", "strong"),
    [
        ("yeah thanks for nothing. your so-called fix did absolutely nothing, cheers", "en", True),
        ("I still can't sign in, it's a bloody joke", "en", True),
        ("bit annoying, the wifi's gone really slow again this evening, can you have a look", "en", False),
        ("要什么邮编啊，赶紧把网给我修好，简直是开玩笑", "zh", True),
        ("问题一个都没解决，你们就是在糊弄人", "zh", True),
        ("你们网烂得要死还问我", "zh", True),
        ("打了一上午都没人管", "zh", True),
        ("我投诉过好几次了", "zh", True),  # complaints made again and again: still anger
        ("every bit as useless as last time", "en", True),  # "every bit" softens nothing
    ],
)
def test_sarcasm_and_softened_annoyance(said, language, strong):
    assert read(said, language).is_strong(-0.75) is strong


def test_the_same_problem_again_is_a_yes_not_a_request_to_repeat(flow):  # noqa: F811
    bot, actions = said_first(flow, "yes, unfortunately, the same problem again", returning=True)
    assert bot.slots.get("same_issue") is True and bot.acted != "repeat", texts(actions)


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("oh sorry, hang on, just let me find it, sorry", "take your time"),
        ("where would I find that, sorry?", "at the top of every bill"),
    ],
)
def test_sorry_beside_a_wait_or_where_asks_nothing_again(flow, said, expected):  # noqa: F811
    bot = reached(flow, ["I want to check my balance"])
    actions = bot.on_transcript(said, 0.9)
    said_back = " ".join(texts(actions))
    assert bot.acted != "repeat" and expected in said_back and "understand" not in said_back, said_back


def test_sorry_what_still_asks_to_hear_it_again(flow):  # noqa: F811
    bot, _ = said_first(flow, "sorry, what?")
    assert bot.acted == "repeat"


@pytest.mark.parametrize(
    ("said", "answer"),
    [
        (
            "my husband complained to you last month about the signal and it got fixed, so thanks for that, "
            "but I'm calling because I've lost my SIM card",
            "replacement SIM",
        ),
        (
            "last time I had to talk to an agent because I was locked out, today I just need the voicemail "
            "number",
            "Call 1 2 1",
        ),
    ],
)
def test_a_knowledge_question_asked_now_wins_over_an_earlier_matter(flow, said, answer):  # noqa: F811
    _, actions = said_first(flow, said)
    assert not reasons(actions) and answer in " ".join(texts(actions)), texts(actions)


@pytest.mark.parametrize(
    ("turns", "expected", "language"),
    [
        (["I ran out of data", "what's the number again"], "Text DATA to 1234", "en"),
        (["I ran out of data", "sorry, I didn't get that"], "Text DATA to 1234", "en"),
        (["I ran out of data", "again?"], "Text DATA to 1234", "en"),
        (["怎么买流量", "请重新说一遍"], "发送DATA到1234", "zh"),
    ],
)
def test_a_request_to_repeat_in_other_words_repeats_the_answer(flow, turns, expected, language):  # noqa: F811
    bot = reached(flow, turns[:-1], language=language)
    actions = bot.on_transcript(turns[-1], 0.9)
    assert bot.acted == "repeat" and expected in " ".join(texts(actions)), texts(actions)


@pytest.mark.parametrize(
    ("way", "said", "not_intent"),
    [
        (["I want to check my balance"], "account number? no idea what that is", "billing_dispute"),
        ([], "am I going to get charged for roaming in Spain", "billing_dispute"),
        ([], "my bill won't load in the app", "network_fault"),
        (["I forgot my password"], "it's for the wifi", "network_fault"),
        ([], "I'd like to cancel my next payment, I'm leaving", "balance"),
        ([], "I missed my payment due to being in hospital", "balance"),
        ([], "信用卡总是断缴", "network_fault"),
    ],
)
def test_words_near_the_new_keywords_keep_their_meaning(flow, way, said, not_intent):  # noqa: F811
    bot = reached(flow, way, language="zh" if is_chinese_text(said) else "en")
    actions = bot.on_transcript(said, 0.9)
    assert bot.intent != not_intent and "sensitive" not in reasons(actions), texts(actions)


def test_an_angry_mention_of_agents_is_anger_not_a_request(flow):  # noqa: F811
    _, actions = said_first(flow, "I'm sick of having to deal with your useless agents")
    assert reasons(actions) == ["sentiment"], texts(actions)


@pytest.mark.parametrize(
    ("said", "language"),
    [("no, I'm calling to ask what time your agents finish", "en"), ("不是，我想问一下你们几点下班", "zh")],
)
def test_no_and_a_knowledge_question_to_the_returning_callers_question_is_answered(flow, said, language):  # noqa: F811
    bot, actions = said_first(flow, said, language, returning=True)
    assert bot.slots.get("same_issue") is False and HOURS[language] in " ".join(texts(actions)), texts(
        actions
    )
