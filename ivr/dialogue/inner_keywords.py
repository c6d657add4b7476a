"""Keywords said inside longer ones: "my bill has gone through the roof" is the dispute's keyword, not
the balance's "bill", which it holds; the balance may not then win by meaning either."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ivr.dialogue.intents import IntentMatch

KEYWORD_SCORE = 0.9  # a keyword said as written scores this (ivr.dialogue.intents)


def below_their_takers(results: list[IntentMatch], takers: list[int | None]) -> list[IntentMatch]:
    """An intent whose keyword was said only inside another's longer one does not outrank that one by
    meaning: in "why has my bill doubled" the dispute's "bill doubled" says what the bill is about."""
    out = list(results)
    for i, taker in enumerate(takers):
        if taker is not None and out[i].matched.startswith("~") and out[i].score >= out[taker].score:
            out[i] = replace(out[i], score=round(max(0.0, out[taker].score - 0.01), 4))
    return out


def without_inner_keywords(
    hits: list[tuple[float, str]], chinese: bool
) -> tuple[list[tuple[float, str]], list[int | None]]:
    """Keyword hits, less those said only inside another intent's longer keyword said as written, and for
    each intent the one whose keyword took its own (None when none did).

    "my bill has gone through the roof": balance's "bill" is part of the dispute's "bill has gone through
    the roof", which says more; the shorter one is no evidence of its own there.
    """

    def inside(short: str, long: str) -> bool:
        if chinese:
            return short in long and short != long
        return f" {short} " in f" {long} " and short != long

    said = [(i, text) for i, (score, text) in enumerate(hits) if score >= KEYWORD_SCORE]
    takers = [next((i for i, other in said if score and inside(text, other)), None) for score, text in hits]
    kept = [
        (0.0, text) if taker is not None else (score, text)
        for (score, text), taker in zip(hits, takers, strict=True)
    ]
    return kept, takers
