"""Asides at a collect step: a moment to find the answer, or not having it, told from new requests."""

import pytest

from ivr.dialogue.asides import asks_to_wait, has_finished, lacks_answer, wants_what_was_told

QUESTION = {"en": "Please say or key in your account number.", "zh": "请说出或者输入您的账号。"}


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("hang on, my husband has the account number", "en"),
        ("bear with me", "en"),
        ("one moment please", "en"),
        ("稍等，我找一下账号", "zh"),
    ],
)
def test_a_moment_to_find_the_answer(text, language):
    assert asks_to_wait(text, language, QUESTION[language])


@pytest.mark.parametrize(
    "text",
    ["wait a minute, I actually want to cancel my contract", "hold on, I'd rather get my money returned"],
)
def test_a_wait_word_before_a_new_request_is_no_wait(text):
    assert not asks_to_wait(text, "en", QUESTION["en"])


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("I don't have my account number", "en"),
        ("sorry, I don't have it to hand", "en"),
        ("I can't find my account number", "en"),
        ("I've forgotten my account number", "en"),
        ("我找不到账号", "zh"),
    ],
)
def test_not_having_the_answer(text, language):
    assert lacks_answer(text, language, QUESTION[language])


@pytest.mark.parametrize(
    ("text", "language"),
    [("I don't have a pen", "en"), ("I forgot my password", "en"), ("I have my account number", "en"),
     ("我忘记密码了", "zh")],
)  # fmt: skip
def test_not_having_something_else_is_not_a_missing_answer(text, language):
    assert not lacks_answer(text, language, QUESTION[language])


@pytest.mark.parametrize(
    ("text", "language", "wants"),
    [
        ("okay, well I'd like to ask for one then", "en", True),
        ("can you do that for me", "en", True),
        ("那我要申请一个", "zh", True),
        ("I don't want one", "en", False),  # negated
        ("我不要这个", "zh", False),
        ("I want to check my balance", "en", False),  # wanting something named, not pointed back to
        ("thanks, that's all", "en", False),
    ],
)
def test_wanting_what_an_answer_told_of(text, language, wants):
    assert wants_what_was_told(text, language) is wants


@pytest.mark.parametrize(
    ("text", "language", "finished"),
    [
        ("yeah I'm good", "en", True),
        ("nah you're alright mate", "en", True),
        ("I'm fine thanks", "en", True),
        ("就这些，谢谢", "zh", True),
        ("I'm good, but my bill is wrong", "en", False),  # more in the turn
        ("yes please", "en", False),
        ("my internet is good now", "en", False),
    ],
)
def test_saying_no_more_in_other_words(text, language, finished):
    assert has_finished(text, language) is finished
