"""FlowBot: the ivr.bot.Bot that runs an admin's flow YAML, one step at a time.

How this works
--------------
The bot always rests on a waiting step (ask, menu, collect) or on a pending question (confirming a
collected value, or a callback offer). `_enter(step)` runs the steps that need no caller (say, set,
goto, branch, answer, transfer, goodbye) until it reaches a waiting one and speaks its prompt. Each
caller event is handled in this order: a pending question; a collected value (so "one two three" is
data, not a command); the global intents (a person, goodbye, repeat, help); the sentiment trigger; then
the waiting step's own routes, keypad keys, intents and knowledge base. Failures count against the
transfer policy (ivr.dialogue.policy). The Flow object is taken once, so a reload never changes a call.
Speaking lives in ivr.dialogue.prompting, knowledge-base answers in ivr.dialogue.answers and hand-offs
in ivr.dialogue.transfers (mixins of FlowBot).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ivr.bot import Action, CallInfo
from ivr.dialogue import catalog, slots
from ivr.dialogue.answers import AnswersMixin
from ivr.dialogue.handoff_context import fill
from ivr.dialogue.policy import PolicyState
from ivr.dialogue.prompting import PromptingMixin
from ivr.dialogue.registry import Flow
from ivr.dialogue.resume import resume
from ivr.dialogue.schema import (
    AnswerStep,
    AskStep,
    BranchStep,
    CollectStep,
    GoodbyeStep,
    GotoStep,
    MenuStep,
    SayStep,
    SetStep,
    TransferStep,
)
from ivr.dialogue.transfers import CallbackOffer, TransferMixin
from ivr.handoff import Router

MAX_HOPS = 64  # the loader rejects loops without a waiting step; this is only a guard
PERSON_KEY = "0"


@dataclass(frozen=True)
class _Confirm:
    """A collected value waiting for the caller's yes or no."""

    value: Any


class FlowBot(AnswersMixin, PromptingMixin, TransferMixin):
    """Runs one call through one flow version."""

    def __init__(
        self,
        flow: Flow,
        *,
        router: Router,
        knowledge: Any = None,
        now: Callable[[], datetime],
        sentiment: Callable[[str, str], float] | None = None,
    ) -> None:
        self.flow, self.spec = flow, flow.spec
        self.router = router
        self._kb = knowledge  # None: the flow's own knowledge base
        self.now = now
        self._sentiment = sentiment
        self.call: CallInfo | None = None
        self.language = self.spec.default_language
        self.tier: str | None = None
        self.step_name: str | None = None
        self.slots: dict[str, Any] = {}
        self.vars: dict[str, Any] = {}
        self.caller: dict[str, Any] = {}
        self.intent: str | None = None
        self.intent_score: float | None = None
        self.answers_tried: list[str] = []
        self.trail: list[str] = []
        self.policy = PolicyState(self.spec.policy)
        self.pending: _Confirm | CallbackOffer | None = None
        self.outcome: str | None = None
        self.reason: str | None = None
        self.last_text = ""
        self._digits = ""
        self._last_said: list[Action] = []

    # ----- Bot protocol ----------------------------------------------------------------------------

    def start(self, call: CallInfo) -> list[Action]:
        """Pick the language (caller memory first), check VIP status and run the flow's first steps."""
        self.call = call
        previous = call.history[0] if call.history else None
        for language in (previous.language if previous else None, call.language):
            if language in self.spec.languages:
                self.language = language
                break
        self.tier = self.router.tier_of(call.caller_number)
        self.caller = {
            "number": call.caller_number,
            "name": call.caller_name,
            "returning": previous is not None,
            "last_intent": previous.intent if previous else None,
            "open_issue": bool(previous and previous.open_issue),
            "tier": self.tier,
            "vip": self.tier is not None,
        }
        if call.returning_to_bot and call.resume is not None:
            return resume(self, call)  # back from an agent: take the case up where it was left
        if self.tier is not None and self.spec.policy.vip_direct:
            return self._transfer("vip")
        return self._enter(self.spec.start)

    def on_transcript(self, text: str, confidence: float) -> list[Action]:
        """Understand one caller utterance and answer it."""
        text = text.strip()
        self.last_text = text
        if isinstance(self.pending, CallbackOffer):
            return self._answer_offer(self._yes(text) is True)
        if not text:
            return self._no_match()
        if isinstance(self.pending, _Confirm) or isinstance(self._step(), CollectStep):
            value = self._yes(text) if isinstance(self.pending, _Confirm) else self._extract(text)
            if value is not None:
                return self._collected(value)
        match = self.flow.matcher(self.language).match(text)
        name = match.intent if match else None
        if name == "agent":
            return self._transfer("caller-request")
        if name == "goodbye":
            return self._goodbye()
        if self.policy.on_sentiment(self._score(text)):
            return self._transfer("sentiment")
        if name == "repeat":
            self.policy.understood()
            return list(self._last_said)
        if name == "help":
            self.policy.understood()
            return self._help()
        step = self._step()
        if isinstance(step, MenuStep):
            option = self._menu_option(step, text)
            if option is not None:
                return self._choose(option)
        hit = self._kb_hit(step, text)
        if isinstance(step, AskStep | MenuStep) and match is not None:
            # A question the knowledge base answers better than the intent ("how do I pay my bill").
            routed = None if hit and hit.score > match.score else self._route(step, match.intent, match.score)
            if routed is not None:
                return routed
        if hit is not None:
            return self._answer_from_kb(step, hit)
        return self._no_match()

    def on_dtmf(self, digit: str) -> list[Action]:
        """A keypad key: data in a digit collection, a choice in menus and asks, 0 for a person."""
        step = self._step()
        if isinstance(self.pending, CallbackOffer):
            return self._answer_offer(digit == "1")
        if isinstance(self.pending, _Confirm) or (isinstance(step, CollectStep) and step.kind == "yes_no"):
            if digit in "12":
                return self._collected(digit == "1")
        elif isinstance(step, CollectStep) and step.kind in ("digits", "number"):
            return self._keyed_digit(step, digit)
        if digit == PERSON_KEY:
            return self._transfer("keypad-0")
        if digit in self.spec.language_keys and isinstance(step, AskStep | MenuStep):
            self.language = self.spec.language_keys[digit]
            return self._enter(self.step_name)
        if isinstance(step, AskStep) and digit in step.keypad:
            self.policy.understood()
            return self._enter(step.keypad[digit])
        if isinstance(step, MenuStep):
            option = next((o for o in step.options if o.key == digit), None)
            if option is not None:
                return self._choose(option)
        return self._no_match()

    def on_no_input(self) -> list[Action]:
        """Silence: re-prompt, then the step's fallback or a transfer at the limit."""
        if isinstance(self.pending, CallbackOffer):
            return self._answer_offer(False)
        step = self._step()
        if self.policy.on_no_input(getattr(step, "no_input_limit", None)):
            if getattr(step, "on_no_input", None):
                self.policy.understood()
                return self._enter(step.on_no_input)
            return self._transfer("no-input")
        return [self._say(self._msg("no_input")), *self._reprompt()]

    def grammar(self) -> list[str] | None:
        """Phrases the current step expects (for Vosk), or None for free speech."""
        step = self._step()
        if isinstance(self.pending, CallbackOffer | _Confirm) or (
            isinstance(step, CollectStep) and step.kind == "yes_no"
        ):
            return [*catalog.YES_NO_WORDS.get(self.language, []), *self._global_phrases()]
        if isinstance(step, CollectStep) and step.kind in ("digits", "number"):
            return [*catalog.DIGIT_WORDS.get(self.language, []), *self._global_phrases()]
        if isinstance(step, MenuStep):
            words = [w for o in step.options for w in o.words.get(self.language, [])]
            return [*words, *self._global_phrases()]
        return None

    def call_meta(self) -> dict[str, Any]:
        """What this call learned, stored in calls.meta (caller memory reads intent and language)."""
        from ivr.dialogue.handoff_context import _json_value

        return {
            "flow": self.spec.name,
            "flow_version": self.flow.version,
            "language": self.language,
            "intent": self.intent,
            "intent_score": None if self.intent_score is None else round(self.intent_score, 3),
            "slots": {k: _json_value(v) for k, v in self.slots.items()},
            "answers_tried": list(self.answers_tried),
            "outcome": self.outcome,
            "reason": self.reason,
            "tier": self.tier,
            "steps": list(self.trail),
            "sentiment": {"scores": list(self.policy.scores), "trend": self.policy.direction()},
        }

    # ----- running steps ---------------------------------------------------------------------------

    def _enter(self, name: str | None) -> list[Action]:
        """Run steps from `name` until one waits for the caller (or the call is handed over)."""
        actions: list[Action] = []
        self.pending = None
        self._digits = ""
        for _ in range(MAX_HOPS):
            if name is None or name not in self.spec.steps:
                return [*actions, *self._transfer("flow-error")]
            step = self.spec.steps[name]
            self.trail.append(name)
            if isinstance(step, AskStep | MenuStep | CollectStep):
                self.step_name = name
                prompt = [self._say(self._t(step.prompt), step)]
                self._last_said = prompt
                return [*actions, *prompt]
            if isinstance(step, SayStep):
                actions.append(self._say(self._t(step.text), step))
                name = step.next
            elif isinstance(step, SetStep):
                self.vars.update(step.values)
                name = step.next
            elif isinstance(step, GotoStep):
                name = step.goto
            elif isinstance(step, BranchStep):
                name = next((c.goto for c in step.cases if self._holds(c.if_)), step.else_)
            elif isinstance(step, AnswerStep):
                name = self._run_answer(step, actions)
            elif isinstance(step, TransferStep):
                return [*actions, *self._transfer(step.reason, step.skill, step.priority)]
            elif isinstance(step, GoodbyeStep):
                text = self._t(step.text) if step.text else self._msg("goodbye")
                return [*actions, *self._goodbye(text)]
        return [*actions, *self._transfer("flow-error")]

    def _route(self, step: AskStep | MenuStep, intent: str, score: float) -> list[Action] | None:
        """Go where the step (or the intent itself) sends this intent; None when nowhere."""
        target = step.routes.get(intent) if isinstance(step, AskStep) else None
        own = self.spec.intents.get(intent)
        target = target or (own.goto if own else None)
        sensitive = self.policy.is_sensitive(intent)
        if target is None and not sensitive:
            return None
        if own is None or own.topic:
            self.intent, self.intent_score = intent, score
        self.policy.understood()
        if sensitive:
            return self._transfer("sensitive")
        if self.policy.on_request(f"intent:{intent}"):
            return self._transfer("repeated-request")
        return self._enter(target)

    def _collected(self, value: Any) -> list[Action]:
        """A value for the collect step (or the caller's yes/no about it)."""
        step = self._step()
        assert isinstance(step, CollectStep)
        self.policy.understood()
        if isinstance(self.pending, _Confirm):
            confirmed, self.pending = self.pending, None
            if value is True:
                self.slots[step.slot] = confirmed.value
                return self._enter(step.next)
            return self._reprompt()
        if step.confirm is not None:
            self.pending = _Confirm(value)
            spoken = " ".join(value) if step.kind == "digits" and not self._is_zh() else value
            template = step.confirm.get(self.language) or step.confirm[self.spec.default_language]
            question = [self._say(fill(template, {**self._values(), "value": spoken}), step)]
            self._last_said = question
            return question
        self.slots[step.slot] = value
        return self._enter(step.next)

    def _keyed_digit(self, step: CollectStep, digit: str) -> list[Action]:
        """Keypad digits build a number; # ends it, * starts again."""
        if digit == "*":
            self._digits = ""
            return self._reprompt()
        if digit != "#":
            self._digits += digit
            if len(self._digits) < step.max_digits:
                return []
        entered, self._digits = self._digits, ""
        if len(entered) < step.min_digits:
            return self._no_match()
        return self._collected(entered if step.kind == "digits" else int(entered))

    def _choose(self, option: Any) -> list[Action]:
        """A menu option was picked."""
        self.policy.understood()
        if option.language:
            self.language = option.language
        if option.intent:
            self.intent, self.intent_score = option.intent, 1.0
            if self.policy.is_sensitive(option.intent):
                return self._transfer("sensitive")
        return self._enter(option.goto)

    def _no_match(self) -> list[Action]:
        """Not understood: say so and re-prompt, or hand over at the limit."""
        step = self._step()
        if self.policy.on_no_match(getattr(step, "no_match_limit", None)):
            if getattr(step, "on_no_match", None):
                self.policy.understood()
                return self._enter(step.on_no_match)
            return self._transfer("no-match")
        if isinstance(self.pending, _Confirm):
            return [self._say(self._msg("say_yes_or_no"))]
        return [self._say(self._msg("no_match")), *self._reprompt()]

    # ----- helpers ---------------------------------------------------------------------------------

    def _step(self) -> AskStep | MenuStep | CollectStep | None:
        """The waiting step the call rests on."""
        return self.spec.steps.get(self.step_name) if self.step_name else None  # type: ignore[return-value]

    def _extract(self, text: str) -> Any:
        step = self._step()
        assert isinstance(step, CollectStep)
        value = slots.extract(step.kind, text, self.language, today=self.now().date())
        if (
            step.kind == "digits"
            and value is not None
            and not step.min_digits <= len(value) <= step.max_digits
        ):
            return None
        return value

    def _yes(self, text: str) -> bool | None:
        return slots.parse_yes_no(text, self.language)

    def _score(self, text: str) -> float:
        if self._sentiment is not None:
            return self._sentiment(text, self.language)
        from ivr.dialogue.sentiment import sentiment

        return sentiment(text, self.language)

    def _menu_option(self, step: MenuStep, text: str) -> Any:
        from ivr.dialogue.text import normalise

        said = normalise(text, self.language)
        for option in step.options:
            for word in option.words.get(self.language, []):
                if normalise(word, self.language) in said:
                    return option
        return None

    def _global_phrases(self) -> list[str]:
        return [p for name in ("agent", "goodbye", "repeat", "help") for p in _phrases(name, self.language)]

    def _is_zh(self) -> bool:
        from ivr.dialogue.text import is_chinese

        return is_chinese(self.language)

    def _caller_number(self) -> str | None:
        return self.call.caller_number if self.call else None


def _phrases(intent: str, language: str) -> list[str]:
    return catalog.BUILTIN_GLOBAL_INTENTS.get(intent, {}).get(language, [])
