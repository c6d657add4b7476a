"""The teams a caller may ask for by name ("put me through to billing"): the flow's `departments`."""

from __future__ import annotations

from ivr.dialogue.schema import FlowSpec
from ivr.dialogue.text import is_chinese, normalise


def names(spec: FlowSpec, language: str) -> tuple[str, ...]:
    """Every department name of the flow in `language`, normalised, longest first."""
    listed = [n for by_lang in spec.departments.values() for n in by_lang.get(language, [])]
    found = {normalise(n, language) for n in listed}
    return tuple(sorted((n for n in found if n), key=lambda n: (-len(n), n)))


def named(spec: FlowSpec, text: str, language: str) -> str | None:
    """The skill whose department the caller names ("someone in billing"), the longest name first."""
    chinese = is_chinese(language)
    said = normalise(text, language) if chinese else f" {normalise(text, language)} "
    best: tuple[int, str] | None = None
    for skill, by_lang in spec.departments.items():
        for name in by_lang.get(language, []):
            word = normalise(name, language)
            found = bool(word) and (word if chinese else f" {word} ") in said
            if found and (best is None or len(word) > best[0]):
                best = (len(word), skill)
    return best[1] if best else None
