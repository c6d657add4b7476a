"""Callers as they really talk, at text level: free answers at every step, anger heard at once, repair."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from tokenizers import Tokenizer

from asr.models import bundled_whisper_model
from asr.whisper_decode import hint_tokens
from ivr.bot import CallInfo, Hangup, PreviousCall, Say, Transfer
from ivr.dialogue import catalog
from ivr.dialogue.engine import FlowBot
from ivr.dialogue.registry import FlowRegistry
from tests.unit.dialogue_flow.routers import FixedRouter

DIALPLAN = Path(__file__).resolve().parents[3] / "dialplan"
NOW = datetime(2024, 5, 6, 10, 0, tzinfo=UTC)
OPEN_ISSUE = PreviousCall("old", NOW, "en", "transferred", intent="network_fault", open_issue=True)


@pytest.fixture(scope="module")
def flow():
    return FlowRegistry.load(DIALPLAN).current().flow_for("hotline")


def start(flow, *, returning: bool, language: str = "en") -> tuple[FlowBot, list]:
    history = (PreviousCall("old", NOW, language, "transferred", open_issue=True),) if returning else ()
    bot = FlowBot(flow, router=FixedRouter(), now=lambda: NOW)
    return bot, bot.start(CallInfo("uuid-1", "5551234", None, language, history=history))


def reached(flow, turns, *, language: str = "en") -> FlowBot:
    """A first-time caller's bot after saying `turns` (the way to the step a test is about)."""
    bot, _ = start(flow, returning=False, language=language)
    for turn in turns:
        bot.on_transcript(turn, 0.9)
    return bot


def texts(actions) -> list[str]:
    return [getattr(a, "text", None) or getattr(a, "notice", "") for a in actions]


def transfer_of(actions) -> Transfer:
    assert actions and isinstance(actions[-1], Transfer), texts(actions)
    return actions[-1]


# ----- 1. mixed initiative --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("said", "reason", "queue"),
    [
        ("I want a refund for my last bill.", "sensitive", "billing"),
        ("no, I'd like a refund please", "sensitive", "billing"),
        ("I want to talk to a person", "caller-request", "support"),
    ],
)
def test_the_returning_callers_question_hears_a_request_instead_of_yes_or_no(flow, said, reason, queue):
    bot, greeting = start(flow, returning=True)
    assert "same issue as last time" in texts(greeting)[0]
    transfer = transfer_of(bot.on_transcript(said, 0.9))
    assert (transfer.reason, transfer.queue) == (reason, queue)


def test_a_returning_caller_stating_a_new_fault_is_routed_to_it(flow):
    bot, _ = start(flow, returning=True)
    said = texts(bot.on_transcript("no, my internet has been down since this morning", 0.9))
    assert "all your devices" in said[0]
    assert bot.intent == "network_fault"


@pytest.mark.parametrize(
    ("said", "language", "same"),
    [
        ("it's something else", "en", False),
        ("Yeah, it's something else.", "en", False),  # a leading "yeah" takes the turn, the words answer
        ("not the same one", "en", False),
        ("something different this time", "en", False),
        ("it's the same problem again", "en", True),
        ("no, it's working again now", "en", False),  # "again" is no answer of its own
        ("yes, I was promised a new router", "en", True),
        ("yeah same thing", "en", True),
        ("还是老问题，一直没解决", "zh", True),
        ("是别的问题", "zh", False),
        ("不一样", "zh", False),
    ],
)
def test_the_returning_callers_question_is_answered_by_what_it_asks_about(flow, said, language, same):
    bot, _ = start(flow, returning=True, language=language)
    actions = bot.on_transcript(said, 0.9)
    assert bot.slots.get("same_issue") is same
    if same:
        assert transfer_of(actions).reason == "flow"
    else:
        assert bot.step_name == "main" and not any(isinstance(a, Transfer) for a in actions)


@pytest.mark.parametrize("returning", [False, True])
def test_a_plain_yes_or_no_still_answers(flow, returning):
    bot, _ = start(flow, returning=returning)
    if returning:
        assert transfer_of(bot.on_transcript("yes it's the same thing", 0.9)).reason == "flow"
    else:
        bot.on_transcript("my internet is not working", 0.9)
        assert "restart that device" in texts(bot.on_transcript("no, just my phone", 0.9))[0]


@pytest.mark.parametrize("returning", [False, True])
def test_a_collect_step_hears_a_person_request_and_a_new_intent(flow, returning):
    bot, _ = start(flow, returning=returning)
    if returning:
        bot.on_transcript("no", 0.9)
    assert "account number" in texts(bot.on_transcript("check my bill", 0.9))[0]
    said = texts(bot.on_transcript("actually I forgot my password", 0.9))
    assert "To reset your password" in said[0] and bot.intent == "password_reset"
    assert transfer_of(bot.on_transcript("can I just speak to someone", 0.9)).reason == "caller-request"


def test_numbers_said_several_ways_are_still_the_answer_at_a_collect_step(flow):
    bot, _ = start(flow, returning=False)
    bot.on_transcript("my internet is down", 0.9)
    bot.on_transcript("yes all of them", 0.9)
    assert texts(bot.on_transcript("two oh oh one", 0.9)) == ["Your postcode is 2 0 0 1. Is that right?"]


def test_a_literal_step_hears_only_its_answers(flow):
    steps = dict(flow.spec.steps)
    steps["same_issue"] = steps["same_issue"].model_copy(update={"mixed_initiative": False})
    spec = flow.spec.model_copy(update={"steps": steps})
    literal = type(flow)(spec, flow.file, flow.version)
    bot = FlowBot(literal, router=FixedRouter(), now=lambda: NOW)
    bot.start(CallInfo("uuid-1", "5551234", None, "en", history=(OPEN_ISSUE,)))
    assert bot.grammar() is not None and "yes" in bot.grammar()
    said = bot.on_transcript("no, I want a refund", 0.9)  # "no" answers; the refund waits for the next step
    assert not isinstance(said[-1], Transfer) and "How can I help you?" in texts(said)[-1]


# ----- 2. emotion at once ---------------------------------------------------------------------------


@pytest.mark.parametrize("returning", [False, True])
@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "This is ridiculous. I am really angry. Nothing works and you keep wasting my time."),
        ("en", "I want to make a complaint"),
        ("en", "I want to cancel everything"),
        ("zh", "你们太离谱了，我要投诉"),
        ("zh", "气死我了，全部取消"),
    ],
)
def test_one_strongly_negative_turn_hands_over_now_with_an_apology(flow, returning, language, said):
    bot, _ = start(flow, returning=returning, language=language)
    transfer = transfer_of(bot.on_transcript(said, 0.9))
    assert transfer.reason == "sentiment"
    apology = "I'm sorry about this. Let me get you to someone who can help right away."
    assert transfer.notice.startswith(apology if language == "en" else "非常抱歉")
    mood = transfer.context["sentiment"]
    assert mood["score"] < 0 and mood["words"]
    assert mood["words"][0] in transfer.summary


@pytest.mark.parametrize(
    "said", ["I'm a bit annoyed, my internet is slow", "I'm not angry, I need my balance"]
)
def test_mild_or_negated_negativity_does_not_hand_over(flow, said):
    bot, _ = start(flow, returning=False)
    assert not any(isinstance(a, Transfer) for a in bot.on_transcript(said, 0.9))


# ----- 4. repair ------------------------------------------------------------------------------------


def test_a_near_miss_gets_a_targeted_question_and_yes_routes_it(flow):
    bot, _ = start(flow, returning=False)
    # half understood: as near the balance as an account unlock ("What did my account madlin?" was this
    # example until the semantic matcher read turns without their punctuation: it now reads the balance)
    asked = texts(bot.on_transcript("what's up with my account", 0.6))
    assert asked == ["Is this about your balance or bill, or unlocking your account?"]
    assert "account number" in texts(bot.on_transcript("the balance", 0.9))[0]
    assert bot.intent == "balance"


def test_the_issue_s_near_miss_is_understood_as_the_balance(flow):
    # "what is my account balance", heard as below: read without the recogniser's capital and question mark
    bot, _ = start(flow, returning=False)
    assert texts(bot.on_transcript("What did my account madlin?", 0.6)) == [
        "Please say or key in your account number."
    ]
    assert bot.intent == "balance"


def test_a_single_near_miss_is_confirmed(flow):
    bot, _ = start(flow, returning=False)
    asked = texts(bot.on_transcript("the money", 0.6))
    assert asked == ["You'd like help with a refund, is that right?"]
    assert transfer_of(bot.on_transcript("yes please", 0.9)).reason == "sensitive"


def test_a_rejected_guess_apologises_and_rephrases(flow):
    bot, _ = start(flow, returning=False)
    bot.on_transcript("the money", 0.6)
    said = texts(bot.on_transcript("no", 0.9))
    assert said[0] == "Sorry about that." and said[1] == "Sorry, I didn't understand that."


@pytest.mark.parametrize("returning", [False, True])
def test_re_prompts_escalate_and_never_repeat_a_sentence(flow, returning):
    bot, greeting = start(flow, returning=returning)
    if returning:
        bot.on_transcript("no", 0.9)
    heard: list[list[str]] = [texts(greeting)]
    for said in ("purple elephants", "banana telescope"):
        heard.append(texts(bot.on_transcript(said, 0.5)))
    assert heard[1] != heard[2] and not set(heard[1]) & set(heard[2])
    assert "For example" in heard[1][1] and "Press 1" in heard[2][1]  # examples, then keypad choices
    assert transfer_of(bot.on_transcript("zebra crossing", 0.5)).reason == "no-match"  # then a person


def test_a_collect_step_escalates_to_the_keypad(flow):
    bot, _ = start(flow, returning=False)
    bot.on_transcript("check my bill", 0.9)
    first = texts(bot.on_transcript("I'm not sure", 0.9))
    second = texts(bot.on_transcript("hmm", 0.9))
    assert "six to ten digits" in first[1] and "keypad" in second[1]


def test_keypad_choices_name_the_callers_topic(flow):
    bot, _ = start(flow, returning=False)
    assert "account number" in texts(bot.on_dtmf("1"))[0] and bot.intent == "balance"


def test_low_confidence_is_confirmed_when_the_flow_asks_for_it(flow):
    policy = flow.spec.policy.model_copy(update={"confirm_below_confidence": 0.5})
    spec = flow.spec.model_copy(update={"policy": policy})
    cautious = type(flow)(spec, flow.file, flow.version)
    bot = FlowBot(cautious, router=FixedRouter(), now=lambda: NOW)
    bot.start(CallInfo("uuid-1", None, None, "en"))
    assert texts(bot.on_transcript("my internet is not working", 0.3)) == [
        "You'd like help with a network problem, is that right?"
    ]
    assert "all your devices" in texts(bot.on_transcript("yes", 0.9))[0]


# ----- 3. recogniser hints --------------------------------------------------------------------------


def test_hints_put_the_steps_answers_first_then_the_flows_words(flow):
    bot, _ = start(flow, returning=True)
    hints = bot.hints()
    assert hints[:2] == ["yes", "yeah"] and "balance" in hints and "refund" in hints
    assert len(hints) <= 40
    bot.on_transcript("no", 0.9)
    main = bot.hints()
    assert "balance" in main and "what are your opening hours" in main
    assert all(isinstance(a, Say) for a in bot.on_transcript("purple", 0.5))
    bot.on_transcript("check my bill", 0.9)
    assert bot.hints()[:3] == ["zero", "oh", "one"] and "refund" not in bot.hints()  # digits stay digits


def test_hints_expect_a_person_and_anger_before_the_topics(flow):
    bot, _ = start(flow, returning=True)  # the yes/no question, where the token budget bites first
    hints = bot.hints()
    order = [hints.index(w) for w in ("no", "agent", "angry", "ridiculous", "balance")]
    assert order == sorted(order), hints
    tokenizer = Tokenizer.from_file(str(bundled_whisper_model() / "tokenizer.json"))
    prompt = tokenizer.decode(
        hint_tokens(lambda text: tokenizer.encode(text, add_special_tokens=False).ids, hints)
    )
    assert "agent" in prompt and "angry" in prompt and "ridiculous" in prompt, prompt  # all within the budget


def test_two_equally_likely_intents_are_asked_about_not_guessed(flow):
    # "account problem" fits unlocking and the balance about as well (by words and by meaning): a sensitive
    # hand-off on that guess would send the caller to the wrong desk.
    bot, _ = start(flow, returning=False)
    assert texts(bot.on_transcript("account problem", 0.9)) == [
        "Is this about your balance or bill, or unlocking your account?"
    ]
    assert "account number" in texts(bot.on_transcript("My balance.", 0.9))[0]


def test_naming_the_topic_again_at_its_collect_step_re_prompts(flow):
    bot, _ = start(flow, returning=False)
    bot.on_transcript("what is my balance", 0.9)
    said = bot.on_transcript("my balance.", 0.9)
    assert not isinstance(said[-1], Transfer) and "six to ten digits" in texts(said)[1]


@pytest.mark.parametrize(
    ("language", "said", "all_devices"),
    [
        ("en", "just the laptop, the phones are fine", False),
        ("en", "every one of them", True),
        ("zh", "就电视不行", False),
        ("zh", "家里每台都上不去", True),
        ("en", "both", True),
        ("en", "both of them are dead", True),
        ("zh", "电脑也不行", True),  # "also not working": all of them
    ],
)
def test_a_yes_no_step_reads_its_own_answer_words(flow, language, said, all_devices):
    bot, _ = start(flow, returning=False, language=language)
    bot.on_transcript("my internet is not working" if language == "en" else "网络坏了", 0.9)
    assert bot.step_name == "network"
    bot.on_transcript(said, 0.9)
    assert bot.slots["all_devices"] is all_devices


@pytest.mark.parametrize(
    ("said", "reason"),
    [
        ("honestly, worst customer service I've ever had", "sentiment"),  # a person word, no request
        ("this is ridiculous, get me a human now", "caller-request"),
    ],  # angry and asking: the request
)
def test_a_person_named_only_in_a_complaint_is_the_complaint(flow, said, reason):
    bot, _ = start(flow, returning=False)
    assert transfer_of(bot.on_transcript(said, 0.9)).reason == reason


def test_a_vague_match_by_meaning_does_not_take_a_caller_off_the_question_asked(flow):
    bot, _ = start(flow, returning=False)
    bot.on_transcript("I want to check my balance", 0.9)
    assert bot.step_name == "balance"  # asked for the account number
    actions = bot.on_transcript("bear with me, my husband has the account", 0.9)
    assert not any(isinstance(a, Transfer) for a in actions), texts(actions)  # not "account on hold"
    assert bot.step_name == "balance"
    assert isinstance(bot.on_transcript("actually my account has been suspended", 0.9)[-1], Transfer)


@pytest.mark.parametrize(
    ("language", "to_step", "wait", "answer"),
    [
        (
            "en",
            "I want to check my balance",
            "hang on, my husband has the account number",
            "one two three four five six",
        ),
        ("zh", "我要查询话费", "稍等，我找一下账号", "一二三四五六"),
    ],
)
def test_a_caller_who_asks_for_a_moment_at_a_collect_step_is_given_it(flow, language, to_step, wait, answer):
    bot, _ = start(flow, returning=False, language=language)
    bot.on_transcript(to_step, 0.9)
    assert bot.step_name == "balance"
    for _ in range(4):  # never a miss, however often: the caller is looking for the number
        actions = bot.on_transcript(wait, 0.9)
        assert [type(a) for a in actions] == [Say] and bot.step_name == "balance", texts(actions)
    assert "take your time" in texts(actions)[0] or "慢慢来" in texts(actions)[0]
    assert "123456" in texts(bot.on_transcript(answer, 0.9))[0].replace(" ", "")  # then read back


def test_a_clear_request_or_a_repeat_still_wins_over_a_wait(flow):
    bot, _ = start(flow, returning=False)
    bot.on_transcript("I want to check my balance", 0.9)
    assert bot.step_name == "balance"
    bot.on_transcript("hang on, I forgot my password", 0.9)
    assert bot.step_name == "password"  # its keyword: the caller has a new request
    assert "account number" in texts(bot.on_transcript("hang on, can you repeat that", 0.9))[0]
    bot.on_transcript("I want to check my balance", 0.9)
    reply = texts(bot.on_transcript("wait a minute, I actually want to cancel my contract", 0.9))
    assert "take your time" not in reply[0]  # not about the account number: a new request


@pytest.mark.parametrize(
    ("language", "to_network", "answer"),
    [
        ("en", "my internet is not working", "none of them work"),
        ("zh", "网络坏了", "都不行，手机电脑都上不了"),
    ],
)
def test_none_of_my_devices_work_is_a_yes_to_all_your_devices(flow, language, to_network, answer):
    bot, _ = start(flow, returning=False, language=language)
    bot.on_transcript(to_network, 0.9)
    assert bot.step_name == "network"
    bot.on_transcript(answer, 0.9)
    assert bot.slots["all_devices"] is True


@pytest.mark.parametrize("said", ["I can't find my account number", "sorry, I don't have it to hand"])
def test_a_caller_without_the_answer_is_told_what_they_can_do_and_stays(flow, said):
    bot, _ = start(flow, returning=False)
    bot.on_transcript("I want to check my balance", 0.9)
    actions = bot.on_transcript(said, 0.9)
    assert bot.step_name == "balance" and "say agent" in texts(actions)[0], texts(actions)


@pytest.mark.parametrize(
    ("language", "to_more", "said"),
    [
        (
            "en",
            ["I want to check my balance", "one two three four five six", "yes"],
            "no thanks, but I do have another question",
        ),
        (
            "en",
            ["I want to check my balance", "one two three four five six", "yes"],
            "that's all, but actually",
        ),
        ("zh", ["我要查询话费", "一二三四五六", "对"], "没有了，不过我还有个问题"),
    ],
)
def test_a_goodbye_followed_by_but_does_not_end_the_call(flow, language, to_more, said):
    bot, _ = start(flow, returning=False, language=language)
    for turn in to_more:
        bot.on_transcript(turn, 0.9)
    assert bot.step_name == "more"
    assert not any(isinstance(a, Hangup) for a in bot.on_transcript(said, 0.9))  # the caller goes on


TO_MORE = {
    "en": ["I want to check my balance", "one two three four five six", "yes"],
    "zh": ["我要查询话费", "一二三四五六", "对"],
}


def at_more(flow, language: str) -> FlowBot:
    bot, _ = start(flow, returning=False, language=language)
    for turn in TO_MORE[language]:
        bot.on_transcript(turn, 0.9)
    assert bot.step_name == "more"
    return bot


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "one more thing"),
        ("en", "no, just one more thing"),
        ("en", "yes please"),
        ("en", "there is one more thing actually"),
        ("zh", "还有一个问题"),
        ("zh", "是的"),
    ],
)
def test_going_on_at_anything_else_is_asked_what_else(flow, language, said):
    bot = at_more(flow, language)
    actions = bot.on_transcript(said, 0.9)
    assert not any(isinstance(a, Hangup) for a in actions)
    assert texts(actions) == [catalog.BUILTIN_MESSAGES["go_on"][language]]


@pytest.mark.parametrize(
    ("language", "said", "intent"),
    [
        ("en", "one more thing, my password doesn't work", "password_reset"),
        ("zh", "还有一个问题，我想查话费", "balance"),
    ],
)
def test_what_follows_one_more_thing_is_the_next_request(flow, language, said, intent):
    bot = at_more(flow, language)
    bot.on_transcript(said, 0.9)
    assert bot.intent == intent


def test_also_inside_a_request_at_anything_else_keeps_the_whole_request(flow):
    bot = at_more(flow, "en")
    actions = bot.on_transcript("my password also doesn't work", 0.9)
    assert bot.intent == "password_reset" and catalog.BUILTIN_MESSAGES["go_on"]["en"] not in texts(actions)


@pytest.mark.parametrize("said", ["yeah I'm good", "okay", "fine"])
def test_an_acknowledgement_at_anything_else_is_not_taken_for_more(flow, said):
    assert catalog.BUILTIN_MESSAGES["go_on"]["en"] not in texts(at_more(flow, "en").on_transcript(said, 0.9))


@pytest.mark.parametrize(
    "said",
    [
        "no thanks",
        "that's all",
        "no, nothing else",
        "right, cheerio then",
        "ta-ra",
        "nothing else, I do appreciate your help",
        "no, I think that's all also",
    ],
)
def test_goodbyes_at_anything_else_still_end_the_call(flow, said):
    assert any(isinstance(a, Hangup) for a in at_more(flow, "en").on_transcript(said, 0.9))


@pytest.mark.parametrize(
    ("language", "said", "intent"),
    [
        ("en", "why has my bill gone up by twenty quid", "billing_dispute"),  # the question's word order
        ("en", "could you tell me if I'm behind on my payments", "balance"),
        ("zh", "账单上有一笔我不认识的费用", "billing_dispute"),
        ("zh", "你们乱扣我的钱", "billing_dispute"),
        # "bill" said only inside the dispute's "bill doubled": balance may not win by meaning
        ("en", "why has my bill doubled", "billing_dispute"),
        ("en", "I just wanted to find out what I've got left to pay this month", "balance"),
    ],
)
def test_the_hotline_s_words_for_amounts_owed_and_disputed(flow, language, said, intent):
    bot, _ = start(flow, returning=False, language=language)
    bot.on_transcript(said, 0.9)
    assert bot.intent == intent


def test_that_s_it_confirms_a_read_back_and_still_ends_the_call_at_anything_else(flow):
    bot, _ = start(flow, returning=False)
    bot.on_transcript("I want to check my balance", 0.9)
    bot.on_transcript("one two three four five six", 0.9)
    bot.on_transcript("that's it", 0.9)  # to "I heard 123456. Is that right?"
    assert bot.slots["account"] == "123456" and bot.step_name == "more"
    assert any(isinstance(a, Hangup) for a in bot.on_transcript("that's it", 0.9))


def test_a_strongly_negative_turn_records_no_global_intent(flow):
    bot, _ = start(flow, returning=False)
    actions = bot.on_transcript("why do I have to repeat myself every time, it's pathetic", 0.9)
    assert transfer_of(actions).reason == "sentiment" and bot.acted is None


@pytest.mark.parametrize(
    ("said", "intent", "queue"),
    [
        ("I want to talk to someone about my bill", "balance", "billing"),
        ("can I speak to someone about my internet", "network_fault", "technical"),
        ("nobody is helping me, get me a person", None, "support"),  # near "nobody can call me" by meaning
        ("agent", None, "support"),  # no topic: the default team
        ("can I talk to someone about the settings", None, "support"),  # near a topic by meaning only
    ],
)
def test_a_request_for_a_person_about_a_topic_goes_to_its_team(flow, said, intent, queue):
    bot, _ = start(flow, returning=False)
    transfer = transfer_of(bot.on_transcript(said, 0.9))
    assert (transfer.reason, transfer.queue, bot.intent) == ("caller-request", queue, intent)


@pytest.mark.parametrize(
    ("language", "said", "queue"),
    [
        ("en", "put me through to billing", "billing"),
        ("en", "can I get through to billing", "billing"),  # "get" alone is no request: the team makes it one
        ("en", "I need the sales team", "sales"),
        ("en", "could you put me onto the technical people please", "technical"),
        ("en", "billing department please", "billing"),
        ("en", "can I speak to someone in billing", "billing"),  # a person and the team named beside
        ("en", "I'd like to be connected to the help desk", "support"),
        ("zh", "帮我转技术部", "technical"),
        ("en", "put me through to billing, tech support sent me", "billing"),  # the team asked for
        ("en", "customer service gave me this number, I need to speak to someone in billing", "billing"),
        ("en", "can I speak to a manager, the sales people lied to me", "support"),  # a complaint
        ("en", "I want to speak to someone about my bill not sales", "billing"),
        ("en", "can I talk to an engineer", "technical"),
    ],
)
def test_a_request_that_names_a_department_goes_to_its_team(flow, language, said, queue):
    bot, _ = start(flow, returning=False, language=language)
    transfer = transfer_of(bot.on_transcript(said, 0.9))
    assert (transfer.reason, transfer.queue) == ("caller-request", queue)


@pytest.mark.parametrize(
    "said",
    [
        "I need billing information",  # a team word that is not a team
        "my billing is wrong",
        "I got a letter from your billing department",  # a team mentioned
        "I spoke to billing yesterday and they said I was owed money",
        "how do I get through to my voicemail",
        "I need help with billing",  # a topic for the intents
        "please send it to the billing address",  # a thing of the team's
        "I can't get to the accounts page",
        "I moved house, I need to update the address with billing",
    ],
)
def test_a_department_mentioned_without_a_request_is_not_one(flow, said):
    bot, _ = start(flow, returning=False)
    actions = bot.on_transcript(said, 0.9)
    assert not any(isinstance(a, Transfer) and a.reason == "caller-request" for a in actions), texts(actions)


@pytest.mark.parametrize(
    ("language", "path", "said", "slot", "value"),
    [
        (
            "en",
            ["I want my balance", "one two three four five six"],
            "no, it's one two three four five seven",
            "account",
            "123457",
        ),
        (
            "en",
            ["my internet is down", "yes", "six two eight zero"],
            "no, it's six two eight one",
            "postcode",
            "6281",
        ),
        ("zh", ["查询话费", "一二三四五六"], "不对，是一二三四五七", "account", "123457"),
        # a part said again: the rest stays as read back
        (
            "en",
            ["I want my balance", "one two three four five six"],
            "no, the last bit is six eight",
            "account",
            "123468",
        ),
        (
            "en",
            ["I want my balance", "one two three four five six"],
            "the first three are one two four",
            "account",
            "124456",
        ),
        ("zh", ["查询话费", "一二三四五六"], "不对，最后两位是六八", "account", "123468"),
        ("zh", ["查询话费", "一二三四五六"], "开头是九九", "account", "993456"),  # its 是 is no yes
    ],
)
def test_a_new_number_said_to_a_read_back_is_read_back_in_its_place(flow, language, path, said, slot, value):
    bot, _ = start(flow, returning=False, language=language)
    for turn in path:
        bot.on_transcript(turn, 0.9)
    spoken = " ".join(texts(bot.on_transcript(said, 0.9)))
    assert " ".join(value) in spoken or value in spoken, spoken  # read back, not asked for again
    bot.on_transcript("对" if language == "zh" else "yes", 0.9)
    assert bot.slots[slot] == value


def test_no_to_a_read_back_without_a_new_number_asks_again(flow):
    bot, _ = start(flow, returning=False)
    for turn in ["I want my balance", "one two three four five six"]:
        bot.on_transcript(turn, 0.9)
    spoken = " ".join(texts(bot.on_transcript("no, one two three four five six", 0.9)))
    assert "account number" in spoken and "account" not in bot.slots  # the same number: a plain no


@pytest.mark.parametrize(
    ("language", "question", "then", "reason"),
    [
        ("en", "how long does a refund take", "okay, well I'd like to ask for one then", "sensitive"),
        ("zh", "退款需要多长时间", "那我要申请一个", "sensitive"),
        ("en", "how do I buy more data", "can you do that for me", "flow"),  # the plan change goes to sales
    ],
)
def test_wanting_what_an_answer_told_of_goes_to_its_intent(flow, language, question, then, reason):
    bot, _ = start(flow, returning=False, language=language)
    bot.on_transcript(question, 0.9)
    assert transfer_of(bot.on_transcript(then, 0.9)).reason == reason


def test_an_answer_is_followed_by_anything_else_where_no_ends_the_call(flow):
    bot, _ = start(flow, returning=False)
    bot.on_transcript("how long does a refund take", 0.9)
    assert any(isinstance(a, Hangup) for a in bot.on_transcript("no thanks", 0.9))


def test_pointing_back_counts_only_just_after_the_answer(flow):
    bot, _ = start(flow, returning=False)
    bot.on_transcript("how long does a refund take", 0.9)
    bot.on_transcript("what are your opening hours", 0.9)  # another answer since: no refund to point to
    actions = bot.on_transcript("okay, I'd like one then", 0.9)
    assert not any(isinstance(a, Transfer) and a.reason == "sensitive" for a in actions), texts(actions)


@pytest.mark.parametrize("said", ["yeah I'm good", "I'm fine thanks", "nah you're alright"])
def test_saying_no_more_in_other_words_ends_the_call_at_anything_else(flow, said):
    bot, _ = start(flow, returning=False)
    bot.on_transcript("how long does a refund take", 0.9)  # answered, then "anything else?"
    assert any(isinstance(a, Hangup) for a in bot.on_transcript(said, 0.9))


@pytest.mark.parametrize(("language", "said"), [("en", "hi there"), ("en", "hello?"), ("zh", "喂，你好")])
def test_a_greeting_alone_gets_hello_and_the_question_again_and_ends_nothing(flow, language, said):
    bot, _ = start(flow, returning=False, language=language)
    spoken = texts(bot.on_transcript(said, 0.9))
    assert spoken[0] in ("Hello.", "您好。") and bot.policy.no_match == 0
    bot.on_transcript("退款需要多长时间" if language == "zh" else "how long does a refund take", 0.9)
    assert not any(isinstance(a, Hangup) for a in bot.on_transcript(said, 0.9))  # at "anything else?"


@pytest.mark.parametrize(("language", "said"), [("en", "I'm not happy"), ("en", "this is annoying")])
def test_a_mild_complaint_that_names_nothing_gets_sorry_not_a_guess(flow, language, said):
    bot, _ = start(flow, returning=False, language=language)
    spoken = texts(bot.on_transcript(said, 0.9))
    assert (
        spoken[0] == "I'm sorry to hear that." and bot.pending is None
    )  # no "network problem, is that right?"
    assert texts(bot.on_transcript(said, 0.9))[0] != "I'm sorry to hear that."  # never twice in a row


def test_a_collect_step_asks_about_no_other_half_heard_topic(flow):
    # "bill" at the account number is no wrong charge: a question about one let "okay, 12345678" hand over
    bot, _ = start(flow, returning=False)
    bot.on_transcript("I want my balance", 0.9)
    bot.on_transcript("it's on my bill somewhere... one sec", 0.9)
    assert bot.pending is None
    spoken = texts(bot.on_transcript("okay so it's one two three four five six seven eight", 0.9))
    assert spoken == ["I heard 1 2 3 4 5 6 7 8. Is that right?"]


def test_the_first_miss_is_not_called_a_second_one(flow):
    bot, _ = start(flow, returning=False)
    for turn in ["my internet's down", "yes, all"]:
        bot.on_transcript(turn, 0.9)
    first = texts(bot.on_transcript("what? the blue one or the green one?", 0.9))
    assert first[0] == "Sorry, I didn't understand that."
    assert texts(bot.on_transcript("hmm", 0.9))[0] == "I'm still not sure what you need."


def test_a_greeting_is_no_yes_to_a_yes_no_question(flow):
    bot, _ = start(flow, returning=True, language="zh")
    assert texts(bot.on_transcript("你好", 0.9))[0] == "您好。"  # not 好, a yes to "the same issue?"
    assert "same_issue" not in bot.slots


def test_repeat_after_an_answer_repeats_the_answer(flow):
    bot, _ = start(flow, returning=False)
    answer = texts(bot.on_transcript("how do I set up voicemail", 0.9))[0]
    assert answer in texts(bot.on_transcript("sorry, what was the number again?", 0.9))


@pytest.mark.parametrize("said", ["okay I'll try that, thanks", "ok will do. cheers"])
def test_an_acknowledged_answer_at_anything_else_ends_the_call(flow, said):
    bot, _ = start(flow, returning=False)
    bot.on_transcript("how do I set up voicemail", 0.9)
    assert any(isinstance(a, Hangup) for a in bot.on_transcript(said, 0.9))


def test_silence_to_anything_else_ends_the_call_instead_of_a_transfer(flow):
    bot, _ = start(flow, returning=False)
    bot.on_transcript("how do I set up voicemail", 0.9)
    assert not any(isinstance(a, Hangup | Transfer) for a in bot.on_no_input())  # asked again first
    assert any(isinstance(a, Hangup) for a in bot.on_no_input())


def test_a_caller_still_without_the_answer_is_handed_over_not_told_the_same_again(flow):
    bot, _ = start(flow, returning=False)
    bot.on_transcript("I forgot my password", 0.9)
    assert "found it" in texts(bot.on_transcript("I don't have my account number", 0.9))[0]
    assert transfer_of(bot.on_transcript("I don't have it", 0.9)).reason == "no-match"


def test_a_locked_account_goes_to_its_own_team_not_to_billing(flow):
    bot, _ = start(flow, returning=False)
    transfer = transfer_of(
        bot.on_transcript("I'm locked out of my account, wrong password too many times", 0.9)
    )
    assert (transfer.reason, transfer.queue) == ("sensitive", "support")


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "hello? yes"),
        ("en", "hi, sure"),
        ("zh", "喂，是的"),
        ("en", "okay, all of them"),  # an acknowledgement before the answer in the step's own words
        ("en", "alright, both of them"),
    ],
)
def test_a_greeting_or_an_acknowledgement_with_a_yes_is_the_yes(flow, language, said):
    bot, _ = start(flow, returning=False, language=language)
    bot.on_transcript("网络不好" if language == "zh" else "my internet is down", 0.9)
    bot.on_transcript(said, 0.9)
    assert bot.slots["all_devices"] is True


def test_a_greeting_at_a_read_back_hears_the_read_back_again(flow):
    bot, _ = start(flow, returning=False)
    bot.on_transcript("check my balance", 0.9)
    bot.on_transcript("123456", 0.9)
    assert texts(bot.on_transcript("hello?", 0.9)) == ["Hello.", "I heard 1 2 3 4 5 6. Is that right?"]


@pytest.mark.parametrize(("language", "said"), [("en", "hello? yes"), ("zh", "喂，是的")])
def test_a_greeting_with_a_yes_at_anything_else_goes_on(flow, language, said):
    bot, _ = start(flow, returning=False, language=language)
    bot.on_transcript("退款需要多长时间" if language == "zh" else "how long does a refund take", 0.9)
    actions = bot.on_transcript(said, 0.9)
    assert not any(isinstance(a, Hangup) for a in actions) and bot.step_name == "more"


def test_still_not_working_is_the_same_issue(flow):
    bot, _ = start(flow, returning=True)
    bot.on_transcript("still not working", 0.9)
    assert bot.slots["same_issue"] is True


@pytest.mark.parametrize(
    "said", ["my bill seems too high this month", "my bill is too high, can you explain"]
)
def test_a_bill_too_high_is_a_dispute(flow, said):
    bot, _ = start(flow, returning=False)
    bot.on_transcript(said, 0.9)
    assert bot.intent == "billing_dispute"


def test_a_caller_handed_over_after_misses_who_sounded_upset_hears_an_apology(flow):
    bot, _ = start(flow, returning=False)
    for turn in ["I forgot my password", "ugh", "this is so annoying"]:
        bot.on_transcript(turn, 0.9)
    transfer = transfer_of(bot.on_transcript("why is this so complicated", 0.9))
    assert transfer.reason == "no-match" and transfer.notice.startswith("I'm sorry about this.")
    calm, _ = start(flow, returning=False)
    for turn in ["blah", "blah blah"]:
        calm.on_transcript(turn, 0.9)
    assert transfer_of(calm.on_transcript("foo", 0.9)).notice.startswith("To help you better")


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "oh sorry, I think I dialled the wrong number"),
        ("en", "sorry, wrong number"),
        ("zh", "不好意思，打错了"),
    ],
)
def test_a_caller_who_rang_by_mistake_is_let_go(flow, language, said):
    bot, _ = start(flow, returning=False, language=language)
    assert any(isinstance(a, Hangup) for a in bot.on_transcript(said, 0.9))


@pytest.mark.parametrize(
    ("path", "said"),
    [
        ([], "my daughter dialled the wrong number and it cost me a fortune"),  # more than a mistake
        (["check my balance", "123"], "sorry wrong number"),  # correcting the digits
    ],
)
def test_wrong_number_said_of_something_else_keeps_the_call(flow, path, said):
    bot, _ = start(flow, returning=False)
    for turn in path:
        bot.on_transcript(turn, 0.9)
    assert not any(isinstance(a, Hangup) for a in bot.on_transcript(said, 0.9))


def test_help_asked_again_at_once_gives_the_keypad_choices_not_the_same_words(flow):
    bot, _ = start(flow, returning=False)
    first = texts(bot.on_transcript("what are my options?", 0.9))
    second = texts(bot.on_transcript("what can I say?", 0.9))
    assert first[0].startswith("For example") and second[0].startswith("You can also use your keypad")


def test_a_fault_described_is_no_reason_to_apologise_at_a_silent_hand_over(flow):
    bot, _ = start(flow, returning=False)
    bot.on_transcript("my internet is not working", 0.9)
    bot.on_no_input()
    assert transfer_of(bot.on_no_input()).notice.startswith("To help you better")


@pytest.mark.parametrize(
    ("language", "said"), [("en", "okay"), ("en", "okay, thanks, I'll check"), ("zh", "好的")]
)
def test_an_acknowledgement_is_no_answer_to_a_question_of_fact(flow, language, said):
    bot, _ = start(flow, returning=False, language=language)
    bot.on_transcript("网络不好" if language == "zh" else "my internet is down", 0.9)
    bot.on_transcript(said, 0.9)
    assert "all_devices" not in bot.slots


def test_an_acknowledgement_still_confirms_a_read_back(flow):
    bot, _ = start(flow, returning=False)
    bot.on_transcript("check my balance", 0.9)
    bot.on_transcript("123456", 0.9)
    bot.on_transcript("okay", 0.9)
    assert bot.slots["account"] == "123456"


def test_digits_after_a_request_for_a_moment_are_a_piece(flow):
    bot, _ = start(flow, returning=False)
    bot.on_transcript("check my balance", 0.9)
    assert texts(bot.on_transcript("sure, hang on... it's 4 5 6", 0.9)) == ["Go on."]
    assert texts(bot.on_transcript("7 8 9", 0.9)) == ["I heard 4 5 6 7 8 9. Is that right?"]


@pytest.mark.parametrize(("said", "queue"), [("我要找财务", "billing"), ("转销售", "sales")])
def test_a_short_chinese_team_name_counts_right_after_a_request_verb(flow, said, queue):
    bot, _ = start(flow, returning=False, language="zh")
    assert transfer_of(bot.on_transcript(said, 0.9)).queue == queue


@pytest.mark.parametrize("said", ["我有个技术问题", "我的话费不对，和销售说的不一样"])
def test_a_short_chinese_team_name_without_a_request_is_a_topic(flow, said):
    bot, _ = start(flow, returning=False, language="zh")
    actions = bot.on_transcript(said, 0.9)
    assert not any(isinstance(a, Transfer) and a.reason == "caller-request" for a in actions)


@pytest.mark.parametrize("said", ["好的", "好的，我试试，谢谢"])
def test_a_chinese_acknowledgement_at_anything_else_ends_the_call(flow, said):
    bot, _ = start(flow, returning=False, language="zh")
    bot.on_transcript("退款需要多长时间", 0.9)
    assert any(isinstance(a, Hangup) for a in bot.on_transcript(said, 0.9))


def test_keys_pressed_without_hash_then_a_pause_are_the_number(flow):
    bot, _ = start(flow, returning=False)
    bot.on_transcript("check my balance", 0.9)
    for key in "123456":
        bot.on_dtmf(key)
    assert texts(bot.on_no_input()) == ["I heard 1 2 3 4 5 6. Is that right?"]


def test_keys_pressed_before_speaking_are_not_joined_to_later_keys(flow):
    bot, _ = start(flow, returning=False)
    bot.on_transcript("check my balance", 0.9)
    for key in "12":
        bot.on_dtmf(key)
    bot.on_transcript("sorry", 0.9)
    for key in "654321#":
        bot.on_dtmf(key)
    assert bot.pending.value == "654321"


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "where do I find my account number?"),
        ("en", "where would I find that?"),
        ("en", "how do I find it"),
        ("zh", "账号在哪里看？"),
        ("zh", "账号在哪儿看啊"),
    ],
)
def test_where_to_find_the_account_number_is_told_without_a_miss(flow, language, said):
    bot, _ = start(flow, returning=False, language=language)
    bot.on_transcript("查话费" if language == "zh" else "check my balance", 0.9)
    spoken = texts(bot.on_transcript(said, 0.9))
    assert len(spoken) == 1 and ("top of every bill" in spoken[0] or "账单的顶部" in spoken[0]), spoken
    assert bot.policy.no_match == 0


@pytest.mark.parametrize("said", ["where can I find my bill", "where is my nearest shop"])
def test_where_at_the_open_question_is_a_question_not_an_aside(flow, said):
    bot, _ = start(flow, returning=False)
    assert "top of every bill" not in " ".join(texts(bot.on_transcript(said, 0.9)))


def test_nought_is_a_zero_in_a_number(flow):
    bot, _ = start(flow, returning=False)
    bot.on_transcript("check my balance", 0.9)
    bot.on_transcript("nought one two three four five six", 0.9)
    assert bot.pending.value == "0123456"


@pytest.mark.parametrize("said", ["come again?", "can you say that again please", "what was that again?"])
def test_asking_to_hear_the_answer_again_repeats_it(flow, said):
    bot, _ = start(flow, returning=False)
    answer = texts(bot.on_transcript("how do I set up voicemail", 0.9))[0]
    assert answer in texts(bot.on_transcript(said, 0.9))


@pytest.mark.parametrize(
    ("said", "intent"),
    [("my internet is down again", "network_fault"), ("what's my balance again", "balance")],
)
def test_again_in_a_request_is_no_request_to_repeat(flow, said, intent):
    bot, _ = start(flow, returning=False)
    bot.on_transcript(said, 0.9)
    assert bot.intent == intent


@pytest.mark.parametrize(
    ("language", "asked", "said"),
    [
        ("en", "what time do your shops close?", "no, that's not what I asked"),
        ("en", "what time do your shops close?", "no, I meant the shops"),
        ("zh", "你们几点上班", "不是，我问的是营业厅"),
    ],
)
def test_no_that_is_not_what_i_asked_is_no_goodbye(flow, language, asked, said):
    bot, _ = start(flow, returning=False, language=language)
    bot.on_transcript(asked, 0.9)
    actions = bot.on_transcript(said, 0.9)
    assert not any(isinstance(a, Hangup | Transfer) for a in actions), texts(actions)
    assert bot.policy.no_match == 1  # the bot did not serve the caller: a miss, so that it ends in a person


@pytest.mark.parametrize(("said", "ends"), [("no thanks", True), ("no, I meant my bill is wrong", False)])
def test_a_plain_no_still_ends_and_a_topic_after_no_is_heard(flow, said, ends):
    bot, _ = start(flow, returning=False)
    bot.on_transcript("what are your opening hours", 0.9)
    actions = bot.on_transcript(said, 0.9)
    assert isinstance(actions[-1], Hangup) is ends, texts(actions)


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "um, actually never mind, thanks"),
        ("en", "no, I'm fine, I don't need anything"),
        ("en", "it's fine now, it's working now, thanks"),
        ("zh", "没事了，谢谢"),
        ("zh", "不用了"),
    ],
)
def test_a_caller_who_needs_nothing_after_all_is_let_go(flow, language, said):
    bot, _ = start(flow, returning=False, language=language)
    assert isinstance(bot.on_transcript(said, 0.9)[-1], Hangup)


@pytest.mark.parametrize(
    ("language", "said"), [("en", "never mind the bill, my internet is down"), ("zh", "没事了，网络还是不行")]
)
def test_never_mind_before_a_request_is_the_request(flow, language, said):
    bot, _ = start(flow, returning=False, language=language)
    bot.on_transcript(said, 0.9)
    assert bot.intent == "network_fault"


def returning_with(flow, intent: str | None, language: str = "en") -> FlowBot:
    bot = FlowBot(flow, router=FixedRouter(), now=lambda: NOW)
    previous = PreviousCall("old", NOW, language, "transferred", intent=intent, open_issue=True)
    bot.start(CallInfo("uuid-1", "5551234", None, language, history=(previous,)))
    return bot


@pytest.mark.parametrize(
    ("language", "said", "told"),
    [
        ("en", "what issue? I don't remember calling", "Last time you called about a network problem."),
        ("zh", "上次什么问题？我忘了", "您上次来电是关于网络故障。"),
    ],
)
def test_a_returning_caller_who_does_not_remember_is_told_the_last_issue(flow, language, said, told):
    bot = returning_with(flow, "network_fault", language)
    assert texts(bot.on_transcript(said, 0.9))[0].startswith(told)
    assert bot.policy.no_match == 0


def test_the_last_issue_unknown_is_named_in_general_words(flow):
    bot = returning_with(flow, None)
    assert "the issue you called about before" in texts(bot.on_transcript("I don't remember calling", 0.9))[0]


@pytest.mark.parametrize("said", ["你好，请问是示例电信吗", "你说的是什么问题啊", "我听不懂你说什么"])
def test_a_chinese_question_back_is_no_answer_to_the_same_issue_question(flow, said):
    bot = returning_with(flow, "network_fault", "zh")
    actions = bot.on_transcript(said, 0.9)
    assert not any(isinstance(a, Transfer) for a in actions) and "same_issue" not in bot.slots, texts(actions)


@pytest.mark.parametrize("said", ["是的", "是啊，怎么还没修好", "还是不行吗"])
def test_a_chinese_yes_with_a_question_after_it_is_still_a_yes(flow, said):
    bot = returning_with(flow, "network_fault", "zh")
    assert transfer_of(bot.on_transcript(said, 0.9)).reason == "flow"


def test_i_do_not_have_a_computer_is_no_refusal_of_the_machine(flow):
    bot, _ = start(flow, returning=False)
    actions = bot.on_transcript("how do I pay my bill? I don't have a computer", 0.9)
    assert not any(isinstance(a, Transfer) for a in actions), texts(actions)
    assert transfer_of(start(flow, returning=False)[0].on_transcript("I won't talk to a computer", 0.9))


@pytest.mark.parametrize(
    ("language", "said", "to_technician"),
    [
        ("en", "I've already tried that, it didn't help", True),
        ("en", "yes please", True),
        ("en", "no thanks, I'll try that", False),
        ("zh", "重启过了，还是没用", True),
        ("zh", "好的，我试试", False),
    ],
)
def test_a_caller_who_already_tried_the_tip_is_offered_a_technician(flow, language, said, to_technician):
    bot, _ = start(flow, returning=False, language=language)
    for turn in (
        ["手机上不了网", "就手机"]
        if language == "zh"
        else ["my mobile data stopped working", "only my phone"]
    ):
        bot.on_transcript(turn, 0.9)
    actions = bot.on_transcript(said, 0.9)
    transferred = isinstance(actions[-1], Transfer) and actions[-1].queue == "technical"
    assert transferred is to_technician, texts(actions)


@pytest.mark.parametrize(
    ("language", "said", "intent"),
    [
        ("en", "my bill, no, sorry, my internet is down", "network_fault"),
        ("en", "I mean my internet is down", "network_fault"),
        ("zh", "账单，哦不对，是网，网不行", "network_fault"),
        ("en", "my bill is wrong, I mean", "billing_dispute"),  # nothing after it: the turn as said
    ],
)
def test_a_topic_taken_back_gives_way_to_the_one_said_instead(flow, language, said, intent):
    bot, _ = start(flow, returning=False, language=language)
    bot.on_transcript(said, 0.9)
    assert bot.intent == intent


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "you people are a bunch of cowboys"),
        ("en", "oh great, no internet again, what exactly am I paying you for"),
        ("zh", "我真是服了你们了，三天了网还没好"),
    ],
)
def test_insults_and_sarcasm_in_other_words_hand_over_at_once(flow, language, said):
    bot, _ = start(flow, returning=False, language=language)
    assert transfer_of(bot.on_transcript(said, 0.9)).reason == "sentiment"


@pytest.mark.parametrize(
    ("said", "intent"),
    [
        ("you've cut my line off and I paid last Friday", "account_unlock"),
        ("my calls keep getting cut off", "network_fault"),
    ],
)
def test_a_line_cut_off_is_a_locked_account_and_calls_cut_off_a_fault(flow, said, intent):
    bot, _ = start(flow, returning=False)
    bot.on_transcript(said, 0.9)
    assert bot.intent == intent


# ----- turns a review of this round found over-caught (each was worse than before the round) -------------


@pytest.mark.parametrize(
    ("language", "asked", "said"),
    [
        ("en", "how can I pay my bill", "No, I mean, that's all, thanks"),
        ("zh", "怎么交话费", "我没问题了，谢谢"),
    ],
)
def test_a_goodbye_that_sounds_like_an_objection_still_ends_the_call(flow, language, asked, said):
    bot, _ = start(flow, returning=False, language=language)
    bot.on_transcript(asked, 0.9)
    assert isinstance(bot.on_transcript(said, 0.9)[-1], Hangup)


@pytest.mark.parametrize(
    ("said", "intent"),
    [
        ("My broadband is down, I mean completely", "network_fault"),
        ("I don't want to have to say it again, my internet is down", "network_fault"),
    ],
)
def test_detail_after_i_mean_and_again_keep_the_topic(flow, said, intent):
    bot, _ = start(flow, returning=False)
    bot.on_transcript(said, 0.9)
    assert bot.intent == intent


@pytest.mark.parametrize(
    ("said", "to_technician"),
    [("I haven't done that", False), ("ok I'll give it a go", False), ("okay", True)],
)
def test_the_technician_offer_reads_negated_and_longer_answers(flow, said, to_technician):
    bot, _ = start(flow, returning=False)
    for turn in ["my internet is not working", "only my phone"]:
        bot.on_transcript(turn, 0.9)
    actions = bot.on_transcript(said, 0.9)
    assert isinstance(actions[-1], Transfer) is to_technician, texts(actions)


@pytest.mark.parametrize("said", ["是的呢", "对 怎么回事啊", "对嘛"])
def test_a_chinese_yes_with_a_particle_or_a_question_after_it_answers(flow, said):
    bot, _ = start(flow, returning=False, language="zh")
    bot.on_transcript("网络坏了", 0.9)
    bot.on_transcript(said, 0.9)
    assert bot.slots.get("all_devices") is True


def test_a_new_request_after_where_is_heard(flow):
    bot, _ = start(flow, returning=False)
    bot.on_transcript("check my balance", 0.9)
    assert (
        transfer_of(bot.on_transcript("where's my refund, I asked for it last week", 0.9)).reason
        == "sensitive"
    )


def test_what_am_i_paying_for_each_month_is_a_question(flow):
    bot, _ = start(flow, returning=False)
    actions = bot.on_transcript("What am I paying you for each month?", 0.9)
    assert not any(isinstance(a, Transfer) for a in actions), texts(actions)


@pytest.mark.parametrize(("said", "ends"), [("好的，谢谢，再见", True), ("飞行模式在哪里", False)])
def test_the_technician_offer_in_chinese_hears_leave_taking_and_no_yes_inside_words(flow, said, ends):
    bot, _ = start(flow, returning=False, language="zh")
    for turn in ["网络坏了", "只有手机"]:
        bot.on_transcript(turn, 0.9)
    actions = bot.on_transcript(said, 0.9)
    assert not any(isinstance(a, Transfer) for a in actions) and isinstance(actions[-1], Hangup) is ends


def test_an_objection_in_a_turn_that_takes_leave_is_a_goodbye(flow):
    bot, _ = start(flow, returning=False)
    bot.on_transcript("how can I pay my bill", 0.9)
    assert isinstance(
        bot.on_transcript("Not what I wanted to hear, but okay, that's all thanks", 0.9)[-1], Hangup
    )


@pytest.mark.parametrize(
    ("language", "turns", "said"),
    [
        ("zh", ["网络坏了", "只有手机"], "可以再说一遍吗"),  # its 可以 ("can") is no yes to the offer
        ("en", ["my internet is down", "only my phone"], "yes sorry, can you say that again"),
    ],
)
def test_asking_to_hear_a_yes_no_question_again_answers_nothing(flow, language, turns, said):
    bot = reached(flow, turns, language=language)
    asked = texts(bot._last_said)
    actions = bot.on_transcript(said, 0.9)
    assert "wants_technician" not in bot.slots and texts(actions) == asked


@pytest.mark.parametrize(
    ("language", "turns", "said", "heard"),
    [
        (
            "en",
            ["check my balance"],
            "one two three four five six seven eight nine one two",
            "I heard 11 digits",
        ),
        ("zh", ["我要查询话费"], "一二三四五六七八九一二", "我听到了11位数字"),
    ],
)
def test_a_number_longer_than_the_step_takes_is_named_as_too_long(flow, language, turns, said, heard):
    bot = reached(flow, turns, language=language)
    actions = bot.on_transcript(said, 0.9)
    assert texts(actions)[0].startswith(heard) and "account" not in bot.slots


@pytest.mark.parametrize(
    ("language", "turns", "said", "read_back"),
    [
        (
            "en",
            ["my internet is down"],
            "yes, the neighbours too, postcode is 2010",
            "Your postcode is 2 0 1 0.",
        ),
        ("zh", ["网络坏了"], "是的，邮编是2010", "您的邮政编码是2 0 1 0"),
    ],
)
def test_a_number_said_with_the_answer_before_it_is_read_back_not_asked_for(
    flow, language, turns, said, read_back
):
    bot = reached(flow, turns, language=language)
    spoken = texts(bot.on_transcript(said, 0.9))
    assert len(spoken) == 1 and spoken[0].startswith(read_back), spoken
    bot.on_transcript("对" if language == "zh" else "yes", 0.9)
    assert bot.slots["postcode"] == "2010"


def test_a_repeat_that_names_what_it_wants_is_answered_from_the_knowledge_base(flow):
    bot, _ = start(flow, returning=False)
    answer = texts(bot.on_transcript("what was the number for voicemail again", 0.9))
    assert "voicemail" in answer[0]
    assert texts(bot.on_transcript("sorry, what was that again", 0.9)) == answer  # a plain repeat


ACCOUNT_READ_BACK = {
    "en": ["I want my balance", "one two three four five six"],
    "zh": ["查询话费", "一二三四五六"],
}


@pytest.mark.parametrize(
    ("language", "said", "account"),
    [
        ("en", "no, it ends in 4 5 6", None),  # the part as read back, after a no: still a no
        (
            "en",
            "yes, I've had it for the last few years, since 2015",
            "123456",
        ),  # no part: the clause says more
        ("en", "yes. at the start of the month I was charged 25 extra", "123456"),
        ("zh", "对，我的手机尾号是5678", "123456"),  # a part after a yes is about something else
        ("zh", "对，我最后一次交费是3月", "123456"),
    ],
)
def test_part_words_that_correct_nothing_leave_the_answer_as_said(flow, language, said, account):
    bot = reached(flow, ACCOUNT_READ_BACK[language], language=language)
    bot.on_transcript(said, 0.9)
    assert bot.slots.get("account") == account


@pytest.mark.parametrize(
    ("language", "said", "read_back"),
    [
        ("en", "the last one's a 9 not a 6", "1 2 3 4 5 9"),  # the part stops at "not"
        ("en", "no the last digit should be eight not six", "1 2 3 4 5 8"),
        ("zh", "不对，最后一个数字是8", "1 2 3 4 5 8"),  # its 一 counts the digits, it is none of them
    ],
)
def test_a_part_correction_reads_only_the_part(flow, language, said, read_back):
    bot = reached(flow, ACCOUNT_READ_BACK[language], language=language)
    assert read_back in texts(bot.on_transcript(said, 0.9))[0]


@pytest.mark.parametrize(
    "said",
    [
        "yes, all of them, it's been like this since 2023",
        "yes, all of them, my account number is 1 2 3 4 5 6",
    ],
)
def test_other_numbers_with_a_yes_are_no_postcode(flow, said):
    bot = reached(flow, ["my internet is down"])
    assert "postcode" in texts(bot.on_transcript(said, 0.9))[-1].lower() and bot.pending is None


def test_a_keyed_yes_takes_no_number_from_the_turn_before(flow):
    bot = reached(flow, ["my internet is down since 2023"])
    assert "postcode" in texts(bot.on_dtmf("1"))[-1].lower() and bot.pending is None


def test_again_in_an_answer_is_still_the_answer(flow):
    bot, _ = start(flow, returning=True)
    assert transfer_of(bot.on_transcript("yes it happened again", 0.9)).reason == "flow"


def test_asking_again_after_a_knowledge_answer_repeats_it(flow):
    bot, _ = start(flow, returning=False)
    answer = texts(bot.on_transcript("how do I set up voicemail", 0.9))
    assert texts(bot.on_transcript("what was the number for voicemail again", 0.9)) == answer


def test_other_numbers_in_the_turn_are_not_called_too_many_digits(flow):
    bot = reached(flow, ["check my balance"])
    spoken = texts(bot.on_transcript("I've called 3 times about this, account 1 2 3 4 5 6 7 8 9 0", 0.9))
    assert not spoken[0].startswith("I heard 11 digits")


@pytest.mark.parametrize(
    ("language", "said", "routed"),
    [
        ("en", "yes, I forgot my password", "password_reset"),  # last time: a network fault
        ("zh", "是的，我忘记密码了", "password_reset"),
        ("en", "yes, my internet is still down", None),  # the same topic: a yes, the follow-up
    ],
)
def test_a_yes_with_another_topic_to_the_same_issue_question_is_that_topic(flow, language, said, routed):
    history = (PreviousCall("old", NOW, language, "transferred", intent="network_fault", open_issue=True),)
    bot = FlowBot(flow, router=FixedRouter(), now=lambda: NOW)
    bot.start(CallInfo("uuid-1", "5551234", None, language, history=history))
    actions = bot.on_transcript(said, 0.9)
    if routed is None:
        assert transfer_of(actions).reason == "flow" and bot.slots["same_issue"] is True
    else:
        assert bot.intent == routed and "same_issue" not in bot.slots


@pytest.mark.parametrize(
    ("language", "said", "intent"),
    [
        (
            "en",
            "I got a refund off you back in January and that was fine, but now I can't log into the app",
            "password_reset",
        ),
        ("en", "not really, no. I did get a refund last time, but the wifi's slow", "network_fault"),
        ("zh", "之前账号被冻结过一次，现在是密码忘了", "password_reset"),
        ("en", "last time I called you promised a refund, I want it now", "refund"),  # nothing else asked now
        (
            "en",
            "check my balance please, and also I want a refund for last month",
            "refund",
        ),  # last month: now
    ],
)
def test_a_topic_named_about_an_earlier_matter_gives_way_to_today_s(flow, language, said, intent):
    bot, _ = start(flow, returning=False, language=language)
    bot.on_transcript(said, 0.9)
    assert bot.intent == intent


def test_a_returning_caller_whose_last_issue_is_fixed_is_a_no(flow):
    bot, _ = start(flow, returning=True, language="zh")
    bot.on_transcript("不是不是，上次那个早好了，我想查一下话费", 0.9)
    assert bot.intent == "balance" and bot.slots["same_issue"] is False  # its 不是 answers the question


@pytest.mark.parametrize("said", ["上次那个问题", "上次那个问题还没好", "本来已经好了，昨天又断了"])
def test_a_returning_caller_whose_last_issue_is_back_is_a_yes(flow, said):
    bot, _ = start(flow, returning=True, language="zh")
    assert transfer_of(bot.on_transcript(said, 0.9)).reason == "flow" and bot.slots["same_issue"] is True
