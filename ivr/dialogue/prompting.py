"""The speaking half of FlowBot: sentences in the call's language, placeholders filled, re-prompts, help."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ivr.bot import Action, Hangup, Say
from ivr.dialogue.collecting import ReadBack
from ivr.dialogue.handoff_context import fill
from ivr.dialogue.schema import AskStep, CollectStep, asks_yes_no
from ivr.dialogue.transfers import fill_message


class PromptingMixin:
    """What FlowBot says (FlowBot provides the state); a base before TransferMixin so this _msg wins."""

    # Provided by FlowBot and its other mixins; annotations only, so no stub shadows a real method.
    spec: Any
    flow: Any
    language: str
    slots: dict[str, Any]
    vars: dict[str, Any]
    caller: dict[str, Any]
    intent: str | None
    pending: Any
    outcome: str | None
    _last_said: list[Action]
    _step: Callable[[], Any]
    _intent_title: Callable[[], str | None]
    _routable: Callable[[str, Any], bool]

    def _reprompt(self) -> list[Action]:
        """The current step's re-prompt (or prompt again)."""
        step = self._step()
        if step is None:
            return []
        self.pending = None
        said = [self._say(self._t(step.reprompt or step.prompt), step)]
        self._last_said = said
        return said

    def _help(self) -> list[Action]:
        """The step's help (or the flow's), then its prompt; asked again at once, the keypad choices."""
        step = self._step()
        text = self._t(step.help) if step is not None and step.help else self._msg("help")
        if step is not None and text in self._said_last():
            return self._fresh(step, [[self._choices(step)]])
        if isinstance(self.pending, ReadBack):  # "help" to "I heard 1 2 3 4 5 6, is that right?": asked again
            said = [self._say(text, step), self._say(self.pending.question, step)]
        else:
            said = [self._say(text, step), *self._reprompt()]
        self._last_said = said
        return said

    def _goodbye(self, text: str | None = None) -> list[Action]:
        """Hang up politely."""
        self.outcome = self.outcome or "goodbye"
        return [Hangup(text or self._msg("goodbye"), reason="goodbye", language=self.language)]

    def _say(self, text: str, step: Any = None) -> Say:
        """A sentence in the call's language; barge-in from the step, else the flow."""
        allowed = getattr(step, "barge_in", None)
        return Say(text, barge_in=self.spec.barge_in if allowed is None else allowed, language=self.language)

    def _t(self, texts: dict[str, str]) -> str:
        """A text in the call's language (the loader made sure it exists), with placeholders filled."""
        return self._fill(texts.get(self.language) or texts[self.spec.default_language])

    def _topic_named(self, intent: str | None) -> str:
        """How the bot names an intent to the caller ("a network problem"); a general phrase if it cannot."""
        own = self.spec.intents.get(intent or "")
        label = own.label.get(self.language) if own is not None else None
        return label or self._msg("earlier_topic")

    def _fill(self, template: str) -> str:
        """A template with the call's placeholders filled."""
        return fill(template, self._spoken_values())

    def _msg(self, key: str, **values: Any) -> str:
        """One of the flow's standard messages in the call's language, placeholders filled."""
        return fill_message(self.spec, key, self.language, {**self._spoken_values(), **values})

    def _spoken_values(self) -> dict[str, Any]:
        """Placeholders as the caller hears them: a number collected as digits is read digit by digit
        ("account 1 2 3 4 5 6"; a TTS reads 123456 as a quantity, one hundred and twenty-three thousand)."""
        values = self._values()
        for slot in self.flow.digit_slots() & self.slots.keys():
            if self.slots[slot]:
                values[f"slots.{slot}"] = " ".join(str(self.slots[slot]))
        return values

    def _values(self) -> dict[str, Any]:
        """Placeholders a prompt may use."""
        values: dict[str, Any] = {"intent": self._intent_title(), "language": self.language}
        values.update({f"slots.{k}": v for k, v in self.slots.items()})
        values.update({f"vars.{k}": v for k, v in self.vars.items()})
        values.update({f"caller.{k}": v for k, v in self.caller.items()})
        return values

    def _holds(self, condition: Any) -> bool:
        """Whether a branch condition holds now."""
        value = self._values().get(condition.var)
        if condition.var == "intent":
            value = self.intent
        if condition.is_set is not None:
            return (value not in (None, "", False)) == condition.is_set
        return value == condition.equals

    # ----- re-prompts ----------------------------------------------------------------------------------

    def _escalate(self, misses: int) -> list[Action]:
        """The re-prompt after a miss: rephrase with examples first, then keypad choices; never a repeat."""
        step = self._step()
        if step is None:
            return []
        self.pending = None
        sorry = self._msg("no_match_again" if misses > 1 else "no_match")  # "still not sure" after a miss
        rephrase = [sorry, self._rephrase(step)]
        choices = [sorry, self._choices(step)]
        order = [rephrase, choices] if misses <= 1 else [choices, rephrase]
        return self._fresh(step, [*order, [self._msg("no_match_again"), self._t(step.prompt)]])

    def _rephrase(self, step: Any) -> str:
        """The step said another way, with examples where the flow gives them."""
        if step.help:
            return self._t(step.help)
        if isinstance(step, AskStep):
            examples = self._examples(step)
            if examples:
                return self._msg("examples", examples=examples)
        if asks_yes_no(step) and not step.reprompt:
            return self._msg("say_yes_or_no")
        return self._t(step.reprompt or step.prompt)

    def _choices(self, step: Any) -> str:
        """Keypad choices: the step's own, else what the step kind allows, else the flow's help."""
        if step.choices:
            return self._t(step.choices)
        if isinstance(step, CollectStep) and step.kind in ("digits", "number"):
            return self._msg("keypad_digits")
        if asks_yes_no(step):
            return self._msg("say_yes_or_no")
        return self._msg("help")

    def _examples(self, step: AskStep) -> str:
        """ "check my bill, or my internet is not working": the first example of two routable intents."""
        picked = [
            own.examples[self.language][0]
            for name, own in self.spec.intents.items()
            if own.topic and own.examples.get(self.language) and self._routable(name, step)
        ][:2]
        glue = "，或者" if self.language.startswith("zh") else ", or "
        return glue.join(picked)

    def _said_last(self) -> list[str]:
        """The sentences of the bot's last turn."""
        return [getattr(a, "text", "") for a in self._last_said]

    def _fresh(self, step: Any, options: list[list[str]]) -> list[Action]:
        """The first option whose sentences differ from what the bot said last."""
        last = self._said_last()
        for texts in options:
            texts = [t for t in texts if t]
            if texts and texts != last and texts[-1] not in last:
                said = [self._say(t, step) for t in texts]
                self._last_said = said
                return said
        said = [self._say(t, step) for t in options[-1] if t]
        self._last_said = said
        return said
