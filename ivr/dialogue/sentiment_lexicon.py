"""The sentiment lexicon of a language (lexicons/sentiment_*.yaml) and the items it finds in a turn."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from ivr.dialogue.text import normalise


@dataclass(frozen=True)
class Lexicon:
    """One language's sentiment words, intensifiers and negators, with the longest entry length."""

    words: dict[str, float]
    intensifiers: dict[str, float]
    negators: frozenset[str]
    longest: int
    strong: frozenset[str] = frozenset()  # entries that alone show anger or a complaint
    together: tuple[tuple[str, tuple[frozenset[str], ...]], ...] = ()  # (entry, word groups) read as one
    # strong entries that are mild when the caller says them of themselves
    of_self: frozenset[str] = frozenset()
    selves: tuple[str, ...] = ()  # what says so just before them ("I'm", "I feel")
    others: tuple[str, ...] = ()  # somebody else's, just after the word ("rubbish *service*")
    hints: tuple[str, ...] = ()  # what angry callers say most, as written for the recogniser's prompt
    between: frozenset[str] = frozenset()  # what may stand between "I'm" and the word ("a", 个)
    # a complaint somebody else once made is told, not made: "my neighbour made a complaint last month"
    reported: frozenset[str] = frozenset()
    third_parties: tuple[str, ...] = ()
    past_marks: tuple[str, ...] = ()
    first_person: frozenset[str] = frozenset()


@cache
def lexicon(chinese: bool) -> Lexicon:
    """The lexicon for Chinese or for latin-script languages, loaded once from ivr/dialogue/lexicons."""
    name = "sentiment_zh.yaml" if chinese else "sentiment_en.yaml"
    data = yaml.safe_load((Path(__file__).parent / "lexicons" / name).read_text("utf-8"))
    words = {normalise(str(k), "zh" if chinese else "en"): float(v) for k, v in data["words"].items()}
    boosts = {normalise(str(k), "en"): float(v) for k, v in data["intensifiers"].items()}
    negators = frozenset(normalise(str(n), "en") for n in data["negators"])
    strong = frozenset(normalise(str(w), "zh" if chinese else "en") for w in data.get("strong", []))
    unknown = strong - words.keys()
    if unknown:
        raise RuntimeError(f"{name}: strong entries missing from words: {sorted(unknown)}")
    lang = "zh" if chinese else "en"
    together = tuple(
        (normalise(str(r["as"]), lang), tuple(frozenset(normalise(str(w), lang) for w in g) for g in groups))
        for r in data.get("together", [])
        for groups in [r["all_of"]]
    )
    unknown = {entry for entry, _ in together} - words.keys()
    if unknown:
        raise RuntimeError(f"{name}: together entries missing from words: {sorted(unknown)}")
    entries = [*words, *boosts, *negators]
    longest = max(len(e) if chinese else len(e.split()) for e in entries)
    of_self = frozenset(normalise(str(w), lang) for w in data.get("of_self", []))
    selves = tuple(normalise(str(w), lang) for w in data.get("self", []))
    others = tuple(normalise(str(w), lang) for w in data.get("others", []))
    between = frozenset(normalise(str(w), lang) for w in data.get("between", []))
    hints = tuple(str(h) for h in data.get("hints", []))
    return Lexicon(
        words,
        boosts,
        negators,
        longest,
        strong,
        together,
        of_self,
        selves,
        others,
        hints,
        between,
        reported=frozenset(normalise(str(w), lang) for w in data.get("reported", [])),
        third_parties=tuple(normalise(str(w), lang) for w in data.get("third_parties", [])),
        past_marks=tuple(normalise(str(w), lang) for w in data.get("past_marks", [])),
        first_person=frozenset(normalise(str(w), lang) for w in data.get("first_person", [])),
    )


@dataclass(frozen=True)
class Item:
    """A lexicon hit: units [start, end) of the text, its kind and value, and whether it was shouted."""

    start: int
    end: int
    kind: str  # "word" | "boost" | "negator" | "contrast"
    value: float = 0.0
    caps: bool = False
    label: str | None = None  # the entry a word pattern stands for ("cancel the lot": cancel everything)
