"""Date slots from transcripts, in English and Chinese.

How this works: numeric forms first (2026-03-05, 3/5), then relative words (tomorrow, 明天), weekdays
(next friday, 下周五), then month and day (march fifth, 3月5日); a month-day without a year is the next
occurrence, and a date that does not exist (31 April) is None.
"""

from __future__ import annotations

import datetime
import re
import unicodedata

from ivr.dialogue.numerals import _EN, _ZH, MAX_TEXT, TEENS, TENS, UNITS, _cn_value
from ivr.dialogue.text import compact, is_chinese, is_cjk, normalise

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
    """A date in English text: numeric, relative, weekday, then month and day."""
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
    """A date in Chinese text: 年月日, relative words, 周/星期 weekdays, then a bare 日/号 day."""
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
