"""Slot parsers: digits, quantities, yes/no and dates in English, Chinese (and Korean yes/no)."""

import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr.dialogue.slots import SLOT_KINDS, extract, parse_date, parse_digits, parse_number, parse_yes_no

TODAY = datetime.date(2026, 3, 10)  # a Tuesday


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("one two three four five six", "123456"),
        ("my account is 4 5 6 7 8 9", "456789"),
        ("oh one zero", "010"),
        ("double three", "33"),
        ("triple five", "555"),
        ("zero seven seven double oh one two three", "07700123"),  # "double" before "oh" too
        ("double o seven", "007"),
        ("twenty five", "25"),
        ("one hundred and five", "105"),
        ("nineteen eighty four", "1984"),
        ("zero zero seven", "007"),
        ("it is 456-789", "456789"),
        ("one two double four oh nine", "124409"),
        ("five one to three", "5123"),
    ],
)
def test_english_digits(text, digits):
    assert parse_digits(text, "en") == digits


def test_oh_is_a_zero_only_next_to_digits():
    assert parse_digits("oh my number is one two", "en") == "12"
    assert parse_digits("oh well", "en") is None
    assert parse_digits("i want to go for a walk", "en") is None


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("一二三四五六", "123456"),
        ("幺三八", "138"),
        ("两两", "22"),
        ("零〇一", "001"),
        ("二十五", "25"),
        ("我的号码是123四五", "12345"),
        ("一百零五", "105"),
        ("ＡＢ１２３", "123"),
    ],
)
def test_chinese_digits(text, digits):
    assert parse_digits(text, "zh") == digits


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("it's 4000 and 10,", "4010"),  # "four thousand and ten" as Whisper writes it
        ("2,000 and 1", "2001"),
        ("300 and 45", "345"),
        ("4000 And 10", "4010"),  # a capital after a pause is still "and"
        ("100 and 500", "100500"),  # 500 does not fit in the zeros of 100: two numbers
        ("100 and 05", "10005"),  # a leading zero: digits said one by one
        ("I paid 100 and then 5", "1005"),
    ],
)
def test_a_round_number_and_a_smaller_one_written_in_digits_are_one_number(text, digits):
    assert parse_digits(text, "en") == digits


def test_no_digits_is_none():
    assert parse_digits("hello there", "en") is None
    assert parse_digits("你好", "zh-CN") is None


@pytest.mark.parametrize(
    ("text", "language", "value"),
    [
        ("twenty five", "en", 25),
        ("about three hundred and twelve please", "en", 312),
        ("two thousand five hundred", "en", 2500),
        ("1,250", "en", 1250),
        ("a hundred", "en", 100),
        ("三百", "zh", 300),
        ("两个", "zh", 2),
        ("十五", "zh", 15),
        ("一万二千", "zh", 12000),
        ("两千零二十六", "zh", 2026),
        ("我要3张", "zh", 3),
    ],
)
def test_quantities(text, language, value):
    assert parse_number(text, language) == value


def test_no_quantity_is_none():
    assert parse_number("none at all", "en") is None
    assert parse_number("不要", "zh") is None


@pytest.mark.parametrize(
    ("text", "language", "answer"),
    [
        ("yes", "en", True),
        ("yeah sure", "en", True),
        ("That's right.", "en", True),
        ("ok", "en", True),
        ("correct", "en", True),
        ("no", "en", False),
        ("nope", "en", False),
        ("wrong", "en", False),
        ("incorrect", "en", False),
        ("that's not right", "en", False),
        ("not correct", "en", False),
        ("I'm afraid so", "en", True),
        ("afraid not", "en", False),
        ("i don't know", "en", None),
        ("maybe", "en", None),
        ("yes no", "en", None),
        ("the sky", "en", None),
        ("是", "zh", True),
        ("对", "zh", True),
        ("是的", "zh", True),
        ("对的", "zh", True),
        ("没错", "zh", True),
        ("好的", "zh", True),
        ("可以", "zh", True),
        ("嗯", "zh", True),
        ("不", "zh", False),
        ("不是", "zh", False),
        ("不对", "zh", False),
        ("错", "zh", False),
        ("没有", "zh", False),
        ("不确定", "zh", None),
        ("네", "ko", True),
        ("예 맞아요", "ko", True),
        ("아니요", "ko", False),
        ("아니", "ko", False),
    ],
)
def test_yes_no(text, language, answer):
    assert parse_yes_no(text, language) is answer


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("today", "en", "2026-03-10"),
        ("tomorrow please", "en", "2026-03-11"),
        ("yesterday", "en", "2026-03-09"),
        ("the day after tomorrow", "en", "2026-03-12"),
        ("next monday", "en", "2026-03-16"),
        ("next tuesday", "en", "2026-03-17"),
        ("on friday", "en", "2026-03-13"),
        ("last friday", "en", "2026-03-06"),
        ("march fifth", "en", "2027-03-05"),
        ("5 march", "en", "2027-03-05"),
        ("the 5th of march", "en", "2027-03-05"),
        ("march fifteenth", "en", "2026-03-15"),
        ("twenty first of april", "en", "2026-04-21"),
        ("march 15th 2028", "en", "2028-03-15"),
        ("2026-03-05", "en", "2026-03-05"),
        ("03/05/2026", "en", "2026-03-05"),
        ("feb 29", "en", "2028-02-29"),
        ("今天", "zh", "2026-03-10"),
        ("明天", "zh", "2026-03-11"),
        ("昨天", "zh", "2026-03-09"),
        ("后天", "zh", "2026-03-12"),
        ("3月5日", "zh", "2027-03-05"),
        ("三月五号", "zh", "2027-03-05"),
        ("2026年3月5日", "zh", "2026-03-05"),
        ("二〇二六年三月二十五日", "zh", "2026-03-25"),
        ("下周一", "zh", "2026-03-16"),
        ("周五", "zh", "2026-03-13"),
    ],
)
def test_dates(text, language, expected):
    assert parse_date(text, language, TODAY) == datetime.date.fromisoformat(expected)


@pytest.mark.parametrize("text", ["february thirtieth", "may i help you", "hello", "13/45/2026"])
def test_impossible_or_absent_dates_are_none(text):
    assert parse_date(text, "en", TODAY) is None


def test_extract_dispatches_every_kind():
    assert {"digits", "number", "yes_no", "date", "text"} == SLOT_KINDS
    assert extract("digits", "one two", "en") == "12"
    assert extract("number", "twenty", "en") == 20
    assert extract("yes_no", "不对", "zh") is False
    assert extract("date", "tomorrow", "en", today=TODAY) == datetime.date(2026, 3, 11)
    assert extract("text", "  hello  ", "en") == "hello"
    assert extract("text", "   ", "en") is None
    with pytest.raises(ValueError, match="unknown slot kind"):
        extract("colour", "red", "en")


LANGUAGES = st.sampled_from(["en", "zh", "zh-CN", "ko", "fr"])
NUMBERISH = st.lists(
    st.sampled_from(
        [
            "one",
            "two",
            "twenty",
            "hundred",
            "thousand",
            "and",
            "oh",
            "double",
            "triple",
            "to",
            "nineteen",
            "million",
            "5th",
            "march",
            "next",
            "monday",
            "一",
            "十",
            "百",
            "万",
            "亿",
            "两",
            "年",
            "月",
            "号",
            "周",
            "下",
            "不",
            "是",
            "/",
            "-",
            "2026",
            "31",
            "99999999999",
            "0",
            "²",
            "٣",
            "①",
            " ",
        ]
    ),
    max_size=12,
).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(
    text=st.one_of(st.text(max_size=60), NUMBERISH),
    language=LANGUAGES,
    kind=st.sampled_from(sorted(SLOT_KINDS)),
)
def test_parsers_never_raise(text, language, kind):
    result = extract(kind, text, language, today=TODAY)
    assert result is None or isinstance(result, str | int | bool | datetime.date)
    if kind == "digits" and result is not None:
        assert result.isdigit() and result.isascii()


@settings(max_examples=200, deadline=None)
@given(text=NUMBERISH, today=st.dates(), language=LANGUAGES)
def test_dates_never_raise_near_the_ends_of_the_calendar(text, today, language):
    result = parse_date(text, language, today)
    assert result is None or isinstance(result, datetime.date)


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("是的，都不行", "zh", True),  # the answer comes first; 不行 describes the devices
        ("对，家里所有的都不行", "zh", True),
        ("no, the phones are fine", "en", False),  # "fine" describes the phones
        ("yes, none of them work", "en", True),
        ("不是，只有手机", "zh", False),
    ],
)
def test_a_first_clause_that_only_answers_decides(text, language, expected):
    assert parse_yes_no(text, language) is expected


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("sure, but not today", "en", None),  # a yes taken back by a contrast: neither
        ("that's right, but no", "en", None),
        ("fine, no", "en", None),  # the next clause answers the other way
        ("是的，不过今天不行", "zh", None),
        ("no, but thanks", "en", False),  # a no stays a no
    ],
)
def test_a_leading_answer_taken_back_decides_nothing(text, language, expected):
    assert parse_yes_no(text, language) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("only the TV box, the phones are fine", None), ("that is correct", True), ("fine", True)],
)
def test_describing_yes_words_count_only_near_the_start_of_a_clause(text, expected):
    assert parse_yes_no(text, "en") is expected


ALL_DEVICES = {
    "en": {True: ["all", "every", "everything"], False: ["only", "just"]},
    "zh": {True: ["所有", "都", "每"], False: ["只有", "就"]},
}


@pytest.mark.parametrize(
    ("text", "language", "answer"),
    [
        ("only the laptop, the phones work", "en", False),  # the question's own words answer it
        ("every single one of them", "en", True),
        ("just my phone", "en", False),
        ("yes, just the laptop", "en", True),  # one word of the question's own does not outweigh a yes
        ("yes, it just keeps dropping", "en", True),
        ("yes, all of them", "en", True),
        ("no, just my phone", "en", False),
        ("I'm not sure, I've only tried the phone", "en", None),  # unsure stays unsure
        ("all of them, but only since this morning", "en", None),  # both sides: the general reading
        ("只有电视连不上", "zh", False),
        ("不是，只有手机", "zh", False),  # 不 turns round only its own clause
        ("家里每台都上不去", "zh", True),  # not 不 of 上不去: the question's words answer it
    ],
)
def test_a_question_s_own_answer_words(text, language, answer):
    assert parse_yes_no(text, language, ALL_DEVICES[language]) is answer
    assert extract("yes_no", text, language, own=ALL_DEVICES[language]) is answer


def test_without_own_words_the_scope_words_say_nothing():
    assert parse_yes_no("every single one of them", "en") is None


@pytest.mark.parametrize(
    ("text", "language", "digits"),
    [
        ("one two three, no sorry, one two four five six seven", "en", "124567"),
        ("four one, no wait, four two one five", "en", "4215"),
        ("one two three, sorry, one two four five six", "en", "12456"),  # a restart
        ("one two three, sorry, four five six", "en", "123456"),  # a pause, not a correction
        ("no, it's one two three four five six", "en", "123456"),  # nothing before the "no"
        ("一二三，不对，是一二四五六七八", "zh", "1245678"),
        ("four four four, sorry, four five six", "en", "444456"),  # not the same beginning: no restart
        ("zero seven seven, sorry, zero one two three", "en", "0770123"),
        (
            "one two three four five six, I mean the one on my bill",
            "en",
            "123456",
        ),  # "the one" is a pronoun: no digit, so no correction
    ],
)
def test_after_a_correction_only_the_digits_that_follow_count(text, language, digits):
    assert parse_digits(text, language) == digits


@pytest.mark.parametrize(
    ("text", "answer"), [("你们到底有没有人管啊", None), ("是不是所有设备", None), ("不不不", False)]
)
def test_a_chinese_a_not_a_question_is_neither_yes_nor_no(text, answer):
    assert parse_yes_no(text, "zh") is answer


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("好像是吧，电脑也上不了", True),  # a hedged yes, then what else does not work
        ("我觉得不是，只有手机", False),
        ("应该是的", True),
        ("好像有点慢，手机也不行", None),  # a hedge before no answer word hedges nothing
    ],
)
def test_a_chinese_hedge_before_yes_or_no_keeps_the_answer(text, answer):
    assert parse_yes_no(text, "zh") is answer
