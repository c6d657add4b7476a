"""Normalisation and tokenisation of English and Chinese transcripts."""

import pytest

from ivr.dialogue.text import is_chinese, ngrams, normalise, tokens


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("zh", True),
        ("zh-CN", True),
        ("ZH_tw", True),
        ("cmn", True),
        ("en", False),
        ("en-US", False),
        ("ko", False),
    ],
)
def test_chinese_language_tags_are_recognised(tag, expected):
    assert is_chinese(tag) is expected


def test_normalise_folds_width_case_and_punctuation():
    assert normalise("  Hello，ＷＯＲＬＤ！！  How are   you? ", "en") == "hello world how are you"


def test_contractions_become_one_word_whatever_the_apostrophe():
    assert normalise("I don't", "en") == normalise("I don’t", "en") == normalise("i dont", "en") == "i dont"


def test_chinese_punctuation_becomes_space():
    assert normalise("你好。我想查话费，可以吗？", "zh") == "你好 我想查话费 可以吗"


def test_chinese_tokens_are_characters_and_latin_runs():
    assert tokens("我要VIP服务 123号", "zh-CN") == ["我", "要", "vip", "服", "务", "123", "号"]


def test_english_tokens_are_words():
    assert tokens("Check my BALANCE, please!", "en") == ["check", "my", "balance", "please"]


def test_ngrams_are_characters_for_chinese_and_words_otherwise():
    assert ngrams("转人工", "zh") == ["转人", "人工"]
    assert ngrams("check my balance", "en") == ["check my", "my balance"]
    assert ngrams("余额", "zh", n=3) == []
