"""Turns from a ninth probe set (dev-*-iNNN): numbers said twice, minds changed, answers in dialect."""

from __future__ import annotations

import pytest

from ivr.dialogue import person
from ivr.dialogue.sentiment import read
from ivr.dialogue.slots import parse_digits, parse_yes_no, said_twice
from ivr.dialogue.text import marked_question
from tests.unit.dialogue_flow.test_flow_callers import flow, reached, start, texts  # noqa: F401 (fixture)
from tests.unit.dialogue_flow.test_flow_new_phrasings import reasons, said_first
from tests.unit.dialogue_flow.test_flow_unscripted_callers import language_of

SAME_ISSUE = {  # the telecom flow's same_issue answers, as the step passes them
    True: ["上次那个", "还没搞定", "same issue", "still not working", "still not fixed"],
    False: ["是另外一件事", "早搞定了", "something else"],
}


@pytest.mark.parametrize(
    ("digits", "once"),
    [("74017401", "7401"), ("8865432188654321", "88654321"), ("7401", None), ("123124", None), ("", None)],
)
def test_a_number_said_twice_over_is_one_number(digits, once):
    assert said_twice(digits) == once


@pytest.mark.parametrize(
    ("at", "turns", "slot", "value"),
    [
        (["my internet is not working", "yes"], ["seven four oh one, seven four oh one"], "postcode", "7401"),
        (
            ["my internet is not working", "yes"],
            ["uh, two, oh, double six... yes, two oh six six"],
            "postcode",
            "2066",
        ),
        (["我要查询话费"], ["呃……八八六五四三二一，对，八八六五四三二一"], "account", "88654321"),
    ],
)
def test_a_number_said_twice_is_read_back_once(flow, at, turns, slot, value):  # noqa: F811
    language = language_of(turns[0])
    bot = reached(flow, at, language=language)
    for turn in turns:
        bot.on_transcript(turn, 0.9)
    bot.on_transcript("yes" if language == "en" else "是的", 0.9)
    assert bot.slots.get(slot) == value


def test_a_whole_number_said_once_is_not_halved(flow):  # noqa: F811
    bot = reached(flow, ["I want to check my balance"])
    bot.on_transcript("one two three one two three", 0.9)  # six digits: a whole account number
    bot.on_transcript("yes", 0.9)
    assert bot.slots.get("account") == "123123"


@pytest.mark.parametrize(
    ("said", "digits"),
    [
        ("right, the one on the bill... zero zero four five, one nine eight two", "00451982"),
        ("it's the one two three four five six", "123456"),  # a digit follows: still a digit
        ("one one two", "112"),
    ],
)
def test_one_as_a_pronoun_is_no_digit(said, digits):
    assert parse_digits(said, "en") == digits


@pytest.mark.parametrize(
    ("said", "answer"),
    [
        ("um, yes, well, no... actually yes, it's that again", True),
        ("yes, actually, it's something else", False),
        ("no, actually it's still not working", True),
        ("yes, actually", True),  # nothing after the change of mind: the yes stands
        ("yes, actually nope, it's still not fixed", True),  # its own words after the change of mind
        ("yes, actually no one came to fix it", True),  # "no one" is no answer
        ("yes, actually my laptop doesn't connect either", True),
        ("嗯，就那个，还没搞定呢", True),
        ("不是不是，上次那个早搞定了", False),  # both sides named: the leading no decides
        ("是，上次那个问题", True),
        ("唔系啊，今次是另外一件事", False),
        ("唔系", False),
    ],
)
def test_changed_minds_and_dialect_answer_the_same_issue_question(said, answer):
    assert parse_yes_no(said, language_of(said), SAME_ISSUE) is answer


@pytest.mark.parametrize(
    ("said", "transfer"),
    [
        ("嗯，就那个，还没搞定呢", ["flow"]),
        ("是的，还有另外一件事", ["flow"]),  # yes, and one more matter
        ("上次说搞定了，结果又断了", ["flow"]),  # told it was fixed, broken again
        ("当然不", []),
        ("不是不是，上次那个早搞定了", []),
        ("还没搞定呢", ["flow"]),
    ],
)
def test_a_returning_caller_in_colloquial_chinese(flow, said, transfer):  # noqa: F811
    bot, _ = start(flow, returning=True, language="zh")
    assert reasons(bot.on_transcript(said, 0.9)) == transfer


@pytest.mark.parametrize(
    ("said", "marked"),
    [
        ("你们客服周末上班不？", "你们客服周末上班吗？"),
        ("手机在那边能用不", "手机在那边能用吗"),
        ("我就不", "我就不"),  # a refusal
        ("要不我们改天", "要不我们改天"),
        ("好不好", "好不好"),
    ],
)
def test_a_clause_final_a_not_a_asks(said, marked):
    assert marked_question(said, "zh") == marked


@pytest.mark.parametrize(
    ("at", "said"),
    [
        ([], "你们客服周末上班不？"),  # the opening hours, not a request for an agent
        ([], "你是AI吧？听着不像真人"),  # a question about the bot
        (["我要查询话费", "一二三四五六", "对"], "哦对了，我下个月要去日本，手机在那边能用不"),  # roaming
        ([], "can I pay the bill at the post office or does it have to be online?"),  # how to pay
    ],
)
def test_questions_are_answered_not_routed(flow, at, said):  # noqa: F811
    language = language_of(said)
    bot = reached(flow, at, language=language)
    actions = bot.on_transcript(said, 0.9)
    assert reasons(actions) == [] and bot.answered_last is not None, actions


@pytest.mark.parametrize(
    ("said", "strong"),
    [
        ("my neighbour made a complaint about the mast last month, I just want to know my bill", False),
        ("我妈说她上礼拜投诉过你们信号的事，就想问下我这个月话费多少", False),
        ("my wife wants to make a complaint", True),  # no past: a complaint being made now
        ("I want to make a complaint, my neighbour made one last month too", True),
        ("我老公要投诉", True),
        ("我要投诉", True),
    ],
)
def test_a_complaint_somebody_else_once_made_is_told_not_made(said, strong):
    assert bool(read(said, language_of(said)).strong) is strong


def test_a_bill_keyword_still_routes_a_plain_request(flow):  # noqa: F811
    bot = reached(flow, [])
    bot.on_transcript("what's my bill", 0.9)
    assert bot.intent == "balance"


@pytest.mark.parametrize(
    ("said", "intent"),
    [
        ("um yeah so the wifi keeps going in and out since Sunday", "network_fault"),
        ("my landline has this crackle and now I can't ring out", "network_fault"),
        ("I can't seem to get into my account online", "password_reset"),
        ("帮我瞅瞅我这卡里头还剩多少钱", "balance"),
    ],
)
def test_everyday_words_for_a_topic(flow, said, intent):  # noqa: F811
    bot, _ = said_first(flow, said, language_of(said))
    assert bot.intent == intent


@pytest.mark.parametrize("said", ["um, sorry, what am I supposed to say?", "我该说什么"])
def test_asking_what_to_say_gets_the_help(flow, said):  # noqa: F811
    bot, _ = said_first(flow, said, language_of(said))
    assert bot.acted == "help"


def test_nobody_gives_a_damn_is_anger(flow):  # noqa: F811
    said = "you lot have got some nerve, my phone's had no signal for a week and nobody gives a damn"
    bot = reached(flow, [])
    assert reasons(bot.on_transcript(said, 0.9)) == ["sentiment"] and bot.intent == "network_fault"


def test_a_lead_in_about_calling_is_no_question_about_calls(flow):  # noqa: F811
    bot = reached(flow, [])
    actions = bot.on_transcript("hi, yeah, I'm calling about my account", 0.9)
    assert bot.answered_last is None and "international" not in " ".join(texts(actions)).lower()


def test_calling_abroad_is_still_a_question_about_calls(flow):  # noqa: F811
    bot = reached(flow, [])
    bot.on_transcript("how much is it for calling another country", 0.9)
    assert bot.answered_last == "international_calls"


@pytest.mark.parametrize("said", ["nah, different thing today", "Yeah, different thing to me."])
def test_a_different_thing_is_no_to_the_same_issue(flow, said):  # noqa: F811
    bot, _ = start(flow, returning=True)
    assert reasons(bot.on_transcript(said, 0.9)) == [] and bot.slots.get("same_issue") is False


@pytest.mark.parametrize(
    ("said", "marked"),
    [
        ("当然不", "当然不"),
        ("好像不", "好像不"),
        ("先不", "先不"),
        ("暂时不", "暂时不"),
        ("肯定不", "肯定不"),
    ],
)
def test_a_final_no_after_an_adverb_stays_a_no(said, marked):
    assert marked_question(said, "zh") == marked and parse_yes_no(said, "zh") is not True


@pytest.mark.parametrize(
    ("said", "digits"),
    [
        ("it's the one oh four four five six", "104456"),
        ("the one double four five six seven", "144567"),
        ("no, one oh two three four five", "102345"),
    ],
)
def test_one_before_oh_or_double_is_a_digit(said, digits):
    assert parse_digits(said, "en") == digits


@pytest.mark.parametrize(
    "said",
    [
        "they told me last week it was fixed and I want to make a complaint",
        "my husband filed a complaint already and nobody called back",
        "my son and I made a complaint last month and I want to complain again",
        "他们上周说修好了我要投诉",
        "别人都能打通过就我不行我要投诉",
    ],
)
def test_the_callers_own_complaint_beside_other_people_stays_strong(said):
    assert read(said, language_of(said)).strong


@pytest.mark.parametrize(
    ("said", "not_intent"),
    [
        ("money going in and out of my account I don't recognise", "network_fault"),
        ("I need to get into my account to change my address", "password_reset"),
        ("我的合约还剩多少个月", "balance"),
    ],
)
def test_new_words_stay_in_their_place(flow, said, not_intent):  # noqa: F811
    bot, _ = said_first(flow, said, language_of(said))
    assert bot.intent != not_intent


def test_nerve_of_oneself_is_no_anger():
    assert not read("I hope this isn't a nuisance, I've got some nerve calling this late", "en").strong


def test_why_put_as_a_question_is_still_a_fault(flow):  # noqa: F811
    bot = reached(flow, [])
    bot.on_transcript("why is there no 5G signal at my house?", 0.9)
    assert bot.intent == "network_fault" and bot.answered_last is None


@pytest.mark.parametrize(
    ("said", "entry"),
    [
        ("oh that's a shame. What time does customer services close tonight?", "opening_hours"),
        ("sorry it's so loud here, I'm on the train. Can I pay my bill by card?", "pay_bill"),
    ],
)
def test_a_question_after_a_remark_is_answered(flow, said, entry):  # noqa: F811
    bot, _ = said_first(flow, said)
    assert bot.answered_last == entry


@pytest.mark.parametrize(
    ("said", "intent"),
    [
        ("My internet is down. How long will it take to fix?", "network_fault"),
        ("I'm going abroad. Will my phone work?", None),  # roaming, not a SIM replacement
    ],
)
def test_a_last_sentence_does_not_outweigh_the_whole_turn(flow, said, intent):  # noqa: F811
    bot, _ = said_first(flow, said)
    assert bot.intent == intent and bot.answered_last in (None, "roaming")


@pytest.mark.parametrize(
    ("at", "said"),
    [
        (
            ["I want to check my balance", "one two three four five six", "yes"],
            "I'm planning to go abroad next month, does roaming cost extra?",
        ),
        ([], "the engineer was planned for today but nobody came"),
    ],
)
def test_planning_is_no_plan(flow, at, said):  # noqa: F811
    bot = reached(flow, at)
    actions = bot.on_transcript(said, 0.9)
    assert (
        bot.intent != "plan_change"
        and reasons(actions) == []
        and not any("changing your plan" in t for t in texts(actions))
    )


def test_a_plan_is_still_a_plan(flow):  # noqa: F811
    bot = reached(flow, [])
    assert reasons(bot.on_transcript("I'm planning on changing my plan", 0.9)) == ["flow"]


@pytest.mark.parametrize(
    ("said", "asks"),
    [
        ("Please can I be transferred to the health neck.", True),  # "help desk" as tiny.en heard it
        ("I'd like to be transferred please", True),
        ("I don't want to be transferred, just tell me my balance", False),
        ("how long for the money to be transferred back?", False),  # money, not the caller
        ("can my number be transferred to my new phone?", False),
        ("I refuse to be transferred again", False),
        ("why do I always get transferred?", False),
        ("I was transferred three times last week and nobody helped", False),
    ],
)
def test_being_transferred(said, asks):
    assert bool(person.verdict(said, "en")) is asks


@pytest.mark.parametrize(
    ("said", "same"),
    [
        ("yes but there's another thing as well", True),  # and also, not a different issue
        ("yeah, it's not the same as it was, it's even slower", True),
        ("解决了，这次是别的", False),
        ("上次的搞定了，这次是网", False),
        ("另外一件事", False),
        ("是的，而且还有另外一件事", True),
        ("上次说搞定了，结果又断了", True),
    ],
)
def test_more_answers_to_the_same_issue(flow, said, same):  # noqa: F811
    bot, _ = start(flow, returning=True, language=language_of(said))
    bot.on_transcript(said, 0.9)
    assert bot.slots.get("same_issue") is same


@pytest.mark.parametrize(
    "said",
    [
        "The TV box you sent keeps freezing on every channel. How do I turn it off?",
        "我的来电显示不见了。怎么开通？",
    ],
)
def test_a_short_last_question_is_not_searched_alone(flow, said):  # noqa: F811
    bot, _ = said_first(flow, said, language_of(said))
    assert bot.answered_last is None
