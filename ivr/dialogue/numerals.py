"""Number word tables (lexicons/slot_words.yaml) and Chinese numeral reading, shared by slots and dates."""

from __future__ import annotations

import re
from pathlib import Path

import yaml


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
PRONOUN_ONE_AFTER = frozenset(_EN["pronoun_one_after"])
HOMOPHONES: dict[str, int] = _EN["homophones"]
CN_DIGITS: dict[str, int] = _ZH["digits"]
CN_UNITS: dict[str, int] = _ZH["units"]
CN_BIG: dict[str, int] = _ZH["big"]
MAX_TEXT = 2000  # transcripts are short; bound the work on anything longer


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
