"""The teams a caller may ask for by name ("put me through to billing"): the flow's `departments`."""

from __future__ import annotations

from dataclasses import dataclass

from ivr.dialogue import person_teams
from ivr.dialogue.schema import FlowSpec
from ivr.dialogue.text import normalise


@dataclass(frozen=True)
class Teams:
    """One language's department names of a flow, normalised once (ivr.dialogue.registry caches it)."""

    language: str
    names: tuple[str, ...]  # longest first, as ivr.dialogue.person finds them
    skills: dict[str, str]  # name -> skill

    def named(self, text: str) -> str | None:
        """The skill of the first department the caller names as somebody to talk to ("someone in
        billing"; not "the sales people lied to me", which is a complaint for the default team)."""
        said = person_teams.named_teams(text, self.language, self.names)
        return self.skills.get(said[0]) if said else None


def teams(spec: FlowSpec, language: str) -> Teams:
    """The flow's department names in `language`."""
    skills = {
        normalise(name, language): skill
        for skill, by_lang in spec.departments.items()
        for name in by_lang.get(language, [])
    }
    skills.pop("", None)
    return Teams(language, tuple(sorted(skills, key=lambda n: (-len(n), n))), skills)
