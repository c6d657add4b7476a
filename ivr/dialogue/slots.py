"""Slot extraction from transcripts: digit strings, quantities, yes/no and dates, in English and Chinese.

How this works: English number words are read left to right into groups. A group grows while the next
word can extend it ("twenty" + "five", "one hundred" + "and five", "two thousand" + ...) and a word that
cannot extend it starts a new group ("one two three" is three groups). Digit strings join the groups'
values in order; a quantity is the first group. "oh"/"o" count as zero only next to other digits, so
"oh, my number is ..." adds no zero. Chinese numerals are read per run of numeral characters: a run with
十/百/千/万 is one quantity, a run without is one digit per character. Dates live in ivr.dialogue.dates
(re-exported here as parse_date), yes and no in ivr.dialogue.yes_no (re-exported as parse_yes_no); the word
tables and Chinese numeral readers in ivr.dialogue.numerals.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence

from ivr.dialogue.corrections import after_correction, part_corrected
from ivr.dialogue.dates import CN_WEEKDAYS as CN_WEEKDAYS
from ivr.dialogue.dates import MONTHS as MONTHS
from ivr.dialogue.dates import ORDINALS as ORDINALS
from ivr.dialogue.dates import WEEKDAYS as WEEKDAYS
from ivr.dialogue.dates import parse_date
from ivr.dialogue.numerals import (
    _CN_RUN,
    _EN,
    _ZH,
    CN_BIG,
    CN_UNITS,
    HOMOPHONES,
    MAX_TEXT,
    PRONOUN_ONE_AFTER,
    REPEATS,
    SCALES,
    TEENS,
    TENS,
    UNITS,
    ZERO_SOUNDS,
    _cn_digits,
    _cn_value,
    cn_to_int,
)
from ivr.dialogue.numerals import (
    CN_DIGITS as CN_DIGITS,
)
from ivr.dialogue.text import compact, is_chinese, normalise, tokens
from ivr.dialogue.yes_no import beside_the_answer as beside_the_answer
from ivr.dialogue.yes_no import opens_with_no as opens_with_no
from ivr.dialogue.yes_no import parse_yes_no as parse_yes_no
from ivr.dialogue.yes_no import split_clarifying as split_clarifying

_THOUSANDS_COMMA = re.compile(r"(?<=\d),(?=\d{3}\b)")
# "four thousand and ten" as a recogniser writes it: a round number, "and", a number that fits its zeros
_ROUND_AND = re.compile(r"\b([1-9]\d*?)(0{2,}) and (\d+)\b", re.IGNORECASE)


def _joined_round(match: re.Match[str]) -> str:
    """ "4000 and 10" → "4010" when the small number fits in the zeros; the text as it was otherwise."""
    head, zeros, small = match.groups()
    if len(small) > len(zeros) or (small.startswith("0") and small != "0"):  # "100 and 05": digits said
        return match.group(0)
    return str(int(head + zeros) + int(small))


class _Group:
    """One spoken number being read: its value and what the next word may still add."""

    def __init__(self, value: int, cap: int, text: str | None = None):
        self.total = 0  # the part already closed by a scale word (thousand, million)
        self.current = value
        self.cap = cap  # the next additive word must be below this to extend the group
        self.text = text  # set for literal digit strings, which keep leading zeros

    @property
    def value(self) -> int:
        return self.total + self.current

    def digits(self) -> str:
        return self.text if self.text is not None else str(self.value)

    def extend(self, word: str) -> bool:
        """Add `word` to this group if English number grammar allows; False means a new group starts."""
        if self.text is not None:
            return False
        add = UNITS.get(word, TEENS.get(word, TENS.get(word)))
        if add is not None and add != 0:
            if (add >= 10 and self.cap < 100) or add >= self.cap:
                return False
            self.current += add
            self.cap = 10 if word in TENS else 0
            return True
        if word == "hundred":
            if not 0 < self.current < 100 or self.cap not in (0, 10):
                return False
            self.current *= 100
            self.cap = 100
            return True
        scale = SCALES.get(word)
        if scale is not None and self.current > 0 and self.value < scale:
            self.total, self.current, self.cap = self.value * scale, 0, scale
            return True
        return False


def _english_groups(words: list[str]) -> list[_Group]:
    """Read number groups from words; other words are skipped and close the group being read."""
    groups: list[_Group] = []
    open_group: _Group | None = None
    repeat = 1
    for i, word in enumerate(words):
        prev_digit = i > 0 and _is_digit_word(words[i - 1])
        next_digit = i + 1 < len(words) and _is_digit_word(words[i + 1])
        if word == "and" and open_group is not None and open_group.cap >= 100 and next_digit:
            continue
        if open_group is not None and repeat == 1 and open_group.extend(word):
            continue
        # after "double" an "oh" is a zero ("double oh seven"), as after a digit
        after = words[i + 1] if i + 1 < len(words) else ""
        group = _start_group(word, prev_digit or repeat > 1, words[i - 1] if i else "", after)
        next_zero = i + 1 < len(words) and words[i + 1] in ZERO_SOUNDS
        if word in REPEATS and (next_digit or next_zero):
            repeat = REPEATS[word]
            open_group = None
            continue
        if group is None:
            open_group, repeat = None, 1
            continue
        for _ in range(repeat if group.text is not None or group.value < 10 else 1):
            groups.append(group)
        open_group = None if repeat > 1 else group
        repeat = 1
    return groups


def _start_group(word: str, prev_digit: bool, prev: str, after: str) -> _Group | None:
    """A new group for a number word or digit string, or None for any other word."""
    if word.isdecimal():
        return _Group(int(word), 0, text=_cn_digits(word))
    next_digit = _is_digit_word(after)
    number_after = next_digit or after in ZERO_SOUNDS or after in REPEATS  # "the one oh four", "one double"
    if word == "one" and prev in PRONOUN_ONE_AFTER and not number_after:
        return None  # "the one on the bill", "that one": a pronoun, not a digit
    if word in UNITS:
        return _Group(UNITS[word], 0, text="0" if word == "zero" else None)
    if word in TEENS:
        return _Group(TEENS[word], 0)
    if word in TENS:
        return _Group(TENS[word], 10)
    if word == "hundred" and prev in ("a", "one"):
        return _Group(100, 100)
    if word in ZERO_SOUNDS and (prev_digit or next_digit):
        return _Group(0, 0, text="0")
    if word in HOMOPHONES and prev_digit and next_digit:
        return _Group(HOMOPHONES[word], 0)
    return None


def _is_digit_word(word: str) -> bool:
    return word.isdecimal() or word in UNITS or word in TEENS or word in TENS


def _english_words(text: str) -> list[str]:
    """Normalised words with digits split from letters ("5th" stays a word; "a1b" does not matter)."""
    text = _ROUND_AND.sub(_joined_round, _THOUSANDS_COMMA.sub("", text[:MAX_TEXT]))
    return normalise(text, "en").split()


_CN_NOT_NUMBER = re.compile(f"(?<![零〇一二三四五六七八九十幺两])(?:{'|'.join(_ZH['not_numbers'])})")


# "两个八，三个五" (two eights, three fives): a digit said so many times over
# not inside a larger number (十二个八) and not a digit that starts a word (两个三星手机, 两个一样的)
_CN_REPEATED = re.compile(
    "(?<![十百千万])([两二三四五])个([零〇一幺二两三四五六七八九])"
    "(?=[零〇一幺二两三四五六七八九，,。、\\s]|$)"
)
_CN_TIMES = {"两": 2, "二": 2, "三": 3, "四": 4, "五": 5}


def _cn_repeats(said: str) -> str:
    """Chinese text with each "n个<digit>" written out as the digit n times (两个八 → 八八)."""
    return _CN_REPEATED.sub(lambda m: m[2] * _CN_TIMES[m[1]], said)


def _chinese_groups(text: str) -> list[str]:
    """Digit strings in Chinese text: each numeral run read as a quantity or digit by digit."""
    said = _CN_NOT_NUMBER.sub("，", _cn_repeats(compact(text[:MAX_TEXT], "zh")))
    runs = _CN_RUN.findall(said)
    return [
        _cn_digits(r) if not any(c in CN_UNITS or c in CN_BIG for c in r) else str(cn_to_int(r)) for r in runs
    ]


def parse_digits(text: str, language: str) -> str | None:
    """All digits the caller said, in order ("one two three" → "123", "二十五" → "25"); None if none.

    After a correction only what follows counts: "one two three, no, one two four" → "124".
    """
    return after_correction(text[:MAX_TEXT], language, _all_digits)


def said_twice(digits: str) -> str | None:
    """The number when `digits` is one number said twice over ("7401 7401" → "7401"), else None."""
    half = len(digits) // 2
    return digits[:half] if half and digits[:half] == digits[half:] else None


def asks_again(text: str, language: str) -> bool:
    """A request to the bot to say it again ("can you say that again", 可以再说一遍吗)."""
    if is_chinese(language):
        said = compact(text[:MAX_TEXT], "zh")
        return any(p in said for p in _ZH["asks_again"])
    said = f" {normalise(text[:MAX_TEXT], language)} "
    return any(f" {p} " in said for p in _EN["asks_again"])


def names_and_digits(text: str, language: str, question: str) -> bool:
    """The text names what the question asks for and says digits, and nothing else but fillers
    ("postcode is 2010", 邮编是2010; not "since 2023", nor "my account number is ..." to a postcode)."""
    if is_chinese(language):
        said = compact(text[:MAX_TEXT], "zh")
        for short, full in _ZH["short_names"].items():
            said = said.replace(short, full)
        names = sorted(
            {question[i : i + n] for n in (4, 3, 2) for i in range(len(question) - n + 1)}, key=len
        )
        named = [n for n in reversed(names) if n in said and not _CN_RUN.fullmatch(n)]
        for name in named:
            said = said.replace(name, "")
        return bool(named) and only_digits(said, language)
    asked = {w for w in tokens(question, language) if len(w) > 3}
    words = _english_words(text)
    kept = [w for w in words if w not in asked]
    return len(kept) < len(words) and only_digits(" ".join(kept), language)


def corrected_part(text: str, language: str, read_back: str) -> tuple[int, str] | None:
    """Where the caller names a part of the number read back, and the number with that part said again
    ("no, the last bit is six eight"), or None."""
    return part_corrected(text[:MAX_TEXT], language, read_back, _all_digits, only_digits)


def _all_digits(text: str, language: str) -> str | None:
    """Every digit said, in order."""
    if is_chinese(language):
        parts = _chinese_groups(text)
        latin = [t for t in tokens(text[:MAX_TEXT], language) if t.isascii()]
        if not parts and latin:
            parts = [g.digits() for g in _english_groups(latin)]
    else:
        parts = [g.digits() for g in _english_groups(_english_words(text))]
    joined = "".join(parts)
    return joined or None


def only_digits(text: str, language: str) -> bool:
    """The turn says digits and nothing else but fillers ("one two three", "um, four five", 账号是一二三)."""
    if is_chinese(language):
        rest = _CN_RUN.sub("", _cn_repeats(compact(text[:MAX_TEXT], "zh")))
        for filler in _ZH["digit_fillers"]:
            rest = rest.replace(filler, "")
        return bool(_chinese_groups(text)) and not rest
    words = _english_words(text)
    spoken = (
        set(_EN["units"])
        | set(_EN["teens"])
        | set(_EN["tens"])
        | set(_EN["repeats"])
        | set(_EN["zero_sounds"])
    )
    fillers = set(_EN["digit_fillers"])
    return any(w.isdigit() or w in spoken for w in words) and all(
        w.isdigit() or w in spoken or w in fillers for w in words
    )


def parse_number(text: str, language: str) -> int | None:
    """A quantity: the first number said ("twenty five" → 25, "三百" → 300); None if there is none."""
    if is_chinese(language):
        values = (_cn_value(run) for run in _CN_RUN.findall(compact(text[:MAX_TEXT], "zh")))
        return next((v for v in values if v is not None), None)
    for group in _english_groups(_english_words(text)):
        return group.value
    return None


SLOT_KINDS: frozenset[str] = frozenset({"digits", "number", "yes_no", "date", "text"})


def extract(
    kind: str,
    text: str,
    language: str,
    *,
    today: datetime.date | None = None,
    own: Mapping[bool, Sequence[str]] | None = None,
) -> object | None:
    """Extract a slot of `kind` (one of SLOT_KINDS) from a transcript; ValueError for an unknown kind."""
    if kind not in SLOT_KINDS:
        raise ValueError(f"unknown slot kind {kind!r}; expected one of {sorted(SLOT_KINDS)}")
    if kind == "date":
        return parse_date(text, language, today or datetime.date.today())
    if kind == "text":
        return text.strip() or None
    if kind == "yes_no":
        return parse_yes_no(text, language, own)
    return {"digits": parse_digits, "number": parse_number}[kind](text, language)
