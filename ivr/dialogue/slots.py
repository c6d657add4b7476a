"""Slot extraction from transcripts: digit strings, quantities, yes/no and dates, in English and Chinese.

How this works: English number words are read left to right into groups. A group grows while the next
word can extend it ("twenty" + "five", "one hundred" + "and five", "two thousand" + ...) and a word that
cannot extend it starts a new group ("one two three" is three groups). Digit strings join the groups'
values in order; a quantity is the first group. "oh"/"o" count as zero only next to other digits, so
"oh, my number is ..." adds no zero. Chinese numerals are read per run of numeral characters: a run with
十/百/千/万 is one quantity, a run without is one digit per character. Dates: numeric forms first,
then relative words, weekdays, then month and day; a month-day without a year is the next occurrence.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from pathlib import Path

import yaml

from ivr.dialogue.text import compact, is_chinese, is_cjk, normalise, tokens


def _load_words() -> dict[str, dict]:
    """The word tables, read once at import; every word must be a string (YAML 1.1 reads bare no as False)."""
    data = yaml.safe_load((Path(__file__).parent / "lexicons" / "slot_words.yaml").read_text("utf-8"))
    for table in data.values():
        for name, words in table.items():
            if not all(isinstance(w, str) for w in words):
                raise RuntimeError(f"slot_words.yaml: {name}: every word must be a quoted string")
    return data


_EN, _ZH, _KO = (lambda d: (d["en"], d["zh"], d["ko"]))(_load_words())
UNITS: dict[str, int] = _EN["units"]
TEENS: dict[str, int] = _EN["teens"]
TENS: dict[str, int] = _EN["tens"]
SCALES: dict[str, int] = _EN["scales"]
REPEATS: dict[str, int] = _EN["repeats"]
ZERO_SOUNDS = frozenset(_EN["zero_sounds"])
HOMOPHONES: dict[str, int] = _EN["homophones"]
CN_DIGITS: dict[str, int] = _ZH["digits"]
CN_UNITS: dict[str, int] = _ZH["units"]
CN_BIG: dict[str, int] = _ZH["big"]
MAX_TEXT = 2000  # transcripts are short; bound the work on anything longer

_THOUSANDS_COMMA = re.compile(r"(?<=\d),(?=\d{3}\b)")


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
        group = _start_group(word, prev_digit, next_digit, words[i - 1] if i else "")
        if word in REPEATS and next_digit:
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


def _start_group(word: str, prev_digit: bool, next_digit: bool, prev: str) -> _Group | None:
    """A new group for a number word or digit string, or None for any other word."""
    if word.isdecimal():
        return _Group(int(word), 0, text=_cn_digits(word))
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
    text = _THOUSANDS_COMMA.sub("", text[:MAX_TEXT])
    return normalise(text, "en").split()


def cn_to_int(run: str) -> int | None:
    """The value of a Chinese numeral run with units ("二十五" → 25, "一百零五" → 105), None if malformed."""
    total = section = digit = 0
    seen = False
    for char in run:
        if char in CN_DIGITS:
            digit, seen = CN_DIGITS[char], True
        elif char in CN_UNITS:
            section += (digit or 1) * CN_UNITS[char]
            digit, seen = 0, True
        elif char == "万":
            total += (section + digit or 1) * 10_000
            section = digit = 0
            seen = True
        elif char in CN_BIG:
            total = (total + section + digit or 1) * CN_BIG[char]
            section = digit = 0
            seen = True
        else:
            return None
    return total + section + digit if seen else None


_CN_NUMERAL = "".join(CN_DIGITS) + "".join(CN_UNITS) + "".join(CN_BIG)
_CN_RUN = re.compile(rf"[{_CN_NUMERAL}]+|\d+")


def _cn_digits(run: str) -> str:
    """A numeral run read digit by digit, in ASCII ("一二〇" → "120", "٣4" → "34")."""
    return "".join(str(CN_DIGITS[c]) if c in CN_DIGITS else str(int(c)) for c in run)


def _cn_value(run: str) -> int | None:
    """A numeral run as a number: with 十/百/千/万 a quantity, else read digit by digit (二〇二六 → 2026)."""
    if any(c in CN_UNITS or c in CN_BIG for c in run):
        return cn_to_int(run)
    return int(_cn_digits(run))


def _chinese_groups(text: str) -> list[str]:
    """Digit strings in Chinese text: each numeral run read as a quantity or digit by digit."""
    runs = _CN_RUN.findall(compact(text[:MAX_TEXT], "zh"))
    return [
        _cn_digits(r) if not any(c in CN_UNITS or c in CN_BIG for c in r) else str(cn_to_int(r)) for r in runs
    ]


def parse_digits(text: str, language: str) -> str | None:
    """All digits the caller said, in order ("one two three" → "123", "二十五" → "25"); None if none."""
    if is_chinese(language):
        parts = _chinese_groups(text)
        latin = [t for t in tokens(text[:MAX_TEXT], language) if t.isascii()]
        if not parts and latin:
            parts = [g.digits() for g in _english_groups(latin)]
    else:
        parts = [g.digits() for g in _english_groups(_english_words(text))]
    joined = "".join(parts)
    return joined or None


def parse_number(text: str, language: str) -> int | None:
    """A quantity: the first number said ("twenty five" → 25, "三百" → 300); None if there is none."""
    if is_chinese(language):
        values = (_cn_value(run) for run in _CN_RUN.findall(compact(text[:MAX_TEXT], "zh")))
        return next((v for v in values if v is not None), None)
    for group in _english_groups(_english_words(text)):
        return group.value
    return None


YES_EN = frozenset(_EN["yes"])
NO_EN = frozenset(_EN["no"])
NEGATORS_EN = frozenset(_EN["negators"])
# Longest first so 不对 is read before 对 and 没错 before 没.
ZH_POLARITY = sorted(
    [(w, True) for w in _ZH["yes"]] + [(w, False) for w in _ZH["no"]], key=lambda p: -len(p[0])
)
WEAK_YES = frozenset(_EN["weak_yes"])


def _korean_polarity(words: list[str]) -> list[bool]:
    """네/예 and 맞아요 say yes; 아니요/아니/아뇨 say no (the Vosk test model is Korean)."""
    out = []
    for word in words:
        if word.startswith(tuple(_KO["no_prefixes"])):
            out.append(False)
        elif word in _KO["yes"] or word.startswith(tuple(_KO["yes_prefixes"])):
            out.append(True)
    return out


def _english_polarity(words: list[str]) -> list[bool]:
    """Polarity signals from English words and phrases; a negated yes-word is a no."""
    joined = " " + " ".join(words) + " "
    found = [True for p in _EN["yes_phrases"] if f" {p} " in joined]
    found += [False for p in _EN["no_phrases"] if f" {p} " in joined]
    phrase_words = {
        w for p in _EN["yes_phrases"] + _EN["no_phrases"] if f" {p} " in joined for w in p.split()
    }
    for i, word in enumerate(words):
        if word in phrase_words:
            continue
        negated = any(w in NEGATORS_EN for w in words[max(0, i - 2) : i])
        if word in YES_EN:
            found.append(not negated)
        elif word in NO_EN:
            found.append(False)
    return found


def _chinese_polarity(text: str) -> list[bool]:
    """Polarity signals from a greedy longest-first scan of the Chinese characters."""
    found, i = [], 0
    while i < len(text):
        for word, polarity in ZH_POLARITY:
            if text.startswith(word, i):
                found.append(polarity)
                i += len(word)
                break
        else:
            i += 1
    return found


def parse_yes_no(text: str, language: str) -> bool | None:
    """True for yes, False for no, None when unclear or when both are heard."""
    norm = normalise(text[:MAX_TEXT], language)
    words = norm.split()
    if any(f" {p} " in f" {norm} " for p in _EN["unclear"]) or any(p in norm for p in _ZH["unclear"]):
        return None
    signals = _english_polarity(words) + _korean_polarity(words) + _chinese_polarity(norm.replace(" ", ""))
    if not signals:
        weak = any(w in WEAK_YES for w in words) or norm.startswith(tuple(_ZH["weak_yes"]))
        return True if weak else None
    if all(signals):
        return True
    if not any(signals):
        return False
    return None


MONTHS: dict[str, int] = _EN["months"]
WEEKDAYS: dict[str, int] = _EN["weekdays"]
ORDINALS: dict[str, int] = _EN["ordinals"]
CN_WEEKDAYS: dict[str, int] = _ZH["weekdays"]
_ISO = re.compile(r"\b(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\b")
_US = re.compile(r"\b(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?\b")
_ORDINAL_DIGITS = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?$")
_CN_NUM = "\\d零〇一二三四五六七八九十两"
_ZH_MDY = re.compile(rf"(?:([{_CN_NUM}]{{2,4}})年)?([{_CN_NUM}]{{1,3}})月([{_CN_NUM}]{{1,3}})[日号]?")
_ZH_WEEKDAY = re.compile(r"(上|下|这|本)?(?:个)?(?:周|星期|礼拜)([一二三四五六日天])")
_ZH_DAY = re.compile(rf"([{_CN_NUM}]{{1,3}})[日号]")


def _safe_date(year: int, month: int, day: int) -> datetime.date | None:
    """The date, or None when it does not exist (31 April, month 13)."""
    try:
        return datetime.date(year, month, day)
    except (ValueError, OverflowError):
        return None


def _upcoming(month: int, day: int, today: datetime.date) -> datetime.date | None:
    """The first month/day on or after today (looking up to 8 years ahead for 29 February)."""
    for year in range(today.year, today.year + 9):
        found = _safe_date(year, month, day)
        if found is not None and found >= today:
            return found
    return None


def _resolve(year: int | None, month: int, day: int, today: datetime.date) -> datetime.date | None:
    """A spoken date: the given year (two digits mean 20xx) or the next occurrence."""
    if year is None:
        return _upcoming(month, day, today)
    if year < 100:
        year += 2000
    return _safe_date(year, month, day)


def _day_at(words: list[str], i: int) -> tuple[int, int] | None:
    """A day of the month starting at words[i] as (day, words used): "5", "5th", "fifth", "twenty fifth"."""
    if not 0 <= i < len(words):
        return None
    word, nxt = words[i], words[i + 1] if i + 1 < len(words) else ""
    digits = _ORDINAL_DIGITS.match(word)
    if digits:
        return int(digits.group(1)), 1
    if word in TENS and (nxt in ORDINALS or nxt in UNITS) and TENS[word] <= 30:
        return TENS[word] + ORDINALS.get(nxt, UNITS.get(nxt, 0)), 2
    if word in ORDINALS:
        return ORDINALS[word], 1
    value = UNITS.get(word, TEENS.get(word, TENS.get(word)))
    return (value, 1) if value else None


def _english_month_day(words: list[str], today: datetime.date) -> datetime.date | None:
    """ "march fifth", "march the 5th 2027", "5 march", "the 5th of march"."""
    for i, word in enumerate(words):
        month = MONTHS.get(word)
        if month is None:
            continue
        after = i + 2 if i + 1 < len(words) and words[i + 1] == "the" else i + 1
        found = _day_at(words, after)
        year_at = after + found[1] if found else i + 1
        if found is None:
            before = i - 2 if i >= 1 and words[i - 1] == "of" else i - 1
            found = next((d for start in (before - 1, before) if (d := _day_at(words, start))
                          and start + d[1] == before + 1), None)  # fmt: skip
        if found is None:
            continue
        year = (
            int(words[year_at]) if year_at < len(words) and re.fullmatch(r"\d{4}", words[year_at]) else None
        )
        return _resolve(year, month, found[0], today)
    return None


def _weekday(target: int, today: datetime.date, qualifier: str) -> datetime.date:
    """The weekday on or after today, strictly after for "next", strictly before for "last"."""
    ahead = (target - today.weekday()) % 7
    if qualifier == "next":
        return today + datetime.timedelta(days=ahead or 7)
    if qualifier == "last":
        return today - datetime.timedelta(days=(today.weekday() - target) % 7 or 7)
    return today + datetime.timedelta(days=ahead)


def _english_date(text: str, today: datetime.date) -> datetime.date | None:
    for pattern, order in ((_ISO, (1, 2, 3)), (_US, (3, 1, 2))):
        found = pattern.search(text)
        if found:
            year, month, day = (found.group(k) for k in order)
            return _resolve(int(year) if year else None, int(month), int(day), today)
    norm = " " + normalise(text, "en") + " "
    for phrase, days in _EN["relative"].items():
        if f" {phrase} " in norm:
            return today + datetime.timedelta(days=days)
    words = norm.split()
    for i, word in enumerate(words):
        if word in WEEKDAYS:
            return _weekday(WEEKDAYS[word], today, words[i - 1] if i else "")
    return _english_month_day(words, today)


def _chinese_date(text: str, today: datetime.date) -> datetime.date | None:
    squashed = compact(text, "zh")
    found = _ZH_MDY.search(squashed)
    if found:
        year = _cn_value(found.group(1)) if found.group(1) else None
        month, day = _cn_value(found.group(2)), _cn_value(found.group(3))
        return _resolve(year, month, day, today) if month and day else None
    for phrase, days in _ZH["relative"].items():
        if phrase in squashed:
            return today + datetime.timedelta(days=days)
    weekday = _ZH_WEEKDAY.search(squashed)
    if weekday:
        target, week = CN_WEEKDAYS[weekday.group(2)], {"下": 7, "上": -7}.get(weekday.group(1) or "", 0)
        if week:  # 下周一 is Monday of next calendar week, not merely the next Monday
            return today + datetime.timedelta(days=week + target - today.weekday())
        return _weekday(target, today, "")
    day_only = _ZH_DAY.search(squashed)
    if day_only and (day := _cn_value(day_only.group(1))):
        after = today.replace(day=1) + datetime.timedelta(days=32)
        this_month = day >= today.day
        return _safe_date(*((today.year, today.month) if this_month else (after.year, after.month)), day)
    return None


def parse_date(text: str, language: str, today: datetime.date) -> datetime.date | None:
    """A date: relative words, weekdays, month and day (year defaults to the next occurrence) or numeric."""
    text = unicodedata.normalize("NFKC", text[:MAX_TEXT]).casefold()
    try:
        if is_chinese(language) or any(is_cjk(c) for c in text):
            result = _chinese_date(text, today)
            if result is not None or is_chinese(language):
                return result
        return _english_date(text, today)
    except OverflowError:  # only near date.min/date.max
        return None


SLOT_KINDS: frozenset[str] = frozenset({"digits", "number", "yes_no", "date", "text"})


def extract(kind: str, text: str, language: str, *, today: datetime.date | None = None) -> object | None:
    """Extract a slot of `kind` (one of SLOT_KINDS) from a transcript; ValueError for an unknown kind."""
    if kind not in SLOT_KINDS:
        raise ValueError(f"unknown slot kind {kind!r}; expected one of {sorted(SLOT_KINDS)}")
    if kind == "date":
        return parse_date(text, language, today or datetime.date.today())
    if kind == "text":
        return text.strip() or None
    return {"digits": parse_digits, "number": parse_number, "yes_no": parse_yes_no}[kind](text, language)
