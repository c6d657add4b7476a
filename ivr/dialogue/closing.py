"""Questions that can end the call ("anything else?"): a caller who says goodbye, or who goes on.

How this works: an ask step can end the call when one of its routes leads to a `goodbye` step. There, a
goodbye followed by "but" ("no thanks, but I do have another question") is read from what follows the
"but"; "one more thing" (ivr.dialogue.asides `continuation`) opening a clause is read from what follows
it; and "one more thing" alone, or a whole-turn "yes please" (`has_more`), gets the message `go_on`
("Of course. What else can I help you with?") instead of ending the call.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ivr.dialogue import asides
from ivr.dialogue.schema import AskStep, GoodbyeStep
from ivr.dialogue.text import CONTRASTS, ends_asking

# "no thanks, but ...": the contrast words, as whole words in English
_CONTRAST = {
    "en": re.compile(r"\b(?:" + "|".join(CONTRASTS["en"]) + r")\b", re.IGNORECASE),
    "zh": re.compile("|".join(CONTRASTS["zh"])),
}


class ClosingMixin:
    """Goodbyes and going on at a question that can end the call, for FlowBot."""

    spec: Any
    language: str
    _step: Callable[[], Any]
    _hear: Callable[[str], Any]
    _route: Callable[[Any, str, float], list[Any] | None]
    _missed: Callable[[], list[Any] | None]

    def _going_on(self, text: str) -> str | None:
        """What follows "but" when what precedes it would end the call ("no thanks, but one more thing"),
        or what follows "one more thing" at a question that can end it ("one more thing, my bill")."""
        step = self._step()
        if not isinstance(step, AskStep):
            return None
        rest = asides.continuation(text, self.language) if self._can_close(step) else None
        if rest and re.search(r"\w", rest):
            return rest
        parts = _CONTRAST.get(self.language[:2], _CONTRAST["en"]).split(text, maxsplit=1)
        if len(parts) < 2 or not re.search(r"\w", parts[1]):
            return None
        head = self._hear(parts[0])
        ends = head.intent == "goodbye" or (head.match is not None and self._closes(step, head.match.intent))
        return parts[1].strip(" ,.") if ends else None

    def _goes_on(self, heard: Any, text: str) -> bool:
        """ "One more thing", or a plain yes, to a question that can end the call: the caller has more."""
        step = self._step()
        if not isinstance(step, AskStep) or not self._can_close(step):
            return False
        if asides.continuation(text, self.language) is not None:
            return True
        return asides.has_more(text, self.language)  # "yes please"; not "yeah I'm good" or "okay"

    def _objection(self, heard: Any, text: str) -> list[Any] | None:
        """ "No, that's not what I asked" to a question that can end the call: no goodbye but an apology,
        a miss counted (a person at the limit), and a request to ask another way; else None."""
        step = self._step()
        if not isinstance(step, AskStep) or not self._can_close(step):
            return None
        if heard.intent is not None and not self._closes(step, heard.intent):
            return None  # "no, I meant my bill": the topic said is heard as usual
        if not asides.objects(text, self.language):
            return None
        if (limit := self._missed()) is not None:
            return limit
        self._last_said = [self._say(self._msg("not_what_asked"), step)]
        return list(self._last_said)

    def _finished(self, text: str) -> list[Any] | None:
        """ "Yeah I'm good" to a question that can end the call: the step's way to the end, else None."""
        if ends_asking(text, self.language):
            return None  # "that's it?", 就这些？: a question about the answer, not the call's end
        return self._to_the_end() if asides.has_finished(text, self.language) else None

    def _to_the_end(self) -> list[Any] | None:
        """The way to the call's end from a question that can end it ("anything else?"), else None."""
        step = self._step()
        if not isinstance(step, AskStep):
            return None
        closing = next((intent for intent in step.routes if self._closes(step, intent)), None)
        return self._route(step, closing, 1.0) if closing is not None else None

    def _can_close(self, step: AskStep) -> bool:
        return any(self._closes(step, intent) for intent in step.routes)

    def _closes(self, step: AskStep, intent: str) -> bool:
        """The step routes this intent to the call's end ("no thanks" at "anything else?")."""
        return isinstance(self.spec.steps.get(step.routes.get(intent, "")), GoodbyeStep)

    def _nothing_wanted(self, text: str) -> bool:
        """The caller wants nothing after all: a wrong number, or "never mind" with nothing else."""
        return asides.rang_by_mistake(text, self.language) or asides.needs_nothing(text, self.language)
