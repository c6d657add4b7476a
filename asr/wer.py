"""Word error rate with a transcript normaliser, so "Press 1." and "press one" count as the same words."""

from __future__ import annotations

import re
from collections.abc import Sequence

_ONES = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
)  # fmt: skip
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_SCALES = ((1_000_000_000, "billion"), (1_000_000, "million"), (1000, "thousand"), (100, "hundred"))
_ORDINAL_WORDS = {
    "one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
    "nine": "ninth", "twelve": "twelfth",
}  # fmt: skip
# Both spellings occur in prompts and in engine output; count them as one word.
_SPELLING = {"ok": "okay", "fourtieth": "fortieth", "umute": "unmute", "thru": "through"}
_MAX_DIGITS = 12  # longer digit runs are read digit by digit, like phone numbers

_ACRONYM = re.compile(r"\b(?:[^\W\d_]\.){2,}")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
_NUMBER = re.compile(r"(\d+)(?:\.(\d+))?(st|nd|rd|th)?")
_CLOCK = re.compile(r"\b(\d{1,2}):(\d{2})\b")
_NOT_WORD = re.compile(r"[^\w\s']|_")


def number_to_words(n: int) -> str:
    """English words for a non-negative integer ("one hundred twenty three")."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    for value, name in _SCALES:
        if n >= value:
            rest = n % value
            return f"{number_to_words(n // value)} {name}" + (f" {number_to_words(rest)}" if rest else "")
    raise AssertionError("unreachable")


def _ordinal(words: str) -> str:
    """Turn the last word of a cardinal into its ordinal ("twenty one" -> "twenty first")."""
    head, _, last = words.rpartition(" ")
    if last in _ORDINAL_WORDS:
        last = _ORDINAL_WORDS[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return f"{head} {last}".strip()


def _spell_number(match: re.Match[str]) -> str:
    """Replacement for one number token: cardinal, ordinal or decimal."""
    digits, decimals, suffix = match.groups()
    if len(digits) > _MAX_DIGITS:
        words = " ".join(_ONES[int(d)] for d in digits)
    else:
        words = number_to_words(int(digits))
    if decimals:
        words += " point " + " ".join(_ONES[int(d)] for d in decimals)
    elif suffix:
        words = _ordinal(words)
    return f" {words} "


def normalize(text: str) -> list[str]:
    """Lowercased words without punctuation, digits spelled out, hyphenated words split."""
    text = text.lower().replace("&", " and ").replace("%", " percent ")
    text = _ACRONYM.sub(lambda m: m.group().replace(".", ""), text)
    text = _CLOCK.sub(lambda m: f"{m.group(1)} {m.group(2) if m.group(2) != '00' else ''}", text)
    text = _NUMBER.sub(_spell_number, _THOUSANDS.sub("", text))
    words = []
    for raw in _NOT_WORD.sub(" ", text).split():
        word = raw.strip("'")
        if word:
            words.append(_SPELLING.get(word, word))
    return words


def word_errors(ref: Sequence[str], hyp: Sequence[str]) -> int:
    """Levenshtein distance between two word lists (substitutions + deletions + insertions)."""
    previous = list(range(len(hyp) + 1))
    for i, ref_word in enumerate(ref, 1):
        current = [i]
        for j, hyp_word in enumerate(hyp, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_word != hyp_word)))
        previous = current
    return previous[-1]


def word_error_rate(refs: Sequence[str] | str, hyps: Sequence[str] | str) -> float:
    """Summed word errors over summed reference words, after normalize(); 0.0 for two empty corpora."""
    refs = [refs] if isinstance(refs, str) else list(refs)
    hyps = [hyps] if isinstance(hyps, str) else list(hyps)
    if len(refs) != len(hyps):
        raise ValueError(f"{len(refs)} references but {len(hyps)} hypotheses")
    errors = total = 0
    for ref, hyp in zip(refs, hyps, strict=True):
        ref_words = normalize(ref)
        errors += word_errors(ref_words, normalize(hyp))
        total += len(ref_words)
    if total == 0:
        return 0.0 if errors == 0 else 1.0
    return errors / total
