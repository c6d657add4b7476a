"""A caller correcting a number mid-turn: "one two three, no sorry, one two four" keeps what follows.

How this works: the correction words of lexicons/slot_words.yaml (`corrections`: "no", "I mean", 不对...)
and restart words (`restarts`: "sorry", "wait"...) are found in the turn, last first. Where digits stand
both before and after one, and at least two after it, only the digits after it count; after a restart
word only when the number starts again with the same first two digits ("one two three, sorry, one two
four"), since "one two three, sorry, four five six" is one number said with a pause.

`part_corrected` reads a read-back corrected in part: after an end word ("no, the last bit is six eight",
最后两位是六八) the digits said replace as many at the end of the number read back; after a start word
("the first three are one two four") at its start.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from ivr.dialogue.numerals import _EN, _ZH
from ivr.dialogue.text import CLAUSE_BREAKS, is_chinese


def _correction_marks(language: str) -> tuple[re.Pattern[str], frozenset[str]]:
    """A pattern for every correction and restart word of the language, and the restarts among them."""
    table = _ZH if is_chinese(language) else _EN
    words = sorted([*table["corrections"], *table["restarts"]], key=len, reverse=True)
    if is_chinese(language):
        return re.compile("|".join(map(re.escape, words))), frozenset(table["restarts"])
    return re.compile(r"\b(?:" + "|".join(map(re.escape, words)) + r")\b", re.IGNORECASE), frozenset(
        table["restarts"]
    )


def after_correction(text: str, language: str, digits_of: Callable[[str, str], str | None]) -> str | None:
    """The digits of `text` (read by `digits_of`), only those after the caller's last correction."""
    pattern, restarts = _correction_marks(language)
    for mark in reversed(list(pattern.finditer(text.replace("’", "'")))):
        before, after = digits_of(text[: mark.start()], language), digits_of(text[mark.end() :], language)
        # a correction gives at least two digits ("..., I mean the one on my bill" corrects nothing)
        if not before or not after or len(after) < 2:
            continue
        if mark.group(0).lower() not in restarts or after.startswith(before[:2]):
            return after
    return digits_of(text, language)


@cache
def _part_marks(language: str, key: str) -> re.Pattern[str]:
    """A pattern for the words that say which part of a number follows (`ends` or `starts`)."""
    words = sorted((_ZH if is_chinese(language) else _EN)[key], key=len, reverse=True)
    alternatives = "|".join(map(re.escape, words))
    return re.compile(alternatives if is_chinese(language) else rf"\b(?:{alternatives})\b", re.IGNORECASE)


def _count_in(mark: str, language: str) -> int | None:
    """How many digits the part words name ("last two" 2, "last digit" 1, 后两位 2), None if they do not."""
    if is_chinese(language):
        return next((n for c, n in (("一", 1), ("两", 2), ("三", 3), ("四", 4)) if c in mark), None)
    words = mark.lower().split()
    if "digit" in words:
        return 1
    return next((_EN["units"][w] for w in words if w in _EN["units"]), None)


def _part_said(tail: str, language: str, only_digits: Callable[[str, str], bool]) -> str | None:
    """The clause after the part words, without its linking words, if it is nothing but digits."""
    table = _ZH if is_chinese(language) else _EN
    clause = CLAUSE_BREAKS.split(tail, maxsplit=1)[0]
    if is_chinese(language):
        for stop in table["part_stops"]:
            clause = clause.split(stop, 1)[0]
        for link in table["part_links"]:
            clause = clause.removeprefix(link)
    else:
        words = clause.replace("'", " ").split()
        cut = next((i for i, w in enumerate(words) if w.lower() in table["part_stops"]), len(words))
        words = words[:cut]
        while words and words[0].lower() in table["part_links"]:
            words = words[1:]
        clause = " ".join(words)
    return clause if clause.strip() and only_digits(clause, language) else None


def part_corrected(
    text: str,
    language: str,
    read_back: str,
    digits_of: Callable[[str, str], str | None],
    only_digits: Callable[[str, str], bool],
) -> tuple[int, str] | None:
    """Where the part words start and the number read back with that part said again ("the last bit is
    six eight"), or None: the part must be a clause of digits only, shorter than the number."""
    for key in ("ends", "starts"):
        for mark in _part_marks(language, key).finditer(text.replace("’", "'")):
            clause = _part_said(text[mark.end() :], language, only_digits)
            said = digits_of(clause, language) if clause else None
            count = _count_in(mark.group(0), language)
            if not said or len(said) >= len(read_back) or (count is not None and len(said) != count):
                continue
            number = read_back[: -len(said)] + said if key == "ends" else said + read_back[len(said) :]
            return mark.start(), number
    return None
