"""Slot extraction from transcripts: digit strings, quantities, yes/no and dates, in English and Chinese.

How this works: English number words are read left to right into groups. A group grows while the next
word can extend it ("twenty" + "five", "one hundred" + "and five", "two thousand" + ...) and a word that
cannot extend it starts a new group ("one two three" is three groups). Digit strings join the groups'
values in order; a quantity is the first group. "oh"/"o" count as zero only next to other digits, so
"oh, my number is ..." adds no zero. Chinese numerals are read per run of numeral characters: a run with
十/百/千/万 is one quantity, a run without is one digit per character. Dates live in ivr.dialogue.dates
(re-exported here as parse_date); the word tables and Chinese numeral readers in ivr.dialogue.numerals.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence

from ivr.dialogue.corrections import after_correction
from ivr.dialogue.dates import CN_WEEKDAYS as CN_WEEKDAYS
from ivr.dialogue.dates import MONTHS as MONTHS
from ivr.dialogue.dates import ORDINALS as ORDINALS
from ivr.dialogue.dates import WEEKDAYS as WEEKDAYS
from ivr.dialogue.dates import parse_date
from ivr.dialogue.numerals import (
    _CN_RUN,
    _EN,
    _KO,
    _ZH,
    CN_BIG,
    CN_UNITS,
    HOMOPHONES,
    MAX_TEXT,
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
from ivr.dialogue.text import CLAUSE_BREAKS, CONTRASTS, compact, is_chinese, normalise, tokens

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
        group = _start_group(word, prev_digit or repeat > 1, next_digit, words[i - 1] if i else "")
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
    text = _ROUND_AND.sub(_joined_round, _THOUSANDS_COMMA.sub("", text[:MAX_TEXT]))
    return normalise(text, "en").split()


def _chinese_groups(text: str) -> list[str]:
    """Digit strings in Chinese text: each numeral run read as a quantity or digit by digit."""
    runs = _CN_RUN.findall(compact(text[:MAX_TEXT], "zh"))
    return [
        _cn_digits(r) if not any(c in CN_UNITS or c in CN_BIG for c in r) else str(cn_to_int(r)) for r in runs
    ]


def parse_digits(text: str, language: str) -> str | None:
    """All digits the caller said, in order ("one two three" → "123", "二十五" → "25"); None if none.

    After a correction only what follows counts: "one two three, no, one two four" → "124".
    """
    return after_correction(text[:MAX_TEXT], language, _all_digits)


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
        rest = _CN_RUN.sub("", compact(text[:MAX_TEXT], "zh"))
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


YES_EN = frozenset(_EN["yes"])
NO_EN = frozenset(_EN["no"])
NEGATORS_EN = frozenset(_EN["negators"])
# Longest first so 不对 is read before 对 and 没错 before 没.
ZH_POLARITY = sorted(
    [(w, True) for w in _ZH["yes"]] + [(w, False) for w in _ZH["no"]], key=lambda p: -len(p[0])
)
WEAK_YES = frozenset(_EN["weak_yes"])
LEADING_ONLY = frozenset(_EN["leading_only"])
LEADING_WORDS = 3  # how near a clause's start a leading-only yes-word must stand to be an answer
# Words a clause that only answers yes or no may consist of ("oh yes", "no thanks", "that's right").
ANSWER_WORDS = (
    YES_EN
    | NO_EN
    | WEAK_YES
    | {w for p in _EN["yes_phrases"] + _EN["no_phrases"] for w in p.split()}
    | {"um", "uh", "er", "oh", "well", "please"}
)


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
        if word in YES_EN and (word not in LEADING_ONLY or i < LEADING_WORDS):
            found.append(not negated)
        elif word in NO_EN:
            found.append(False)
    return found


# A question of the A-not-A form (有没有, 是不是, 可不可以) says neither yes nor no.
_A_NOT_A = re.compile(r"([^\W不没])(?:\w)?[不没]\1")


def _chinese_polarity(text: str) -> list[bool]:
    """Polarity signals from a greedy longest-first scan of the Chinese characters."""
    text = _A_NOT_A.sub("，", text)
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


def _polarity(norm: str) -> list[bool]:
    """Every yes/no signal in normalised text (English words and phrases, Korean, Chinese characters)."""
    words = norm.split()
    return _english_polarity(words) + _korean_polarity(words) + _chinese_polarity(norm.replace(" ", ""))


# A clause after a leading yes that starts with one of these takes it back: "sure, but not today".
# "though" only here: it can lead a clause ("yes, though not that one"), but at the end of a turn ("it
# works though") it turns nothing round, so sentiment does not count it.
CONTRAST = (*CONTRASTS["en"], "though", *CONTRASTS["zh"])


def _unhedged(clause: str) -> str:
    """A normalised clause without a hedge just before its yes or no (好像是吧 is 是吧, 我觉得不是 不是)."""
    for hedge in _ZH["hedges"]:
        rest = clause[len(hedge) :]
        if clause.startswith(hedge) and rest.startswith(tuple(w for w, _ in ZH_POLARITY)):
            return rest
    return clause


def _bare_answer(clause: str) -> bool | None:
    """The polarity of a normalised clause that is nothing but a yes or a no, else None."""
    clause = _unhedged(clause)
    signals = _polarity(clause)
    if not clause or not signals or len(set(signals)) != 1:
        return None
    rest = clause.replace(" ", "")
    for word, _ in ZH_POLARITY:
        rest = rest.replace(word, "")
    answer_only = not rest.strip("啊呀吧嗯恩哦") or all(w in ANSWER_WORDS for w in clause.split())
    return signals[0] if answer_only else None


def _leading_answer(text: str, language: str) -> tuple[bool | None, bool]:
    """(polarity, taken back) of a first clause that is nothing but a yes or a no ("是的，都不行").

    Taken back: the next clause contrasts or answers the other way ("sure, but not today", "fine, no").
    """
    parts = CLAUSE_BREAKS.split(text, maxsplit=1)
    if len(parts) < 2:
        return None, False
    lead = _bare_answer(normalise(parts[0], language))
    second = normalise(CLAUSE_BREAKS.split(parts[1], maxsplit=1)[0], language)
    if lead is None:
        return None, False
    return lead, (lead and second.startswith(CONTRAST)) or _bare_answer(second) == (not lead)


OWN_NEGATORS = {
    "en": ("not", "dont", "doesnt", "isnt", "arent", "wasnt", "never"),
    "zh": ("不", "没", "并非"),
}
OWN_NEGATOR_REACH = 3  # words (characters in Chinese) from a negator to the answer word it turns round


def _own_answer(text: str, language: str, own: Mapping[bool, Sequence[str]]) -> bool | None:
    """The question's own answer words in the text: yes or no when only one side's are there.

    A negator just before one turns it round: "not all of them" is a no, 不只是我的手机 a yes.
    """
    chinese = is_chinese(language)
    negators = OWN_NEGATORS["zh" if chinese else "en"]
    found = set()
    for clause in CLAUSE_BREAKS.split(text):  # a negator turns round only its own clause: 不是，只有手机
        norm = normalise(clause, language)
        units = list(norm.replace(" ", "")) if chinese else norm.split()
        for answer, words in own.items():
            for word in words:
                wanted = list(word) if chinese else normalise(word, language).split()
                for at in range(len(units) - len(wanted) + 1):
                    if units[at : at + len(wanted)] != wanted:
                        continue
                    before = units[max(0, at - OWN_NEGATOR_REACH) : at]
                    turned = (
                        any(n in "".join(before) for n in negators)
                        if chinese
                        else bool(set(before) & set(negators))
                    )
                    found.add(answer != turned)
    return found.pop() if len(found) == 1 else None


def _phrase(word: str, language: str) -> bool:
    """An answer of several words (three characters or more in Chinese): "something else", 就手机."""
    return len(word) >= 3 if is_chinese(language) else len(word.split()) >= 2


def parse_yes_no(text: str, language: str, own: Mapping[bool, Sequence[str]] | None = None) -> bool | None:
    """True for yes, False for no, None when unclear or when both are heard.

    `own` are words that answer this particular question (a step's `answers`): for "is it on all your
    devices?", "only my phone" is a no and "every one of them" a yes. After a leading yes or no only
    their phrases of several words count ("yeah, it's something else").
    """
    norm = normalise(text[:MAX_TEXT], language)
    words = norm.split()
    if any(f" {p} " in f" {norm} " for p in _EN["unclear"]) or any(p in norm for p in _ZH["unclear"]):
        return None
    lead, taken_back = _leading_answer(text[:MAX_TEXT], language)
    if taken_back:
        return None  # "sure, but not today": neither a yes nor a no to act on
    if own and lead is not None:
        # An answer phrase of the question's own says more than a leading "yeah", which callers also use
        # to take the turn: "yeah, it's something else" to "the same issue as last time?" is a no. Single
        # words do not: "yes, it just keeps dropping" is a yes to "all your devices?".
        phrases = {a: [w for w in words if _phrase(w, language)] for a, words in own.items()}
        said = _own_answer(text[:MAX_TEXT], language, phrases)
        return lead if said is None else said
    if lead is not None:
        return lead  # "yes, none of them work": the answer comes first, the rest describes
    said = _own_answer(text[:MAX_TEXT], language, own) if own else None
    if said is not None:
        return said
    signals = _polarity(_unhedged(norm))
    if not signals:
        weak = any(w in WEAK_YES for w in words) or norm.startswith(tuple(_ZH["weak_yes"]))
        return True if weak else None
    if all(signals):
        return True
    if not any(signals):
        return False
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
