"""The teams a caller may ask for by name ("put me through to billing"): the flow's `departments`."""

from __future__ import annotations

from ivr.dialogue import person
from ivr.dialogue.schema import FlowSpec
from ivr.dialogue.text import normalise


def names(spec: FlowSpec, language: str) -> tuple[str, ...]:
    """Every department name of the flow in `language`, normalised, longest first."""
    listed = [n for by_lang in spec.departments.values() for n in by_lang.get(language, [])]
    found = {normalise(n, language) for n in listed}
    return tuple(sorted((n for n in found if n), key=lambda n: (-len(n), n)))


def named(spec: FlowSpec, text: str, language: str) -> str | None:
    """The skill of the first department the caller names as somebody to talk to ("someone in billing";
    not "the sales people lied to me", which is a complaint for the default team)."""
    skills = {
        normalise(name, language): skill
        for skill, by_lang in spec.departments.items()
        for name in by_lang.get(language, [])
    }
    said = person.named_teams(text, language, names(spec, language))
    return skills.get(said[0]) if said else None
