"""The hand-off half of FlowBot: route, speak the notice, offer a callback, build the agent's context.

How this works: `_transfer(reason)` asks the router where the caller goes. Closed queue: the closed
message, then a callback offer (a waiting state) when the caller's number is known, else goodbye. Long
wait (`offer_callback`): the notice with the wait, then the offer. Otherwise one Transfer whose notice
names the reason, the skill and, when known, the place in line and the expected wait. While an offer
is pending, keypad 1 or "yes" becomes a Callback; anything else (or silence) a Transfer, or a goodbye
when the queue is closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ivr.bot import Action, Callback, Hangup, Say, Transfer
from ivr.dialogue import catalog
from ivr.dialogue.briefing import briefing_context
from ivr.dialogue.handoff_context import HandoffFacts, context, fill, join_sentences, summary, wait_words
from ivr.routing import RouteDecision, RouteRequest

# Below this the caller hears "in a moment" rather than a number of minutes.
SHORT_WAIT_SECONDS = 30.0


UNSERVED = frozenset({"no-match", "no-input", "repeated-request"})  # hand-overs for what the bot could not do
UPSET_TURNS = 2  # the last spoken turns read for a mood below policy.sentiment.threshold


@dataclass(frozen=True)
class CallbackOffer:
    """A pending "press 1 to be called back" after a routing decision."""

    decision: RouteDecision
    reason: str
    priority: int
    closed: bool


class TransferMixin:
    """Transfer, callback and hand-off context for FlowBot (which provides the state used here)."""

    # Provided by FlowBot.
    spec: Any
    flow: Any
    router: Any
    language: str
    tier: str | None
    intent: str | None
    intent_score: float | None
    slots: dict[str, Any]
    answers_tried: list[str]
    trail: list[str]
    policy: Any
    pending: Any
    outcome: str | None
    reason: str | None
    mood_words: list[str]

    def _msg(self, key: str, **values: Any) -> str:
        raise NotImplementedError

    def _caller_number(self) -> str | None:
        raise NotImplementedError

    # ----- transfer --------------------------------------------------------------------------------

    def _transfer(self, reason: str, skill: str | None = None, priority: int = 0) -> list[Action]:
        """Route the caller to a person and say what happens next."""
        skill = skill or self._intent_skill(reason) or self.spec.policy.default_skill
        decision = self.router.route(
            RouteRequest(
                reason=reason,
                language=self.language,
                skill=skill,
                intent=self.intent,
                caller_number=self._caller_number(),
                tier=self.tier,
            )
        )
        priority = max(priority, decision.priority)
        self.reason = reason
        number = self._caller_number()
        if not decision.is_open:
            if number:
                self.pending = CallbackOffer(decision, reason, priority, closed=True)
                return [
                    Say(self._msg("closed"), barge_in=False, language=self.language),
                    self._offer("closed"),
                ]
            self.outcome = "closed"
            goodbye = join_sentences([self._msg("closed"), self._msg("closed_goodbye")], self.language)
            return [Hangup(goodbye, reason="closed", language=self.language)]
        notice = self._notice(reason, decision)
        if decision.offer_callback and number:
            self.pending = CallbackOffer(decision, reason, priority, closed=False)
            return [Say(notice, barge_in=False, language=self.language), self._offer("open")]
        return [self._transfer_action(decision, reason, priority, notice)]

    def announced_route(self) -> tuple[str, int] | None:
        """(queue, priority) told to the caller with a pending long-wait callback offer, else None."""
        offer = self.pending
        if not isinstance(offer, CallbackOffer) or offer.closed:
            return None
        return offer.decision.queue, offer.priority

    def _transfer_action(self, decision: RouteDecision, reason: str, priority: int, notice: str) -> Transfer:
        """The Transfer itself, with summary and context."""
        self.outcome = "transferred"
        facts = self._facts(reason)
        # The warm hand-off briefing is built now, so it can be synthesised while the caller waits.
        details = {**context(facts, decision), "briefing": briefing_context(self.spec, facts, decision.skill)}
        return Transfer(
            queue=decision.queue,
            reason=reason,
            notice=notice,
            priority=priority,
            summary=summary(facts),
            context=details,
            language=self.language,
        )

    def _offer(self, kind: str) -> Say:
        """The callback question (keypad 1 or yes)."""
        key = "closed_callback_offer" if kind == "closed" else "callback_offer"
        return Say(self._msg(key), barge_in=True, language=self.language)

    def _answer_offer(self, accepted: bool) -> list[Action]:
        """The caller answered (or ignored) the callback offer."""
        offer: CallbackOffer = self.pending
        self.pending = None
        if accepted:
            self.outcome = "callback"
            facts = self._facts(offer.reason)
            return [
                Callback(
                    queue=offer.decision.queue,
                    reason=offer.reason,
                    notice=self._msg("callback_accepted"),
                    number=self._caller_number() or "",
                    priority=offer.priority,
                    summary=summary(facts),
                    context=context(facts, offer.decision),
                    language=self.language,
                )
            ]
        if offer.closed:
            self.outcome = "closed"
            return [Hangup(self._msg("closed_goodbye"), reason="closed", language=self.language)]
        return [self._transfer_action(offer.decision, offer.reason, offer.priority, self._msg("hold"))]

    # ----- words -----------------------------------------------------------------------------------

    def handover_notice(self, reason: str, skill: str | None = None) -> str:
        """The notice for a hand-over decided outside the flow (worker draining), in the caller's language."""
        return self._notice(reason, RouteDecision(queue="", skill=skill or self._intent_skill(reason)))

    def _notice(self, reason: str, decision: RouteDecision) -> str:
        """ "To help you better, I'm connecting you to a billing specialist." plus place and wait."""
        skill_name = decision.skill or self.spec.policy.default_skill
        skill_words = self.spec.skills.get(skill_name) or self.spec.skills[self.spec.policy.default_skill]
        # handed over after misses, a caller who sounded upset hears the apology, not "to help you better"
        low = self.spec.policy.sentiment.threshold
        upset = reason in UNSERVED and any(score < low for score in self.policy.scores[-UPSET_TURNS:])
        phrase = catalog.reason_phrase(self.spec, "sentiment" if upset else reason, self.language) or ""
        parts = [
            self._msg(
                "transfer_notice", reason=phrase, skill=skill_words.get(self.language) or skill_name
            ).strip()
        ]
        if decision.position is not None:
            parts.append(self._msg("wait_position", position=decision.position, ahead=decision.position - 1))
        if decision.expected_wait is not None and decision.expected_wait < SHORT_WAIT_SECONDS:
            parts.append(self._msg("wait_short"))  # "about 1 minute" would oversell a free agent's wait
        elif decision.expected_wait is not None:
            parts.append(self._msg("wait_time", wait=wait_words(decision.expected_wait, self.language)))
        return join_sentences(parts, self.language)

    def _intent_skill(self, reason: str) -> str | None:
        """The skill for this reason: sensitive topics may have their own, else the intent's."""
        own = self.spec.intents.get(self.intent) if self.intent else None
        if reason == "sensitive" and self.spec.policy.sensitive_skill:
            return self.spec.policy.sensitive_skill
        return own.skill if own is not None else None

    def _facts(self, reason: str) -> HandoffFacts:
        """The hand-off facts as they stand now."""
        return HandoffFacts(
            flow=self.spec.name,
            flow_version=self.flow.version,
            language=self.language,
            caller_number=self._caller_number(),
            tier=self.tier,
            intent=self.intent,
            intent_title=self._intent_title(),
            intent_score=self.intent_score,
            slots=dict(self.slots),
            answers_tried=list(self.answers_tried),
            reason=reason,
            sentiment_scores=list(self.policy.scores),
            sentiment_trend=self.policy.direction(),
            steps=list(self.trail),
            sentiment_words=list(self.mood_words),
        )

    def _intent_title(self) -> str | None:
        """The intent as the agent reads it (English title when there is one)."""
        if self.intent is None:
            return None
        own = self.spec.intents.get(self.intent)
        titles = own.title if own is not None else {}
        return titles.get("en") or titles.get(self.spec.default_language) or self.intent.replace("_", " ")


def fill_message(spec: Any, key: str, language: str, values: dict[str, Any]) -> str:
    """A flow message in `language` (built-in when the flow has none) with its placeholders filled."""
    template = catalog.message(spec, key, language) or catalog.message(spec, key, spec.default_language) or ""
    return fill(template, values)
