"""Turns from a thirteenth probe set (dev-*-mNNN) and the recogniser's versions of dev turns: a request
served a second time, a no that opens a returning caller's new request, "what issue?", an acknowledgement
before a no, team and person words the recogniser bends, and what must not change."""

from __future__ import annotations

import pytest

from ivr.dialogue.sentiment import read
from ivr.dialogue.slots import parse_digits, parse_yes_no
from tests.unit.dialogue_flow.test_flow_callers import flow, reached, start, texts  # noqa: F401 (fixture)
from tests.unit.dialogue_flow.test_flow_new_phrasings import reasons, said_first

BALANCE_GIVEN = ["I want to check my balance", "one two three four five six", "yes"]
TIP_TRIED = ["my internet is not working", "no"]


def test_a_request_is_served_twice_and_the_third_time_goes_to_a_person(flow):  # noqa: F811
    bot = reached(flow, BALANCE_GIVEN)
    again = bot.on_transcript("actually, yes, how much credit have I got left?", 0.9)
    assert reasons(again) == [] and bot.acted == "balance", texts(again)
    for turn in ("one two three four five six", "yes"):
        bot.on_transcript(turn, 0.9)
    assert reasons(bot.on_transcript("what's my balance?", 0.9)) == ["repeated-request"]


@pytest.mark.parametrize(
    ("said", "language", "same", "reason"),
    [
        ("Different problem. My account's been blocked.", "en", False, "sensitive"),
        ("Not this time, no. I've forgotten my password.", "en", False, None),
        ("No, no, that was fixed. Can I speak to someone in billing?", "en", False, "caller-request"),
        ("不是，帮我转人工", "zh", False, "caller-request"),
        # what must not change: a request with no answer before it leaves the question unanswered
        ("I want a refund for my last bill", "en", None, "sensitive"),
        # the reviews' guards: a no that the rest takes back, a wrong bill, told it was fixed
        ("no, it's the same thing, I want an agent", "en", None, "caller-request"),
        ("my bill's wrong again, can I speak to someone", "en", None, "caller-request"),
        ("你们说已经解决了，结果还是不行，给我转人工", "zh", None, "caller-request"),
        ("can I speak to someone, it's not the same thing", "en", None, "caller-request"),
        ("same problem, my internet is still down", "en", True, "flow"),
    ],
)
def test_a_no_before_a_new_request_answers_same_issue(flow, said, language, same, reason):  # noqa: F811
    bot, actions = said_first(flow, said, language, returning=True)
    assert bot.slots.get("same_issue") is same, texts(actions)
    assert reasons(actions) == ([reason] if reason else [])


@pytest.mark.parametrize(
    ("said", "language"),
    [
        ("What issue? I don't remember ringing you before.", "en"),
        ("which issue was that", "en"),
        ("上次什么问题？我不记得打过电话", "zh"),
    ],
)
def test_a_returning_caller_who_does_not_remember_hears_what_it_was(flow, said, language):  # noqa: F811
    bot, actions = said_first(flow, said, language, returning=True)
    assert bot.acted == "help" and reasons(actions) == [], texts(actions)
    assert "Sorry" not in " ".join(texts(actions))


def test_a_first_time_caller_who_never_called_is_heard_for_the_request(flow):  # noqa: F811
    bot, actions = said_first(flow, "I've never called before, I need help with my bill")
    assert bot.acted == "balance", texts(actions)


@pytest.mark.parametrize(
    ("said", "answer"),
    [
        ("Oh right, no, I haven't, I'll give it a go now.", False),  # the acknowledgement before the no
        ("okay, yes", True),
        ("aye", True),
        # what must not change: "right" alone is a yes, a hmm before a question back is thinking
        ("right", True),
        ("okay, no problem", True),  # a yes after the nod: nothing skipped
        ("hmm, which issue was that?", None),
        ("yes, no, I mean", None),
    ],
)
def test_an_acknowledgement_before_the_answer(said, answer):
    assert parse_yes_no(said, "en") is answer


@pytest.mark.parametrize(
    "said", ["Oh right, no, I haven't, I'll give it a go now.", "okay, no problem, I'll try that"]
)
def test_a_plan_to_try_it_after_an_acknowledgement_is_no_technician(flow, said):  # noqa: F811
    bot = reached(flow, TIP_TRIED)
    actions = bot.on_transcript(said, 0.9)
    assert bot.slots.get("wants_technician") is False and reasons(actions) == [], texts(actions)


@pytest.mark.parametrize(
    ("said", "digits"),
    [
        ("账号是两个八，三个五，幺零", "8855510"),
        ("三个六，两个九，一二", "6669912"),
        ("我三个月没交费了", "3"),
    ],  # not a digit after 个,
)
def test_a_chinese_digit_said_so_many_times_over(said, digits):
    assert parse_digits(said, "zh") == digits


@pytest.mark.parametrize(
    ("said", "language", "reason"),
    [
        ("Can I chat to one of your advisors about my internet?", "en", "caller-request"),
        ("Can I get through the billing?", "en", "caller-request"),  # the recogniser dropped "to"
        ("can you put me straight through the billing please", "en", "caller-request"),
        ("I'd like to be connected to cancellation.", "en", "caller-request"),
        ("Hello，can you 帮我转个agent？", "zh", "caller-request"),
        ("能不能找个懂行的人来跟我说说", "zh", "caller-request"),
        # what must not change: being talked through the bill, a fee for cancelling, hours and the bot
        ("can you talk me through the billing", "en", None),
        ("can you get your sales reps to stop calling me", "en", None),
        ("帮我转人工吧再晚一点就没人了", "zh", "caller-request"),  # not the hours question
        ("我想要个magenta色的手机壳", "zh", None),
        ("how much is the fee for cancellation", "en", None),
        ("你们客服一般晚上几点就没人了？", "zh", None),
        ("现在跟我讲话的是电脑还是真人啊？", "zh", None),
    ],
)
def test_teams_and_people_asked_for(flow, said, language, reason):  # noqa: F811
    _, actions = said_first(flow, said, language)
    assert reasons(actions) == ([reason] if reason else []), texts(actions)


@pytest.mark.parametrize(
    ("said", "language", "strong"),
    [
        ("I'm really, really unhappy with the way I've been treated.", "en", True),
        ("third time this week, nothing is fixed, my patients are run out", "en", True),  # the recogniser's
        ("你们能不能干点事啊", "zh", True),
        ("好嬲啊，讲咗几多次都冇人理", "zh", True),
        ("我马上就换运营商，这种服务谁受得了", "zh", True),
        # what must not change: pleased, loyal, a surgery's patients, a porting question
        ("I'm happy with the way I've been treated today, thanks", "en", False),
        ("no that's all, I'll leave you to it, thanks", "en", False),
        ("the patients at my surgery can't get through to us, our line is down", "en", False),
        ("my patients are running late because the texts aren't going through", "en", False),
        ("我能不能干点事情先，等会再打过来", "zh", False),
        ("我冇好嬲，想查下余额", "zh", False),
        ("how do I cancel, I'm switching to another provider", "en", False),
        ("我想换运营商的话号码能带走吗", "zh", False),
    ],
)
def test_strongly_negative_turns(said, language, strong):
    assert bool(read(said, language).strong) is strong


@pytest.mark.parametrize(
    "said", ["My son normally does all this for me. I only want to know if I'm behind with anything."]
)
def test_being_behind_is_the_balance(flow, said):  # noqa: F811
    bot, actions = said_first(flow, said)
    assert bot.acted == "balance", texts(actions)


def test_a_promised_compensation_not_arrived_is_the_refund(flow):  # noqa: F811
    bot, actions = said_first(flow, "之前答应给我的补偿款到现在还没到账", "zh")
    assert bot.acted == "refund" and reasons(actions) == ["sensitive"], texts(actions)


@pytest.mark.parametrize(
    "said",
    [
        "Oh, hello again, no, I wonder how long a refund normally takes?",  # dev-en-l094 as heard
        "hi, no, how long does a refund take?",
    ],
)
def test_a_hello_beside_a_no_and_a_question_keeps_the_no(flow, said):  # noqa: F811
    bot, actions = said_first(flow, said, returning=True)
    assert bot.slots.get("same_issue") is False and reasons(actions) == [], texts(actions)
    assert "10 working days" in " ".join(texts(actions))


@pytest.mark.parametrize(
    ("said", "language"),
    [("上次咩问题？我唔记得打过", "zh"), ("边个问题啊", "zh")],
)
def test_a_cantonese_caller_who_does_not_remember_hears_what_it_was(flow, said, language):  # noqa: F811
    bot, actions = said_first(flow, said, language, returning=True)
    assert bot.acted == "help" and reasons(actions) == [], texts(actions)


# ----- the code review's findings ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("step", "said", "slot"),
    [
        (TIP_TRIED, "no, I want to speak to a real person", "wants_technician"),
        (["my internet is not working"], "no, I just want to speak to a person", "all_devices"),
    ],
)
def test_a_no_before_a_request_for_a_person_answers_only_the_same_issue(flow, step, said, slot):  # noqa: F811
    bot = reached(flow, step)
    actions = bot.on_transcript(said, 0.9)
    assert reasons(actions) == ["caller-request"] and slot not in bot.slots, texts(actions)


@pytest.mark.parametrize(
    "said", ["no, when do I get my refund", "hiya, hello again, no, how long until I get my refund"]
)
def test_a_no_and_a_question_is_never_left_unanswered(flow, said):  # noqa: F811
    _, actions = said_first(flow, said, returning=True)
    spoken = " ".join(texts(actions))
    assert reasons(actions) == ["sensitive"] or "10 working days" in spoken, spoken


@pytest.mark.parametrize(
    ("said", "answer"),
    [
        ("oh right, no, I haven't", False),
        ("um, right, no, it's the same thing", None),  # the nod after a hesitation, then the other answer
        ("right, no, it's the same thing", None),
        ("okay, no, it's something else", False),
    ],
)
def test_a_nod_then_the_questions_own_answer(flow, said, answer):  # noqa: F811
    own = flow.spec.steps["same_issue"].own_answers("en")
    assert parse_yes_no(said, "en", own) is answer


def test_a_hmm_before_which_issue_hears_the_help_without_sorry(flow):  # noqa: F811
    bot, actions = said_first(flow, "hmm, which issue?", returning=True)
    assert bot.acted == "help" and "Sorry" not in " ".join(texts(actions)), texts(actions)


def test_a_caller_who_could_not_get_through_the_bill_asks_for_no_team(flow):  # noqa: F811
    bot, actions = said_first(flow, "I couldn't get through the billing. How much do I owe?")
    assert reasons(actions) == [] and bot.acted == "balance", texts(actions)


@pytest.mark.parametrize(
    ("said", "digits"), [("两个三星手机", "23"), ("十二个八", "128"), ("两个一样的", "2")]
)
def test_n_of_a_digit_only_as_a_digit_of_its_own(said, digits):
    assert parse_digits(said, "zh") == digits
