"""SurveyBot: keypad and spoken ratings, re-ask once, give up on silence; score parsing never crashes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ivr.bot import CallInfo, Hangup, Say
from ivr.survey import QUESTION, SurveyBot, spoken_score, survey_language


def started(language: str = "en") -> tuple[SurveyBot, list]:
    bot = SurveyBot()
    return bot, bot.start(CallInfo(call_uuid="u1", caller_number="100", caller_name=None, language=language))


def test_start_asks_in_english_and_the_keypad_may_cut_the_question() -> None:
    bot, actions = started("en-US")
    assert actions == [Say(QUESTION["en"], barge_in=True, language="en")]
    assert bot.call_meta() == {"kind": "survey"}


def test_meta_names_the_rated_call() -> None:
    bot = SurveyBot(for_call="orig-1")
    bot.start(CallInfo(call_uuid="u2", caller_number=None, caller_name=None, language="en"))
    bot.on_dtmf("2")
    assert bot.call_meta() == {"kind": "survey", "survey_for": "orig-1", "survey_score": 2}


def test_start_asks_in_chinese_for_a_chinese_call() -> None:
    _, actions = started("zh-CN")
    assert actions[0].text == QUESTION["zh"] and actions[0].language == "zh"


def test_unknown_language_falls_back_to_english() -> None:
    assert survey_language("fr") == "en" and survey_language("") == "en"


def test_digit_four_thanks_and_hangs_up_with_the_score() -> None:
    bot, _ = started()
    [action] = bot.on_dtmf("4")
    assert isinstance(action, Hangup)
    assert action.reason == "survey-4" and action.goodbye.startswith("Thank you")
    assert bot.score == 4 and bot.call_meta() == {"kind": "survey", "survey_score": 4}


def test_other_key_reasks_once_then_gives_up() -> None:
    bot, _ = started()
    first = bot.on_dtmf("9")
    assert [type(a) for a in first] == [Say, Say] and first[1].text == QUESTION["en"]
    [second] = bot.on_dtmf("#")
    assert isinstance(second, Hangup) and second.reason == "survey-none"
    assert "survey_score" not in bot.call_meta()


def test_a_wrong_key_then_a_valid_one_still_counts() -> None:
    bot, _ = started()
    bot.on_dtmf("0")
    [action] = bot.on_dtmf("5")
    assert action.reason == "survey-5"


def test_silence_twice_ends_unrated() -> None:
    bot, _ = started()
    [again] = bot.on_no_input()
    assert isinstance(again, Say) and again.text == QUESTION["en"]
    [end] = bot.on_no_input()
    assert isinstance(end, Hangup) and end.reason == "survey-none"


def test_spoken_four_in_english_and_chinese() -> None:
    bot, _ = started()
    assert bot.on_transcript("I'd say four", 0.9)[0].reason == "survey-4"
    zh, _ = started("zh")
    [action] = zh.on_transcript("四分", 0.8)
    assert action.reason == "survey-4" and action.language == "zh"


def test_speech_without_a_score_counts_as_a_wrong_answer() -> None:
    bot, _ = started()
    assert isinstance(bot.on_transcript("it was okay I guess", 0.9)[0], Say)
    assert bot.on_transcript("between two and five", 0.9)[0].reason == "survey-none"


def test_empty_transcript_counts_as_silence() -> None:
    bot, _ = started()
    bot.on_transcript("", 0.0)
    assert bot.on_transcript("  ", 0.0)[0].reason == "survey-none"


def test_grammar_lists_the_numbers_of_the_language() -> None:
    bot, _ = started("zh")
    assert "四" in bot.grammar()


def test_the_score_is_a_field_of_the_hang_up_not_parsed_from_its_reason() -> None:
    bot, _ = started()
    [rated] = bot.on_dtmf("3")
    assert (rated.reason, rated.survey_score) == ("survey-3", 3)
    bot, _ = started()
    bot.on_no_input()
    [unrated] = bot.on_no_input()
    assert (unrated.reason, unrated.survey_score) == ("survey-none", None)


@given(st.text(max_size=200))
def test_spoken_score_never_crashes_and_stays_in_range(text: str) -> None:
    value = spoken_score(text)
    assert value is None or 1 <= value <= 5


@given(st.text(max_size=8))
def test_any_key_gives_a_valid_action(key: str) -> None:
    bot, _ = started()
    actions = bot.on_dtmf(key)
    assert actions and all(isinstance(a, Say | Hangup) for a in actions)
    if isinstance(actions[-1], Hangup) and actions[-1].reason != "survey-none":
        assert key in {"1", "2", "3", "4", "5"}


def test_numbers_outside_the_scale_are_not_scores() -> None:
    assert spoken_score("10") is None and spoken_score("twenty") is None
    assert spoken_score("5 out of 5") == 5
