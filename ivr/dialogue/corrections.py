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

from ivr.dialogue.numerals import _EN, _ZH
from ivr.dialogue.text import is_chinese


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


def _part_marks(language: str, key: str) -> re.Pattern[str]:
    """A pattern for the words that say which part of a number follows (`ends` or `starts`)."""
    words = sorted((_ZH if is_chinese(language) else _EN)[key], key=len, reverse=True)
    alternatives = "|".join(map(re.escape, words))
    return re.compile(alternatives if is_chinese(language) else rf"\b(?:{alternatives})\b", re.IGNORECASE)


def part_corrected(
    text: str, language: str, read_back: str, digits_of: Callable[[str, str], str | None]
) -> str | None:
    """The number read back with its end or start said again ("the last bit is six eight"), or None."""
    for key in ("ends", "starts"):
        mark = _part_marks(language, key).search(text.replace("’", "'"))
        said = digits_of(text[mark.end() :], language) if mark else None
        if said and len(said) < len(read_back):
            return read_back[: -len(said)] + said if key == "ends" else said + read_back[len(said) :]
    return None
