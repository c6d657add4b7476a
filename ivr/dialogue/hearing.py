"""What the bot tells the recogniser at each step: a closed grammar (Vosk) and hints (a Whisper prompt).

Hints go most important first, as the prompt is cut to a token budget from the end (asr/whisper_decode.py):
the step's own answers, a person, what angry callers say, the intents' keywords, the commands, the
intents' first examples, the knowledge questions. dialplan/README.md, "Recogniser hints", says why and
what it measured.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ivr.dialogue import catalog
from ivr.dialogue.repair import AskedIntent
from ivr.dialogue.schema import AskStep, CollectStep, MenuStep, asks_yes_no
from ivr.dialogue.sentiment_lexicon import lexicon
from ivr.dialogue.text import is_chinese
from ivr.dialogue.transfers import CallbackOffer

MAX_HINTS = 40  # Whisper's prompt holds about 220 tokens; the step's own words come first
OWN_HINTS = 3  # a step's own yes words, and its own no words, put in the prompt


class RecogniserMixin:
    """grammar() and hints() of a FlowBot (its step, pending question, flow and language)."""

    language: str
    pending: Any
    spec: Any
    _step: Callable[[], Any]
    _mixed: Callable[..., bool]

    def grammar(self) -> list[str] | None:
        """Closed phrases for a step that hears only its answers (Vosk); None for free speech."""
        step = self._step()
        if isinstance(self.pending, CallbackOffer):
            return self._answer_words(step)  # the offer hears only yes, no and the commands
        if self._mixed(step) or isinstance(self.pending, AskedIntent):
            return None  # a repair question hears yes, no or a new request
        return self._answer_words(step) or None

    def hints(self) -> list[str]:
        """Words the recogniser should expect here, most important first (a Whisper prompt)."""
        step = self._step()
        words = self._answer_words(step, commands=False)
        person = catalog.GLOBAL_KEYWORDS["agent"].get(self.language, [])[:4]
        if isinstance(step, CollectStep) and step.kind in ("digits", "number") and self.pending is None:
            # Measured: a long prompt makes Whisper write digits as words it invents ("I need seven");
            # the digit words alone (and a person) keep "nine eight seven" as said.
            return [*words, *person]
        if self._mixed(step) or isinstance(step, AskStep | MenuStep):
            # Anger must be heard at once (issue 11). Not last: Whisper skips the start of an utterance that
            # repeats the end of its prompt ("this is ridiculous, I am really angry, ..." came out as "and
            # you keep wasting my time." with the angry words just before the audio).
            words += person
            words += lexicon(is_chinese(self.language)).hints
            for own in self.spec.intents.values():
                words += own.keywords.get(self.language, [])[:2]
            words += self._answer_words(step)
            language = self.language
            words += [o.examples[language][0] for o in self.spec.intents.values() if o.examples.get(language)]
            if isinstance(step, AskStep) and step.knowledge:
                words += [e.questions[language][0] for e in self.spec.knowledge if language in e.questions]
        return list(dict.fromkeys(w for w in words if w))[:MAX_HINTS]

    def _answer_words(self, step: Any, commands: bool = True) -> list[str]:
        """The step's own answers (yes/no, digits, menu words) and, unless told not to, the commands."""
        names = ("agent", "goodbye", "repeat", "help") if commands else ()
        globals_ = [p for name in names for p in _phrases(name, self.language)]
        if self.pending is not None or asks_yes_no(step):
            asked = isinstance(step, CollectStep) and self.pending is None
            own = step.own_answers(self.language) if asked else {}
            # "only my phone"; the first few of each side, so the prompt keeps room for the flow's topics
            said = [w for words in own.values() for w in words[:OWN_HINTS]]
            return [*catalog.YES_NO_WORDS.get(self.language, []), *said, *globals_]
        if isinstance(step, CollectStep) and step.kind in ("digits", "number"):
            return [*catalog.DIGIT_WORDS.get(self.language, []), *globals_]
        if isinstance(step, MenuStep):
            return [*(w for o in step.options for w in o.words.get(self.language, [])), *globals_]
        return []


def _phrases(intent: str, language: str) -> list[str]:
    return catalog.BUILTIN_GLOBAL_INTENTS.get(intent, {}).get(language, [])
