"""Thanks, "okay" and goodbye: a turn that only thanks asks for nothing and does not end the call.

How this works: the turn is cut into clauses at punctuation and the entries of lexicons/courtesy.yaml
are found in each (English as whole words, Chinese as character substrings, longest first, thanks,
acknowledgements and closings together). A clause that is nothing but thanks and acknowledgements
("oh okay", "thank you so much", 好的谢谢) asks for nothing; neither does thanks for something
("thanks for your help": the words after "for" are what is thanked for, not a request for help). A turn
that thanks and has no other clause is `only_courtesy`: the bot matches no intent on it (not help, not
goodbye) and asks its question again. `closing` says whether the turn has a word that ends a call
("bye", "that's all", 再见, or one of the flow's goodbye keywords): thanks is not a goodbye, so the
goodbye intent needs one. A greeting ("hi there", "good morning, how are you", 你好) is courtesy too:
alone, it is answered with hello and the question again.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from ivr.dialogue.text import CLAUSE_BREAKS, is_chinese, normalise

MAX_TEXT = 2000


@dataclass(frozen=True)
class _Words:
    """One language's entries by kind, each longest first."""

    thanks: frozenset[str]
    acknowledgements: frozenset[str]
    closings: frozenset[str]
    greetings: frozenset[str]
    objects: frozenset[str]  # "for": what follows it after thanks is what is thanked for ...
    until: frozenset[str]  # ... up to one of these ("thanks for that, but ..."): then the caller goes on
    ordered: tuple[str, ...]  # every entry, longest first


@cache
def _words(chinese: bool) -> _Words:
    data = yaml.safe_load((Path(__file__).parent / "lexicons" / "courtesy.yaml").read_text("utf-8"))
    lang = "zh" if chinese else "en"
    own = {
        key: frozenset(normalise(str(w), lang) for w in own_list or [])
        for key, own_list in data[lang].items()
    }
    every = own["thanks"] | own["acknowledgements"] | own["closings"] | own["greetings"]
    size = len if chinese else (lambda e: len(e.split()))
    return _Words(
        own["thanks"],
        own["acknowledgements"],
        own["closings"],
        own["greetings"],
        own["for"],
        own.get("until", frozenset()),
        tuple(sorted(every, key=lambda e: -size(e))),
    )


@dataclass(frozen=True)
class Courtesy:
    """A turn with its courtesy set aside: what is left to understand, and whether it ends the call."""

    core: str  # the clauses that may ask for something ("" when the turn is only thanks or a greeting)
    thanked: bool  # the turn thanks somebody
    closing: bool  # the turn has a word that ends a call
    greeted: bool = False  # the turn greets ("hi there", 你好)
    beside_greetings: str = ""  # what the turn says besides its greetings ("yes" in "hello? yes")

    @property
    def only_courtesy(self) -> bool:
        """Thanks, greetings and acknowledgements, nothing else: no request, and not a goodbye."""
        return (self.thanked or self.greeted) and not self.core and not self.closing


def _spans(units: list[str], words: _Words, chinese: bool) -> list[tuple[int, int, str]]:
    """(start, end, entry) of the lexicon's entries in a clause, longest first, not overlapping."""
    taken: list[tuple[int, int, str]] = []
    glue = "" if chinese else " "
    for entry in words.ordered:
        size = len(entry) if chinese else len(entry.split())
        for i in range(len(units) - size + 1):
            if glue.join(units[i : i + size]) == entry and not any(
                s < i + size and i < e for s, e, _ in taken
            ):
                taken.append((i, i + size, entry))
    return sorted(taken)


def _polite(units: list[str], spans: list[tuple[int, int, str]], words: _Words) -> bool:
    """The clause is thanks and acknowledgements only, or thanks for something ("thanks for your help")."""
    covered = [False] * len(units)
    thanked_at = None
    for start, end, entry in spans:
        if entry in words.closings:
            return False
        if entry in words.thanks and thanked_at is None:
            thanked_at = end
        for i in range(start, end):
            covered[i] = True
    if thanked_at is not None:  # "thank you so much for all your help today": the rest is what is thanked for
        after = next((i for i in range(thanked_at, len(units)) if not covered[i]), None)
        if after is not None and units[after] in words.objects:
            return all(covered[:after]) and not any(unit in words.until for unit in units[after:])
    return all(covered)


def read(text: str, language: str, closings: tuple[str, ...] = ()) -> Courtesy:
    """The turn's core (its clauses that are not courtesy), whether it thanks, and whether it closes.

    `closings` are more words that end a call (a flow's own goodbye keywords).
    """
    chinese = is_chinese(language)
    words = _words(chinese)
    kept: list[str] = []
    thanked = closing = greeted = False
    besides: list[str] = []
    for part in CLAUSE_BREAKS.split(text[:MAX_TEXT]):
        normalised = normalise(part, language)
        units = list(normalised.replace(" ", "")) if chinese else normalised.split()
        if not units:
            continue
        spans = _spans(units, words, chinese)
        thanked = thanked or any(entry in words.thanks for _, _, entry in spans)
        greeted = greeted or any(entry in words.greetings for _, _, entry in spans)
        hello = {i for start, end, entry in spans if entry in words.greetings for i in range(start, end)}
        besides += [u for i, u in enumerate(units) if i not in hello]
        closing = closing or any(entry in words.closings for _, _, entry in spans)
        if not _polite(units, spans, words):
            kept.append(part.strip())
    said = f" {normalise(text[:MAX_TEXT], language)} "
    glue = "" if chinese else " "
    closing = closing or any(f"{glue}{normalise(w, language)}{glue}" in said for w in closings if w.strip())
    core = ("，" if chinese else ", ").join(kept)
    rest = ("" if chinese else " ").join(besides)
    return Courtesy(core if thanked or greeted else text.strip(), thanked, closing, greeted, rest)


def acknowledgements(language: str) -> frozenset[str]:
    """The words that may stand around thanks without asking for anything ("oh okay", 好的)."""
    return _words(is_chinese(language)).acknowledgements
