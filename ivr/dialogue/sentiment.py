"""Lexicon-based sentiment of a caller's turn in [-1, 1] (English and Chinese); the trend is mood_trend's.

How this works: the text is cut into lexicon items, longest entry first (English on words, up to
three-word phrases; Chinese on character substrings; an English word formed from an entry with -ful,
-ly, -ness or -s reads as the entry: "disgraceful" is "disgrace"). Each sentiment item keeps its weight
(-4..+4, the VADER scale), multiplied by the intensifiers just before it ("very", 非常) and by 1.5 when
written in capitals amid lower-case text. A negator just before it ("not", 不), with at most two words
(English) or one character (Chinese) between and in the same clause (punctuation ends one), flips it: a
negated positive turns clearly negative, a negated negative only mildly positive ("not bad"); "never"
with an intensifier after it is a superlative ("never been treated so badly"), not a negation. Word
patterns (`together` in the lexicon) read a word of each group in one clause as one entry: "cancel the
lot" and 把所有业务都停掉 are "cancel everything". Items after "but"/但是 count more than those
before. Each "!" adds intensity. The sum s is squashed to s / sqrt(s² + 15), so one strong word scores
about -0.6.
`read()` also returns the words that made a turn negative, and whether it is strongly negative: a word
of the lexicon's `strong` list (anger, insults, "ridiculous", "complaint", "cancel everything") that
stays negative after negation ("I'm not angry" is not) and is not softened ("a bit rubbish" is mild), or
a total at or below the strong threshold.
Contempt the caller aims at themselves ("I'm hopeless with technology", 我真是个废物: the lexicon's
`of_self` entries just after a `self` word, nobody else named between) counts half and is never strong,
and so does a complaint a named person once made ("my neighbour made a complaint last month").
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

from ivr.dialogue.sentiment_aim import of_others, of_self
from ivr.dialogue.sentiment_lexicon import Item, Lexicon, lexicon
from ivr.dialogue.text import CLAUSE_BREAKS, CONTRASTS, is_chinese, normalise

ALPHA = 15.0  # VADER's normalisation constant for the squash
CAPS_BOOST = 1.5
NEGATED_POSITIVE = -0.74  # "not happy": clearly negative
NEGATED_NEGATIVE = -0.3  # "not bad": mildly positive, never negative
EXCLAMATION_STEP = 0.3
SELF_WEIGHT = 0.5  # what contempt aimed at oneself counts
TOGETHER_SPAN = 5  # words (twice as many characters in Chinese) a word pattern may spread over
SUPERLATIVE_NEGATORS = frozenset({"never"})  # with an intensifier after it: "never been so angry"
SUFFIXES = ("fully", "ful", "ly", "ness", "es", "s")  # a word formed from a lexicon word reads as that word
MAX_TEXT = 2000
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def _lookup(entry: str, lex: Lexicon, contrasts: tuple[str, ...]) -> tuple[str, float] | None:
    if entry in lex.words:
        return "word", lex.words[entry]
    if entry in lex.intensifiers:
        return "boost", lex.intensifiers[entry]
    if entry in lex.negators:
        return "negator", 0.0
    if entry in contrasts:
        return "contrast", 0.0
    return None


def _derived(word: str, lex: Lexicon) -> str | None:
    """The lexicon word an English word is formed from ("disgraceful", "hopelessly"), or None."""
    for suffix in SUFFIXES:
        base = word[: -len(suffix)]
        if word.endswith(suffix) and len(base) >= 4 and base in lex.words:
            return base
    return None


def _scan(units: list[str], lex: Lexicon, contrasts: tuple[str, ...], glue: str) -> list[Item]:
    """Greedy longest-first segmentation of units (words or characters) into lexicon items."""
    items, i = [], 0
    while i < len(units):
        for size in range(min(lex.longest, len(units) - i), 0, -1):
            found = _lookup(glue.join(units[i : i + size]), lex, contrasts)
            if found:
                items.append(Item(i, i + size, *found))
                i += size
                break
        else:
            base = _derived(units[i], lex) if glue else None  # English only: Chinese has no suffixes
            if base is not None:
                items.append(Item(i, i + 1, "word", lex.words[base], label=base))
            i += 1
    return items


def _english_items(text: str) -> list[Item]:
    raw = _WORD.findall(unicodedata.normalize("NFKC", text))
    words = [normalise(w, "en") for w in raw]
    shouting_everywhere = all(w.isupper() for w in raw if w.isalpha())
    items = _scan(words, lexicon(False), CONTRASTS["en"], " ")
    if shouting_everywhere:
        return items
    return [
        Item(
            it.start,
            it.end,
            it.kind,
            it.value,
            all(r.isupper() and len(r) > 1 for r in raw[it.start : it.end]),
            it.label,
        )
        for it in items
    ]


def _weigh(
    items: list[Item], max_gap: int, tight_negators: frozenset[str], units: list[str], clause_of: list[int]
) -> list[tuple[Item, float]]:
    """Each sentiment item's value with intensifiers, negation and contrast applied."""
    out: list[tuple[Item, float]] = []
    boost, boost_end, negator = 1.0, -1, None
    contrast_at = max((it.start for it in items if it.kind == "contrast"), default=None)
    for it in items:
        if it.kind == "boost":
            boost, boost_end = (boost if boost_end == it.start else 1.0) * it.value, it.end
        elif it.kind == "negator":
            negator = it
        elif it.kind == "word":
            value = (
                it.value * (boost if boost_end >= it.start - 1 else 1.0) * (CAPS_BOOST if it.caps else 1.0)
            )
            if (
                negator is not None
                and clause_of[negator.start] == clause_of[it.start]  # "still nothing, absolutely disgusting"
                and _negates(negator, it, items, max_gap, tight_negators, units)
            ):
                value *= NEGATED_POSITIVE if value > 0 else NEGATED_NEGATIVE
            if contrast_at is not None:
                value *= 1.5 if it.start > contrast_at else 0.5
            out.append((it, value))
            boost, boost_end, negator = 1.0, -1, None
    return out


def _negates(neg: Item, word: Item, items: list[Item], max_gap: int, tight: frozenset[str],
             units: list[str]) -> bool:  # fmt: skip
    """True when `neg` governs `word`: only intensifiers and at most max_gap other units lie between."""
    boosts = sum(it.end - it.start for it in items if it.kind == "boost" and neg.end <= it.start < word.start)
    if " ".join(units[neg.start : neg.end]) in SUPERLATIVE_NEGATORS and any(
        it.kind == "boost" and neg.end <= it.start <= word.end + 1 for it in items
    ):
        return False  # "I've never been treated so badly": never ... so is a superlative, not a negation
    gap = word.start - neg.end - boosts
    return gap <= (0 if " ".join(units[neg.start : neg.end]) in tight else max_gap)


@dataclass(frozen=True)
class Reading:
    """One turn's sentiment: the score, the words that pulled it down, and the strong ones among them."""

    score: float
    negative: tuple[str, ...] = ()
    strong: tuple[str, ...] = ()

    def is_strong(self, threshold: float | None) -> bool:
        """Strongly negative: a strong word, or a score at or below `threshold` (None: words only)."""
        return bool(self.strong) or (threshold is not None and self.score <= threshold)


def _clauses(text: str, chinese: bool) -> tuple[list[str], list[int]]:
    """The turn's units (words, or Chinese characters) and the clause each stands in."""
    units: list[str] = []
    clause_of: list[int] = []
    for n, part in enumerate(CLAUSE_BREAKS.split(text)):
        found = list(normalise(part, "zh").replace(" ", "")) if chinese else _WORD.findall(part)
        units += found if chinese else [normalise(w, "en") for w in found]
        clause_of += [n] * len(found)
    return units, clause_of


def _together(
    items: list[Item],
    units: list[str],
    clause_of: list[int],
    lex: Lexicon,
    glue: str,
    contrasts: tuple[str, ...],
) -> list[Item]:
    """Items for word patterns: a word of each group in one clause reads as the rule's entry."""
    reach = TOGETHER_SPAN if glue else 2 * TOGETHER_SPAN
    for entry, groups in lex.together:
        for clause in sorted(set(clause_of)):
            at = [i for i, c in enumerate(clause_of) if c == clause]
            starts = _pattern_words(groups, at, units, glue)
            if starts is None or max(starts) - min(starts) > reach:
                continue
            span = glue.join(units[min(starts) : max(starts) + 1])
            if any(f"{glue}{c}{glue}" in f"{glue}{span}{glue}" for c in contrasts):
                continue  # "sorry to waste your time but what's my balance" is no "waste of my time"
            start = min(starts)  # where the pattern begins, so "don't cancel everything" is negated
            items = [it for it in items if not (it.kind == "word" and it.start <= start < it.end)]
            items.append(Item(start, start + 1, "word", lex.words[entry], label=entry))
    return sorted(items, key=lambda it: it.start)


def _pattern_words(
    groups: tuple[frozenset[str], ...], at: list[int], units: list[str], glue: str
) -> list[int] | None:
    """Where a word of each group stands in the clause `at` (the one nearest the first group's); None if
    a group has none. English matches whole words; Chinese substrings, at the character they start on."""
    text = glue.join(units[i] for i in at)
    starts: list[int] = []
    for group in groups:
        if glue:
            found = [i for i in at if units[i] in group]
        else:
            found = [at[k] for w in group for k in range(len(text)) if text.startswith(w, k)]
        if not found:
            return None
        starts.append(min(found, key=lambda i: abs(i - starts[0])) if starts else min(found))
    return starts


def _a_not_a(items: list[Item], units: list[str]) -> list[Item]:
    """Chinese X不X / X没X is a question (烦不烦, 好不好): the negator negates nothing; X counts once."""
    out: list[Item] = []
    skip: set[int] = set()
    for n, it in enumerate(items):
        if n in skip:
            continue
        before = out[-1] if out else None
        after = items[n + 1] if n + 1 < len(items) else None
        if (
            it.kind == "negator"
            and it.end - it.start == 1
            and before is not None
            and after is not None
            and before.end == it.start
            and after.start == it.end
            and units[before.start : before.end] == units[after.start : after.end]
        ):
            skip.add(n + 1)
            continue
        out.append(it)
    return out


def read(text: str, language: str) -> Reading:
    """The sentiment of one turn with the words behind it."""
    text = text[:MAX_TEXT]
    chinese = is_chinese(language)
    lex = lexicon(chinese)
    glue = "" if chinese else " "
    units, clause_of = _clauses(unicodedata.normalize("NFKC", text), chinese)
    items = _a_not_a(_scan(units, lex, CONTRASTS["zh"], ""), units) if chinese else _english_items(text)
    items = _together(items, units, clause_of, lex, glue, CONTRASTS["zh" if chinese else "en"])
    if chinese:
        weighed = _weigh(items, 1, frozenset(), units, clause_of)
    else:
        weighed = _weigh(items, 2, frozenset({"no"}), units, clause_of)
    selfish = [
        of_self(it, units, clause_of, lex, glue) or of_others(it, units, clause_of, lex, glue)
        for it, _ in weighed
    ]
    weighed = [
        (it, value * SELF_WEIGHT if own else value) for (it, value), own in zip(weighed, selfish, strict=True)
    ]
    negative = tuple(it.label or glue.join(units[it.start : it.end]) for it, value in weighed if value < 0)
    total = sum(value for _, value in weighed)
    bangs = min(unicodedata.normalize("NFKC", text).count("!"), 4)
    if total:
        total += math.copysign(EXCLAMATION_STEP * bangs, total)
    score = max(-1.0, min(1.0, total / math.sqrt(total * total + ALPHA)))
    softened = _softened(items)
    strong = tuple(
        label
        for (it, value), own in zip(weighed, selfish, strict=True)
        if value < 0
        and not own
        and it.start not in softened
        and (label := it.label or glue.join(units[it.start : it.end])) in lex.strong
    )
    return Reading(score, negative, strong)


def _softened(items: list[Item]) -> set[int]:
    """Starts of the words right after intensifiers that weaken them ("a bit rubbish"): never strong."""
    out, factor, end = set(), 1.0, -1
    for it in items:
        if it.kind == "boost":
            factor, end = (factor if end == it.start else 1.0) * it.value, it.end
        elif it.kind == "word":
            if factor < 1.0 and end >= it.start - 1:  # the reach _weigh gives an intensifier
                out.add(it.start)
            factor, end = 1.0, -1
    return out


def sentiment(text: str, language: str) -> float:
    """The sentiment of one turn in [-1, 1]; 0 when no lexicon word is present."""
    return read(text, language).score
