"""normalize() and word_error_rate(): the yardstick of every ASR test, so it is tested first."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asr.wer import normalize, number_to_words, word_error_rate, word_errors


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Press 1 to record.", ["press", "one", "to", "record"]),
        ("Call-Forward on No Answer.", ["call", "forward", "on", "no", "answer"]),
        ("It is 10:30 A.M.", ["it", "is", "ten", "thirty", "am"]),
        ("the 21st of 2,500", ["the", "twenty", "first", "of", "two", "thousand", "five", "hundred"]),
        ("you're 'quoted' OK!", ["you're", "quoted", "okay"]),
        ("3.5% & more", ["three", "point", "five", "percent", "and", "more"]),
        ("...to exit the menu...", ["to", "exit", "the", "menu"]),
        ("네, 아니요.", ["네", "아니요"]),
        ("", []),
    ],
)
def test_normalize_examples(text: str, words: list[str]) -> None:
    assert normalize(text) == words


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "zero"),
        (13, "thirteen"),
        (40, "forty"),
        (99, "ninety nine"),
        (100, "one hundred"),
        (1001, "one thousand one"),
        (2_000_345, "two million three hundred forty five"),
    ],
)
def test_number_to_words(n: int, words: str) -> None:
    assert number_to_words(n) == words


def test_long_digit_runs_are_read_digit_by_digit() -> None:
    digits = ["five", "five", "five", "one", "two", "three", "four", "five", "six", "seven", "eight"]
    assert normalize("call 5551234567890") == ["call", *digits, "nine", "zero"]
    assert normalize("555123456789")[:2] == ["five", "hundred"]  # up to 12 digits is one number


def test_word_errors_counts_substitutions_insertions_deletions() -> None:
    assert word_errors(["a", "b", "c"], ["a", "x", "c", "d"]) == 2
    assert word_errors([], ["a"]) == 1
    assert word_errors(["a", "b"], []) == 2


def test_word_error_rate_sums_over_the_corpus() -> None:
    refs = ["Press 1.", "Goodbye and thank you"]
    hyps = ["press one", "goodbye thank you"]
    assert word_error_rate(refs, hyps) == pytest.approx(1 / 6)


def test_word_error_rate_edge_cases() -> None:
    assert word_error_rate("", "") == 0.0
    assert word_error_rate("", "noise") == 1.0
    assert word_error_rate("hello world", "Hello, world!") == 0.0
    with pytest.raises(ValueError, match="2 references but 1"):
        word_error_rate(["a", "b"], ["a"])


@given(st.text())
def test_normalize_never_fails_and_yields_clean_words(text: str) -> None:
    for word in normalize(text):
        assert word and not word.isspace()
        assert word == word.lower()
        assert not set(word) & set('.,!?;:"()[]{}-/')


@given(st.lists(st.text(max_size=30), max_size=5))
def test_wer_of_a_corpus_against_itself_is_zero(texts: list[str]) -> None:
    assert word_error_rate(texts, texts) == 0.0


@given(st.lists(st.sampled_from("abcd"), max_size=8), st.lists(st.sampled_from("abcd"), max_size=8))
def test_word_errors_is_a_bounded_symmetric_distance(a: list[str], b: list[str]) -> None:
    d = word_errors(a, b)
    assert d == word_errors(b, a)
    assert abs(len(a) - len(b)) <= d <= max(len(a), len(b))
    assert (d == 0) == (a == b)
