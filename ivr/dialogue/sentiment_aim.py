"""Whom a negative word is aimed at: the caller themselves ("I'm hopeless with technology"), or a
complaint somebody else once made ("my neighbour made a complaint last month"), both told, not made."""

from __future__ import annotations

from ivr.dialogue.sentiment_lexicon import Item, Lexicon

SELF_REACH = 3  # words (twice as many characters in Chinese) from "I'm" to what it says of the caller
REPORTED_REACH = 5  # words (three times as many characters in Chinese) from somebody named to their complaint


def of_self(item: Item, units: list[str], clause_of: list[int], lex: Lexicon, glue: str) -> bool:
    """Contempt the caller aims at themselves ("I'm hopeless with technology"): not a complaint."""
    label = item.label or glue.join(units[item.start : item.end])
    if label not in lex.of_self:
        return False
    clause = clause_of[item.start]
    start = max(0, item.start - (SELF_REACH if glue else 2 * SELF_REACH))
    said = f"{glue}{glue.join(units[i] for i in range(start, item.start) if clause_of[i] == clause)}{glue}"
    at = _after_last(said, lex.selves, glue)
    if at < 0:
        return False
    # "I'm (so) hopeless", not "I'm paying for rubbish" or "I think you're hopeless": only intensifiers and
    # the lexicon's `between` words may stand between the caller and the word ...
    rest = said[at:].strip(glue)
    gap = list(rest) if not glue else rest.split()
    if any(w not in lex.intensifiers and w not in lex.between for w in gap):
        return False
    # ... and it does not qualify something of somebody else's ("I get rubbish service")
    after = units[item.end] if item.end < len(units) and clause_of[item.end] == clause else ""
    return not any(after == o or (not glue and after and o.startswith(after)) for o in lex.others)


def _after_last(said: str, phrases: tuple[str, ...], glue: str) -> int:
    """Where the last of `phrases` said in `said` (glued units, glue at both ends) ends; -1 if none is."""
    return max(
        (said.rfind(f"{glue}{w}{glue}") + len(w) + len(glue) for w in phrases if f"{glue}{w}{glue}" in said),
        default=-1,
    )


def of_others(item: Item, units: list[str], clause_of: list[int], lex: Lexicon, glue: str) -> bool:
    """A complaint somebody else once made ("my neighbour made a complaint last month", 我妈上礼拜投诉过):
    told, not made by the caller. Needs another person before it and a mark of the past in its clause."""
    label = item.label or glue.join(units[item.start : item.end])
    if label not in lex.reported:
        return False
    clause = [i for i in range(len(units)) if clause_of[i] == clause_of[item.start]]
    reach = REPORTED_REACH if glue else 3 * REPORTED_REACH
    near = [i for i in clause if item.start - reach <= i < item.start]
    before = f"{glue}{glue.join(units[i] for i in near)}{glue}"
    whole = f"{glue}{glue.join(units[i] for i in clause)}{glue}"
    told_by = _after_last(before, lex.third_parties, glue)
    if told_by < 0:
        return False
    between = before[told_by:].split(glue) if glue else list(before[told_by:])
    return not any(u in lex.first_person for u in between) and any(
        f"{glue}{w}{glue}" in whole for w in lex.past_marks
    )
