"""The lexicon of requests for a person (lexicons/person.yaml) and how its entries are found in a clause."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from ivr.dialogue.text import normalise

MAX_TEXT = 2000


@dataclass(frozen=True)
class PersonWords:
    """One language's patterns, each longest first."""

    persons: tuple[str, ...]
    machines: tuple[str, ...]
    verbs: tuple[str, ...]
    direct: tuple[str, ...]
    negators: tuple[str, ...]
    questions: tuple[str, ...]
    past: tuple[str, ...]
    fillers: frozenset[str]
    not_persons: tuple[str, ...]
    errands: tuple[str, ...] = ()
    question_ends: tuple[str, ...] = ()
    talk: tuple[str, ...] = ()  # talking to the person first: no errand
    refusing: tuple[str, ...] = ()  # between a negator and a machine: a refusal
    did: tuple[str, ...] = ()  # after "the <person>": what they did ("the agent was rude")
    being: tuple[str, ...] = ()  # before "a/an <person>": what the caller is ("I'm an agent")
    demands: tuple[str, ...] = ()  # a negated question that demands: "can I not just speak to someone?"
    having: tuple[str, ...] = ()  # between a negator and a machine: what the caller lacks, no refusal
    asks_when: tuple[str, ...] = ()  # before the person: a question when they work ("what time do")
    hours_leads: tuple[str, ...] = ()  # opening a yes/no question about when they work ("are", "do")
    off_hours: tuple[str, ...] = ()  # ... and the time it asks about ("on bank holidays", "weekends")
    supposing: tuple[str, ...] = ()  # a later call supposed before a clause asking when
    impatient: tuple[str, ...] = ()  # after the person: waiting for one now ("going to answer")
    past_times: tuple[str, ...] = ()  # a time of the past: 上周...找客服问过, "last time I came to"


@cache
def person_words(chinese: bool) -> PersonWords:
    """One language's patterns of lexicons/person.yaml, read once."""
    data = yaml.safe_load((Path(__file__).parent / "lexicons" / "person.yaml").read_text("utf-8"))
    lang = "zh" if chinese else "en"
    own = data[lang]

    def longest_first(key: str) -> tuple[str, ...]:
        return tuple(sorted((normalise(str(w), lang) for w in own[key]), key=lambda w: -len(w)))

    return PersonWords(
        *(longest_first(k) for k in ("persons", "machines", "verbs", "direct", "negators", "questions")),
        past=longest_first("past"),
        fillers=frozenset(normalise(str(w), lang) for w in own["fillers"]),
        not_persons=longest_first("not_persons"),
        errands=longest_first("errands"),
        question_ends=longest_first("question_ends"),
        talk=longest_first("talk"),
        refusing=longest_first("refusing"),
        did=longest_first("did"),
        being=longest_first("being"),
        demands=longest_first("demands"),
        having=longest_first("having"),
        **{
            k: longest_first(k)
            for k in ("asks_when", "hours_leads", "off_hours", "supposing", "impatient", "past_times")
        },
    )


def find(units: list[str], entries: tuple[str, ...], chinese: bool) -> list[tuple[int, int]]:
    """(start, end) unit spans of the entries in the clause, longest first, not overlapping."""
    taken: list[tuple[int, int]] = []
    for entry in entries:
        size = len(entry) if chinese else len(entry.split())
        glue = "" if chinese else " "
        for i in range(len(units) - size + 1):
            if glue.join(units[i : i + size]) == entry and not any(s < i + size and i < e for s, e in taken):
                taken.append((i, i + size))
    return sorted(taken)


def units_of(part: str, language: str, chinese: bool) -> list[str]:
    """The clause as units: words, or characters in Chinese."""
    normalised = normalise(part, language)
    return list(normalised.replace(" ", "")) if chinese else normalised.split()
