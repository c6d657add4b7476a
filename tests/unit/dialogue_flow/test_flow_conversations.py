"""Text-level conversations through the shipped telecom flow: every transfer trigger and the main paths."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ivr.bot import Callback, CallInfo, Hangup, PreviousCall, Say, Transfer
from ivr.dialogue.engine import FlowBot
from ivr.dialogue.registry import FlowRegistry
from ivr.routing import StaticRouter
from tests.unit.dialogue_flow.routers import FixedRouter

DIALPLAN = Path(__file__).resolve().parents[3] / "dialplan"
NOW = datetime(2024, 5, 6, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def flow():
    return FlowRegistry.load(DIALPLAN).current().flow_for("hotline")


def call(number: str | None = "5551234", language: str = "en", history=()) -> CallInfo:
    return CallInfo("uuid-1", number, "Test Caller", language, history=tuple(history))


def bot_for(flow, router=None, **call_args) -> tuple[FlowBot, list]:
    bot = FlowBot(flow, router=router or StaticRouter("support"), now=lambda: NOW)
    return bot, bot.start(call(**call_args))


def texts(actions) -> list[str]:
    return [
        getattr(a, "text", None) or getattr(a, "notice", None) or getattr(a, "goodbye", "") for a in actions
    ]


def only_transfer(actions) -> Transfer:
    assert isinstance(actions[-1], Transfer), actions
    return actions[-1]


def test_the_greeting_then_the_main_question(flow):
    _, actions = bot_for(flow)
    assert texts(actions)[0] == "Thank you for calling Example Telecom."
    assert "How can I help you?" in texts(actions)[1]
    assert all(isinstance(a, Say) and a.language == "en" for a in actions)


@pytest.mark.parametrize(
    ("language", "said"), [("en", "I want to talk to an agent"), ("en", "operator please"), ("zh", "转人工")]
)
def test_asking_for_a_person_transfers_with_the_notice(flow, language, said):
    bot, _ = bot_for(flow, language=language)
    transfer = only_transfer(bot.on_transcript(said, 0.9))
    assert transfer.reason == "caller-request" and transfer.queue == "support"
    assert transfer.language == language
    expected = "I'm connecting you to a customer service agent." if language == "en" else "转接人工客服"
    assert expected in transfer.notice


def test_keypad_zero_transfers(flow):
    bot, _ = bot_for(flow)
    assert only_transfer(bot.on_dtmf("0")).reason == "keypad-0"


def test_three_misunderstandings_in_a_row_transfer(flow):
    bot, _ = bot_for(flow)
    first = bot.on_transcript("purple elephants dancing", 0.5)
    assert texts(first) == [
        "Sorry, I didn't understand that.",
        "For example, say check my bill, or my internet is not working.",
    ]
    second = texts(bot.on_transcript("banana telescope", 0.5))  # escalates: keypad choices, no repeat
    assert second[0] == "I'm still not sure what you need." and "Press 1 for your bill" in second[1]
    transfer = only_transfer(bot.on_transcript("", 0.0))
    assert transfer.reason == "no-match"
    assert transfer.notice.startswith("To help you better, I'm connecting you to")


def test_silence_twice_transfers(flow):
    bot, _ = bot_for(flow)
    assert texts(bot.on_no_input())[0] == "Sorry, I didn't hear anything."
    assert only_transfer(bot.on_no_input()).reason == "no-input"


def test_an_understood_turn_resets_the_failure_streak(flow):
    bot, _ = bot_for(flow)
    bot.on_transcript("purple elephants", 0.5)
    bot.on_transcript("banana telescope", 0.5)
    bot.on_transcript("how can I pay my bill", 0.9)
    assert not any(isinstance(a, Transfer) for a in bot.on_transcript("zebra crossing", 0.5))


def test_the_same_question_a_third_time_goes_to_a_person(flow):
    bot, _ = bot_for(flow)
    answer = bot.on_transcript("how can I pay my bill", 0.9)
    assert "direct debit" in texts(answer)[0]
    again = bot.on_transcript("sorry, how do I pay it again?", 0.9)  # served twice (repeat_limit: 3)
    assert "direct debit" in texts(again)[0]
    transfer = only_transfer(bot.on_transcript("how do I pay my bill?", 0.9))
    assert transfer.reason == "repeated-request"
    assert transfer.context["answers_tried"] == ["how to pay a bill"]


def test_a_mildly_upset_caller_is_transferred_after_two_negative_turns(flow):
    bot, _ = bot_for(flow)
    first = bot.on_transcript("I am frustrated with this", 0.9)
    assert not any(isinstance(a, Transfer) for a in first)
    transfer = only_transfer(bot.on_transcript("and disappointed with the service", 0.9))
    assert transfer.reason == "sentiment" and transfer.notice.startswith("I'm sorry about this.")
    scores = transfer.context["sentiment"]["scores"]
    assert len(scores) == 2 and all(s < -0.5 for s in scores)


@pytest.mark.parametrize(("language", "said"), [("en", "I want a refund"), ("zh", "我要退款")])
def test_a_sensitive_topic_goes_to_billing_at_once(flow, language, said):
    bot, _ = bot_for(flow, language=language)
    transfer = only_transfer(bot.on_transcript(said, 0.9))
    assert transfer.reason == "sensitive" and transfer.queue == "billing"
    assert transfer.context["intent"] == "refund"
    if language == "en":
        assert transfer.notice == "To help you better, I'm connecting you to a billing specialist."


def test_a_vip_goes_straight_to_a_person(flow):
    router = FixedRouter(tiers={"5551234": "gold"}, priority=5)
    _, actions = bot_for(flow, router)
    transfer = only_transfer(actions)
    assert len(actions) == 1 and transfer.reason == "vip" and transfer.priority == 5
    assert router.requests[0].tier == "gold"
    assert transfer.summary.splitlines()[0].startswith("Caller 5551234 (en, VIP gold)")


def test_the_notice_says_the_place_in_line_and_the_wait(flow):
    bot, _ = bot_for(flow, FixedRouter(position=2, expected_wait=170))
    transfer = only_transfer(bot.on_transcript("I want to talk to an agent", 0.9))
    assert transfer.notice == (
        "Of course. I'm connecting you to a customer service agent. "
        "You are number 2 in line. The expected wait is about 3 minutes."
    )


def test_a_wait_of_seconds_is_not_announced_as_minutes(flow):
    bot, _ = bot_for(flow, FixedRouter(position=1, expected_wait=0))
    transfer = only_transfer(bot.on_transcript("I want to talk to an agent", 0.9))
    assert transfer.notice.endswith("You are number 1 in line. Someone will be with you in a moment.")
    assert "minute" not in transfer.notice


def test_a_long_wait_offers_a_callback_that_the_caller_takes(flow):
    bot, _ = bot_for(flow, FixedRouter(expected_wait=900, offer_callback=True))
    offer = bot.on_transcript("I want to talk to an agent", 0.9)
    assert isinstance(offer[0], Say) and offer[0].barge_in is False and "15 minutes" in offer[0].text
    assert offer[1].text == "Press 1 to be called back, or stay on the line."
    callback = bot.on_dtmf("1")[0]
    assert isinstance(callback, Callback) and callback.number == "5551234" and callback.queue == "support"
    assert callback.reason == "caller-request" and "call you back" in callback.notice
    assert bot.call_meta()["outcome"] == "callback"


@pytest.mark.parametrize("answer", ["no input", "2", "no thanks"])
def test_a_declined_callback_offer_keeps_the_caller_in_the_queue(flow, answer):
    bot, _ = bot_for(flow, FixedRouter(expected_wait=900, offer_callback=True))
    bot.on_transcript("I want to talk to an agent", 0.9)
    if answer == "no input":
        actions = bot.on_no_input()
    elif answer == "2":
        actions = bot.on_dtmf("2")
    else:
        actions = bot.on_transcript(answer, 0.9)
    transfer = only_transfer(actions)
    assert transfer.notice == "Please hold." and transfer.reason == "caller-request"


def test_closed_hours_offer_a_callback(flow):
    bot, _ = bot_for(flow, FixedRouter(is_open=False))
    actions = bot.on_dtmf("0")
    assert texts(actions)[0] == "Our agents are available every day from 8 am to 8 pm."
    assert "call you back when we open" in texts(actions)[1]
    callback = bot.on_transcript("yes please", 0.9)[0]
    assert isinstance(callback, Callback) and callback.reason == "keypad-0"


def test_closed_hours_without_a_caller_number_say_goodbye(flow):
    bot, _ = bot_for(flow, FixedRouter(is_open=False), number=None)
    hangup = bot.on_dtmf("0")[0]
    assert isinstance(hangup, Hangup) and hangup.reason == "closed"
    assert "8 am to 8 pm" in hangup.goodbye and "opening hours" in hangup.goodbye


def test_an_account_number_is_collected_confirmed_and_handed_over(flow):
    bot, _ = bot_for(flow)
    assert texts(bot.on_transcript("I want to check my bill", 0.9)) == [
        "Please say or key in your account number."
    ]
    assert bot.grammar() is None and "five" in bot.hints()  # mixed initiative: free speech, biased
    assert texts(bot.on_transcript("one two three four five six", 0.8)) == [
        "I heard 1 2 3 4 5 6. Is that right?"
    ]
    answer = texts(bot.on_transcript("yes", 0.9))
    assert answer[0].startswith("The balance of account 1 2 3 4 5 6 is")
    transfer = only_transfer(bot.on_transcript("I want to talk to an agent", 0.9))
    assert transfer.context["slots"] == {"account": "123456"} and transfer.queue == "billing"
    assert bot.call_meta()["slots"] == {"account": "123456"} and bot.call_meta()["intent"] == "balance"
    assert transfer.summary.splitlines() == [
        "Caller 5551234 (en) wants their balance or bill; account 123456.",
        "No answer tried; transferred: caller asked for a person; sentiment steady.",
    ]


def test_a_rejected_number_is_asked_again_and_keypad_entry_works(flow):
    bot, _ = bot_for(flow)
    bot.on_transcript("check my balance", 0.9)
    bot.on_transcript("one two three four five six", 0.8)
    again = texts(bot.on_transcript("no", 0.9))
    assert "six to ten digits" in again[0]
    assert [bot.on_dtmf(d) for d in "7654321"] == [[]] * 7
    assert texts(bot.on_dtmf("#")) == ["I heard 7 6 5 4 3 2 1. Is that right?"]
    assert texts(bot.on_dtmf("1"))[0].startswith("The balance of account 7 6 5 4 3 2 1")


def test_too_few_digits_are_not_accepted(flow):
    bot, _ = bot_for(flow)
    bot.on_transcript("check my balance", 0.9)
    assert texts(bot.on_transcript("one two three", 0.8)) == ["Go on."]  # perhaps the first of several pieces
    assert texts(bot.on_transcript("that's the number", 0.8))[0] == "Sorry, I didn't understand that."
    assert "account" not in bot.slots


@pytest.mark.parametrize(
    ("language", "pieces", "value"),
    [
        ("en", ["one two three", "four five six seven eight"], "12345678"),
        ("en", ["123", "456", "78"], "12345678"),  # read back at six digits, then two more
        ("zh", ["账号是一二三", "四五六七"], "1234567"),
    ],
)
def test_a_number_said_in_pieces_is_joined(flow, language, pieces, value):
    bot, _ = bot_for(flow, language=language)
    bot.on_transcript("我要查询话费" if language == "zh" else "check my balance", 0.9)
    for piece in pieces:
        bot.on_transcript(piece, 0.9)
    bot.on_transcript("对" if language == "zh" else "yes", 0.9)
    assert bot.slots["account"] == value


def test_a_piece_then_other_words_starts_again(flow):
    bot, _ = bot_for(flow)
    bot.on_transcript("check my balance", 0.9)
    bot.on_transcript("one two three", 0.9)
    bot.on_transcript("hang on", 0.9)
    assert texts(bot.on_transcript("four five six seven eight nine", 0.9)) == [
        "I heard 4 5 6 7 8 9. Is that right?"
    ]


def test_chinese_account_number_and_confirmation(flow):
    bot, _ = bot_for(flow, language="zh")
    bot.on_transcript("我要查询话费", 0.9)
    # digit by digit: a TTS reads 123456 as a quantity
    assert texts(bot.on_transcript("一二三四五六", 0.9)) == ["您的账号是1 2 3 4 5 6，对吗？"]
    assert texts(bot.on_transcript("对", 0.9))[0].startswith("账号1 2 3 4 5 6的余额")


def test_a_knowledge_base_answer_in_chinese(flow):
    bot, _ = bot_for(flow, language="zh")
    actions = bot.on_transcript("出国怎么开通国际漫游", 0.9)
    assert "漫游" in texts(actions)[0] and texts(actions)[1] == "还有什么可以帮您的吗？"


def test_a_returning_caller_is_greeted_in_their_last_language(flow):
    earlier = PreviousCall("old", NOW, "zh", "contained", intent="balance", open_issue=False)
    bot, actions = bot_for(flow, history=[earlier])
    assert texts(actions)[0] == "感谢致电示例电信。" and actions[0].language == "zh"
    assert bot.call_meta()["language"] == "zh"


def test_an_open_issue_is_followed_up(flow):
    earlier = PreviousCall("old", NOW, "en", "transferred", intent="network_fault", open_issue=True)
    bot, actions = bot_for(flow, history=[earlier])
    assert "same issue as last time" in texts(actions)[0]
    transfer = only_transfer(bot.on_transcript("yes", 0.9))
    assert transfer.reason == "flow" and transfer.priority == 2


def test_keypad_9_switches_to_chinese(flow):
    bot, _ = bot_for(flow)
    actions = bot.on_dtmf("9")
    assert actions[0].language == "zh" and "请问有什么可以帮您" in actions[0].text


def test_repeat_and_help_and_goodbye(flow):
    bot, actions = bot_for(flow)
    assert texts(bot.on_transcript("can you repeat that", 0.9)) == texts(actions)[1:]
    assert texts(bot.on_transcript("help", 0.9))[0].startswith("For example")
    hangup = bot.on_transcript("goodbye", 0.9)[0]
    assert isinstance(hangup, Hangup) and hangup.goodbye == "Thank you for calling. Goodbye."


def test_network_fault_on_all_devices_collects_a_postcode_then_goes_to_technical(flow):
    bot, _ = bot_for(flow, FixedRouter())
    assert "all your devices" in texts(bot.on_transcript("my internet is not working", 0.9))[0]
    assert bot.grammar() is None and bot.hints()[:2] == ["yes", "yeah"]
    assert "postcode" in texts(bot.on_transcript("yes", 0.9))[0]
    bot.on_transcript("two zero one four", 0.9)
    transfer = only_transfer(bot.on_transcript("yes", 0.9))
    assert transfer.queue == "technical" and transfer.priority == 1
    assert transfer.context["slots"] == {"all_devices": True, "postcode": "2014"}


def test_plan_change_goes_to_sales(flow):
    bot, _ = bot_for(flow)
    transfer = only_transfer(bot.on_transcript("I want to change my plan", 0.9))
    assert transfer.queue == "sales" and "our sales team" in transfer.notice


def test_password_reset_is_self_service(flow):
    bot, _ = bot_for(flow)
    bot.on_transcript("I forgot my password", 0.9)
    bot.on_transcript("nine eight seven six five four", 0.9)
    said = texts(bot.on_transcript("yes", 0.9))
    assert "reset link" in said[0] and "9 8 7 6 5 4" in said[0]
    assert isinstance(bot.on_transcript("no thanks", 0.9)[0], Hangup)
    assert bot.call_meta()["outcome"] == "goodbye" and bot.call_meta()["intent"] == "password_reset"


def test_a_piece_then_the_whole_number_again_is_the_whole_number(flow):
    bot, _ = bot_for(flow)
    bot.on_transcript("check my balance", 0.9)
    bot.on_transcript("one two three", 0.9)
    assert texts(bot.on_transcript("one two three four five six", 0.9)) == [
        "I heard 1 2 3 4 5 6. Is that right?"
    ]
