"""FlowBot: the ivr.bot.Bot that runs an admin's flow YAML, one step at a time.

How this works
--------------
The bot always rests on a waiting step (ask, menu, collect) or on a pending question (confirming a
collected value, or a callback offer). `_enter(step)` runs the steps that need no caller (say, set,
goto, branch, answer, transfer, goodbye) until it reaches a waiting one and speaks its prompt. Each
utterance is read once (intents ranked, sentiment) and handled in this order: a request for a person; a
strongly negative turn; the answer to a repair question; at a collect step or confirmation, a clear
intent (mixed initiative, ivr.dialogue.listening) or else the collected value (so "one two three" is
data, not a command); goodbye; sustained negativity; repeat and help; then the waiting step's menu
options; thanks alone (the step's question again, not a miss); routes, intents and knowledge base; what
is left gets a repair question or a re-prompt.
Failures count against the transfer policy (ivr.dialogue.policy). The Flow object is taken once, so a
reload never changes a call. Speaking lives in ivr.dialogue.prompting, listening in
ivr.dialogue.listening, collected values and their read-back in ivr.dialogue.collecting, goodbyes and
going on at "anything else?" in ivr.dialogue.closing, knowledge-base answers in ivr.dialogue.answers and
hand-offs in ivr.dialogue.transfers (mixins of FlowBot).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from asr.engine import Alternative
from ivr.bot import Action, CallInfo
from ivr.dialogue import slots, yes_no
from ivr.dialogue.answers import AnswersMixin
from ivr.dialogue.closing import ClosingMixin
from ivr.dialogue.collecting import CollectingMixin, ReadBack
from ivr.dialogue.hearing import RecogniserMixin
from ivr.dialogue.intents import IntentMatch
from ivr.dialogue.listening import Heard, ListeningMixin, vague_match
from ivr.dialogue.policy import PolicyState
from ivr.dialogue.prompting import PromptingMixin
from ivr.dialogue.registry import Flow
from ivr.dialogue.repair import AskedIntent, RepairMixin
from ivr.dialogue.resume import resume
from ivr.dialogue.schema import (
    GLOBAL_INTENTS,
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
    asks_yes_no,
)
from ivr.dialogue.text import asks, ends_asking, marked_question
from ivr.dialogue.transfers import CallbackOffer, TransferMixin
from ivr.routing import Router

MAX_HOPS = 64  # the loader rejects loops without a waiting step; this is only a guard
PERSON_KEY = "0"
KNOWLEDGE_TIE = 0.05  # how far a clear knowledge answer may score below a one-word intent and still answer


class FlowBot(
    AnswersMixin,
    CollectingMixin,
    ListeningMixin,
    RepairMixin,
    ClosingMixin,
    RecogniserMixin,
    PromptingMixin,
    TransferMixin,
):
    """Runs one call through one flow version."""

    def __init__(
        self,
        flow: Flow,
        *,
        router: Router,
        knowledge: Any = None,
        now: Callable[[], datetime],
    ) -> None:
        self.flow, self.spec = flow, flow.spec
        self.router = router
        self._kb = knowledge  # None: the flow's own knowledge base
        self.now = now
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
        self.answered_last: str | None = None  # the knowledge entry the last turn was answered from
        self._pieces, self._pieced = "", False  # a number said in pieces (ivr.dialogue.collecting)
        self.trail: list[str] = []
        self.policy = PolicyState(self.spec.policy)
        self.pending: ReadBack | CallbackOffer | None = None
        self.outcome: str | None = None
        self.reason: str | None = None
        self.last_text = ""
        self._digits = ""
        self._last_said: list[Action] = []
        self.mood_words: list[str] = []  # the words that made the caller's turns negative, for the agent
        self.acted: str | None = None  # the intent the last turn acted on: a global one, or one it routed

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
            "last_topic": self._topic_named(previous.intent if previous else None),
            "open_issue": bool(previous and previous.open_issue),
            "tier": self.tier,
            "vip": self.tier is not None,
        }
        if call.returning_to_bot and call.resume is not None:
            return resume(self, call)  # back from an agent: take the case up where it was left
        if self.tier is not None and self.spec.policy.vip_direct:
            return self._transfer("vip")
        return self._enter(self.spec.start)

    def on_transcript(
        self, text: str, confidence: float, alternatives: Sequence[Alternative] = ()
    ) -> list[Action]:
        """Understand one caller utterance (or a clearer alternative of the recogniser's) and answer it."""
        self._heard_now = {}
        told, self.answered_last = self.answered_last, None
        self._digits = ""  # keys pressed before speaking are not joined to keys pressed after it
        text, confidence = self._pick(text.strip(), confidence, alternatives)
        text = self._going_on(text) or text
        text = self._without_greeting(text)  # "hello? yes" answers as "yes" does
        self.last_text = text
        text = marked_question(text, self.language)  # 上班不？ asks as 上班吗 does
        if isinstance(self.pending, CallbackOffer):
            return self._answer_offer(self._yes(text) is True)
        if not text:
            return self._no_match()
        heard = self._hear(text)
        trigger = self.policy.on_sentiment(heard.mood)
        self.mood_words.extend(w for w in heard.mood.negative if w not in self.mood_words)
        self.acted = heard.intent if heard.intent in GLOBAL_INTENTS else None
        # a person named only in a complaint ("worst customer service I've ever had") is the complaint
        if heard.intent == "agent" and (trigger != "strong" or heard.asks):
            self._note_topic(heard)  # "can I talk to someone about my bill": the billing team
            self._note_no_to_the_last_call(text)  # "no, that was fixed. can I speak to someone?"
            return self._transfer("caller-request", self.flow.teams(self.language).named(text))
        if trigger == "strong":
            self.acted = None  # "why do I have to repeat myself, it's pathetic" asks for nothing
            topic = self.spec.intents.get(heard.intent or "")
            if topic is not None and topic.topic:  # the agent still sees what the caller wanted
                self.intent, self.intent_score, self.acted = heard.intent, heard.match.score, heard.intent
            return self._transfer("sentiment")
        if self._asks_what_it_means(text, heard):
            self.acted = "help"  # "what do you mean by all my devices", "why do you need my postcode"
            self.policy.understood()
            return self._help()
        asked = self.pending if isinstance(self.pending, AskedIntent) else None
        if asked is not None:
            self.pending = None
            chosen = self._chosen(asked, heard, self._yes(text))
            if chosen is False:
                return [self._say(self._msg("not_that")), *self._escalate(self.policy.no_match)]
            if chosen:
                routed = self._route(self._step(), chosen, 1.0)
                if routed is not None:
                    return routed
        step = self._step()
        if heard.greeting:  # "你好" is no yes ("好") to a yes/no question: hello, and the question again
            return self._acknowledged(greeting=True)
        if isinstance(self.pending, ReadBack) or isinstance(step, CollectStep):
            value = self._answer(text)
            if isinstance(value, bool) and slots.asks_again(text, self.language):
                value = None  # 可以再说一遍吗 ("can you say it again?"): its 可以 is no yes to the question
            override = self._overriding(heard, value)
            aside = self._aside(step, heard, text) if value is None else None
            if (
                override is not None
                and (aside != "missing" or self._asks_beside_missing(step, override, text))
                and not (aside and override.matched.startswith("~"))
            ):
                said_no = self._said_no_first(step, text, value)  # before routing moves the call on
                routed = self._route(step, override.intent, override.score)
                if routed is not None:
                    if said_no:  # "no, I want my balance" to "the same issue?": the no answers it too
                        self.slots.setdefault(step.slot, False)
                    return routed
            if value is not None:
                if self.acted in ("repeat", "help"):
                    self.acted = None  # "aye, same again" answers the question: no request to hear it again
                return self._asked_with_no(text, value, self._collected(value))
            if aside == "missing" and self._msg("missing") in self._said_last():
                return self._transfer("no-match")  # still without it: a person can help another way
            if aside is not None:  # no miss: the caller comes back with the answer, or asks for a person
                self.policy.understood()
                self._last_said = [self._say(self._aside_reply(step, aside), step)]
                return list(self._last_said)
        if self._goes_on(heard, text):  # "one more thing" or "yes" at "anything else?": not the end
            self.policy.understood()
            return [self._say(self._msg("go_on"), step)]
        if (objection := self._objection(heard, text)) is not None:  # "no, that's not what I asked"
            return objection
        if (finished := self._finished(text)) is not None:  # "yeah I'm good" at "anything else?"
            return finished
        if isinstance(step, AskStep) and not self.intent and self._nothing_wanted(text):
            return self._goodbye()  # "oh sorry, wrong number", "never mind, thanks": let them go
        name = heard.intent
        if name == "goodbye":
            return self._goodbye()
        if trigger == "sustained":
            return self._transfer("sentiment")
        if name == "repeat":
            # "what was the number for voicemail again" names what it wants: the knowledge base answers it,
            # unless the bot has just answered from it (then the caller wants that answer again)
            opening = told is None and not self.intent  # nothing answered yet but the greeting
            named = opening and not slots.asks_again(text, self.language) and self._kb_hit(step, text)
            if named:
                return self._answer_from_kb(step, named)
            self.policy.understood()
            return list(self._last_said)
        if name == "help":
            self.policy.understood()
            return self._help()
        if isinstance(step, MenuStep):
            option = self._menu_option(step, text)
            if option is not None:
                return self._choose(option)
        if heard.courtesy:  # "oh okay, thanks very much": nothing asked, nothing missed
            return self._acknowledged()
        wanted = self._wanted_after_answer(told, heard)  # "I'd like one then" after the refund policy
        if wanted is not None and (routed := self._route(step, wanted, 1.0)) is not None:
            return routed
        hit = self._kb_hit(step, text)
        match = heard.match
        # A question the knowledge base answers better than the intent ("how do I pay my bill") is answered.
        # A collect step does not restart its own topic ("my balance" at the account number): re-prompt.
        # An answer is expected at a collect step: a request by meaning alone must be clear to leave it.
        same_topic = isinstance(step, CollectStep) and match is not None and match.intent == self.intent
        vague = match is not None and vague_match(match)
        listens = isinstance(step, AskStep | MenuStep) or (self._mixed(step) and not same_topic and not vague)
        # "is that all?", 就这些了吗 at "anything else?": a question about the answer, not the call's end
        closing = isinstance(step, AskStep) and match is not None and self._closes(step, match.intent)
        listens = listens and not (closing and ends_asking(text, self.language))
        if match is not None and listens and not self._knowledge_first(hit, match, text):
            if confidence < self.spec.policy.confirm_below_confidence and self._label(match.intent):
                return self._confirm_intent(match)
            if self._ambiguous(heard):
                return self._repair_question(heard) or []
            routed = self._route(step, match.intent, match.score)
            if routed is not None:
                return routed
        if hit is not None:
            return self._answer_from_kb(step, hit)
        return self._no_match(heard)

    def _knowledge_first(self, hit: Any, match: IntentMatch, text: str) -> bool:
        """The knowledge base answers the turn rather than the intent: it scores higher, or the turn asks a
        question it answers clearly while the intent rests on one word ("can I pay the bill at the post
        office?" is how to pay, not the balance)."""
        if hit is None:
            return False
        if hit.score > match.score:
            return True
        one_word = not match.matched.startswith("~") and " " not in match.matched.strip()
        return (
            one_word
            and hit.score >= self.spec.policy.clear_intent
            and match.score - hit.score <= KNOWLEDGE_TIE
            and asks(text, self.language)
        )

    def _asks_what_it_means(self, text: str, heard: Heard) -> bool:
        """At a collect step, the turn asks what the question means or why, and answers nothing else
        ("why do you need that? I just want it fixed"; not "what do you mean, only my phone"). Not at a
        read-back: "what do you mean?" to "I heard 1 2 3 4 5 6, is that right?" hears it again (repeat)."""
        step = self._step()
        if self.pending is not None or not isinstance(step, CollectStep):
            return False
        asked, rest = slots.split_clarifying(text, self.language)
        if not asked or not rest or yes_no.only_thinking(rest, self.language):
            return asked  # "hmm, which issue?": the hmm is thinking, no yes
        return heard.match is None and self._value_in(step, rest) is None and self._yes(rest) is None

    def on_dtmf(self, digit: str) -> list[Action]:
        """A keypad key: data in a digit collection, a choice in menus and asks, 0 for a person."""
        self.last_text = ""  # a key is nothing said: no number "said ahead" in the turn before it
        step = self._step()
        if isinstance(self.pending, CallbackOffer):
            return self._answer_offer(digit == "1")
        if isinstance(self.pending, ReadBack) or asks_yes_no(step):
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
            target = step.keypad[digit]
            # A key that leads where an intent goes tells the agent the caller's topic too.
            self.intent = next((n for n, i in self.spec.intents.items() if i.goto == target), self.intent)
            return self._enter(target)
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
        if self._digits and isinstance(step, CollectStep):  # keyed without "#", then a pause: that is the end
            return self._keyed_digit(step, "#")
        if self.policy.on_no_input(getattr(step, "no_input_limit", None)):
            if getattr(step, "on_no_input", None):
                self.policy.understood()
                return self._enter(step.on_no_input)
            # silence to "anything else?" is a caller who is done, not one who needs a person
            return self._to_the_end() or self._transfer("no-input")
        step = self._step()
        again = self._t(step.reprompt or step.prompt) if step is not None else ""
        options = [[self._msg("no_input"), again], [self._msg("no_input"), self._rephrase(step)]]
        return self._fresh(step, options)

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
            "sentiment": {
                "scores": list(self.policy.scores),
                "trend": self.policy.direction(),
                "words": list(self.mood_words),
            },
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

    def _route(self, step: Any, intent: str, score: float) -> list[Action] | None:
        """Go where the step (or the intent itself) sends this intent; None when nowhere."""
        target = step.routes.get(intent) if isinstance(step, AskStep) else None
        own = self.spec.intents.get(intent)
        target = target or (own.goto if own else None)
        sensitive = self.policy.is_sensitive(intent)
        if target is None and not sensitive:
            return None
        if own is None or own.topic:
            self.intent, self.intent_score = intent, score
        self.acted = intent
        self.policy.understood()
        if sensitive:
            return self._transfer("sensitive")
        if self.policy.on_request(f"intent:{intent}"):
            return self._transfer("repeated-request")
        return self._enter(target)

    def _missed(self) -> list[Action] | None:
        """One more turn the bot could not serve: the step's way out or a person at the limit, else None."""
        step = self._step()
        if not self.policy.on_no_match(getattr(step, "no_match_limit", None)):
            return None
        if getattr(step, "on_no_match", None):
            self.policy.understood()
            return self._enter(step.on_no_match)
        return self._transfer("no-match")

    def _no_match(self, heard: Heard | None = None) -> list[Action]:
        """Not understood: a targeted question, else an escalating re-prompt; a person at the limit."""
        if (limit := self._missed()) is not None:
            return limit
        step = self._step()
        if isinstance(self.pending, ReadBack):
            options = [[self._msg("say_yes_or_no")], [self._msg("no_match_again"), self.pending.question]]
            return self._fresh(step, options)
        if (too_long := self._too_many_digits(step)) is not None:
            return too_long
        sorry = self._msg("sorry_to_hear")
        if heard is not None and self._upset_only(heard) and sorry not in self._said_last():
            return self._fresh(
                step, [[sorry, self._t(step.reprompt or step.prompt)]]
            )  # not "didn't understand"
        if heard is not None:
            question = self._repair_question(heard)
            if question is not None:
                return question
        return self._escalate(self.policy.no_match)

    # ----- helpers ---------------------------------------------------------------------------------

    def _step(self) -> AskStep | MenuStep | CollectStep | None:
        """The waiting step the call rests on."""
        return self.spec.steps.get(self.step_name) if self.step_name else None  # type: ignore[return-value]

    def _caller_number(self) -> str | None:
        return self.call.caller_number if self.call else None
