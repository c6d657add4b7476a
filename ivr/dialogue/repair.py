"""Repair for FlowBot: a half-understood turn gets a targeted question ("Is this about your bill or a
refund?", "You'd like a refund, is that right?"), and the caller's answer to it picks the intent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ivr.bot import Action
from ivr.dialogue.intents import IntentMatch
from ivr.dialogue.schema import AskStep, CollectStep, MenuStep
from ivr.dialogue.sentiment_lexicon import lexicon as sentiment_lexicon
from ivr.dialogue.text import STOPWORDS, is_chinese, tokens

if TYPE_CHECKING:
    from ivr.dialogue.listening import Heard

CLOSE_SECOND = 0.1  # a second intent this close to the best makes the repair question a choice of two
FEELING_FILLERS = frozenset(
    {"ugh", "oh", "honestly", "bit", "all", "feeling", "feel"}
)  # "ugh, not happy at all"
FEELING_WEIGHT = 2.0  # lexicon weight of a word of feeling ("annoying"), not of a symptom ("slow")


@dataclass(frozen=True)
class AskedIntent:
    """A repair question waiting for the caller: one intent to confirm, or two to choose from."""

    intents: tuple[str, ...]


class RepairMixin:
    """Targeted questions for half-understood turns, for FlowBot (which provides the state used here)."""

    spec: Any
    flow: Any
    language: str
    intent: str | None
    pending: Any
    policy: Any
    _last_said: list[Action]
    _step: Callable[[], Any]
    _say: Callable[..., Any]
    _msg: Callable[..., str]

    def _ambiguous(self, heard: Heard) -> bool:
        """Two flow intents about equally likely and neither clear ("what is my account ..."): ask."""
        if len(heard.ranked) < 2 or heard.ranked[0].score >= self.spec.policy.clear_intent:
            return False
        first, second = heard.ranked[0], heard.ranked[1]
        step = self._step()
        return second.score >= max(self.spec.policy.repair_threshold, first.score - CLOSE_SECOND) and all(
            self._label(m.intent) and self._routable(m.intent, step) for m in (first, second)
        )

    def _routable(self, intent: str, step: Any) -> bool:
        """The intent leads somewhere from this step (a route, its own step, or a sensitive hand-off)."""
        own = self.spec.intents.get(intent)
        routes = step.routes if isinstance(step, AskStep) else {}
        if own is None:
            return False
        return intent in routes or own.goto is not None or self.policy.is_sensitive(intent)

    def _label(self, intent: str) -> str | None:
        own = self.spec.intents.get(intent)
        return own.label.get(self.language) if own is not None else None

    def _upset_only(self, heard: Heard) -> bool:
        """A mild complaint of nothing but feeling words ("this is annoying", "I'm not happy"; not "account
        problem"), which no topic matches in words ("not happy" is only near "no signal" by meaning)."""
        if heard.mood.score >= 0 or not heard.mood.negative or is_chinese(self.language) or self.intent:
            return False  # (after a topic was served, "I'm not happy" may be about it: the usual reading)
        lex = sentiment_lexicon(chinese=False)
        if any(abs(lex.words.get(w, FEELING_WEIGHT)) < FEELING_WEIGHT for w in heard.mood.negative):
            return False  # "it's slow", "a problem": a symptom or a topic, not a feeling
        feeling = {*heard.mood.negative, *lex.words, *lex.intensifiers, *lex.negators, *FEELING_FILLERS}
        if any(w not in STOPWORDS and w not in feeling for w in tokens(heard.text, self.language)):
            return False
        near = self.spec.policy.repair_threshold
        return not any(m.score >= near and not m.matched.startswith("~") for m in heard.ranked)

    def _repair_question(self, heard: Heard) -> list[Action] | None:
        """A targeted question for a half-understood turn, or None when nothing was half understood."""
        step = self._step()
        # only at an open question: at a collect step a half-heard other topic is no reason to leave it
        # ("it's on my bill somewhere, one sec" at the account number is not a wrong charge), the re-prompt is
        if not isinstance(step, AskStep | MenuStep):
            return None
        near = [
            m
            for m in heard.ranked
            if m.score >= self.spec.policy.repair_threshold
            and self._label(m.intent)
            and not (isinstance(step, CollectStep) and m.intent == self.intent)  # its own topic
            and self._routable(m.intent, step)
        ]
        if not near:
            return None
        if len(near) > 1 and near[1].score >= near[0].score - CLOSE_SECOND:
            first, second = near[0].intent, near[1].intent
            self.pending = AskedIntent((first, second))
            text = self._msg("choose_intent", first=self._label(first), second=self._label(second))
        else:
            self.pending = AskedIntent((near[0].intent,))
            text = self._msg("confirm_intent", label=self._label(near[0].intent))
        said = [self._say(text, step)]
        self._last_said = said
        return said

    def _confirm_intent(self, match: IntentMatch) -> list[Action]:
        """Ask before acting on an intent heard with low recogniser confidence."""
        self.pending = AskedIntent((match.intent,))
        said = [self._say(self._msg("confirm_intent", label=self._label(match.intent)), self._step())]
        self._last_said = said
        return said

    def _chosen(self, asked: AskedIntent, heard: Heard, yes: bool | None) -> str | bool | None:
        """The intent the caller picked; False when they said no to it; None when they said something else."""
        steering = heard.match is None or not self._is_topic(heard.match.intent)  # "no", "no thanks"
        if len(asked.intents) == 1:
            if yes is True:
                return asked.intents[0]
            if yes is False and (steering or heard.match.intent == asked.intents[0]):
                return False
            return None
        scores = {m.intent: m.score for m in heard.ranked}
        for m in self.flow.matcher(self.language).ranked(heard.text, limit=len(self.spec.intents) + 4):
            scores.setdefault(m.intent, m.score)
        first, second = asked.intents
        best = max(asked.intents, key=lambda i: scores.get(i, 0.0))
        other = second if best == first else first
        top = scores.get(best, 0.0)
        if top >= self.spec.policy.repair_threshold and top > scores.get(other, 0.0):
            return best
        if yes is False and steering:
            return False
        return None

    def _is_topic(self, intent: str) -> bool:
        """A flow intent that names a topic (not one that only steers, like "no thanks"), or a global one."""
        own = self.spec.intents.get(intent)
        return own is None or own.topic
