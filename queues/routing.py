"""Routing: from the dialogue's intent, language and caller tier to a queue, a priority and a wait.

How this works: the skill is the flow's own skill if it names a known one, else the intent's skill
from `routing.intents`, else `routing.default_skill`. The caller's language maps to a queue language
(`routing.languages`, default `routing.default_language`). The first choice is the queue of that skill
and language. When live state says nobody is logged in there, the candidates are tried in order: the
same skill in another language whose agents speak the caller's language, the first choice's overflow
chain, then the home queue (the default skill's queue in the caller's queue language) and
`routing.default_queue`; a queue in another language is a candidate only when one of its agents speaks
the caller's language. The first with someone logged in wins and `overflowed_from` names the first
choice. With nobody logged in anywhere the caller waits in the home queue, so an English caller never
lands in a Chinese queue. Without live state (no AMI, or AMI has not answered yet) the first choice is
kept: an unknown queue is not an empty one. Priority is the reason's base priority plus the VIP
tier's. Opening hours and the wait estimate (queues.status) are read for the chosen queue; a callback
is offered when the estimate is above the queue's `callback_threshold`. Everything is in memory:
`route()` is cheap and synchronous.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from ivr.routing import RouteDecision, RouteRequest
from queues.hours import is_open
from queues.schema import Queue, QueueConfig
from queues.status import QueueStatusView


def _utc_now() -> datetime:
    return datetime.now(UTC)


class QueueRouter:
    """The ivr.routing.Router built from the queue YAML and, when available, live queue state."""

    def __init__(
        self,
        config: QueueConfig,
        status: QueueStatusView | None = None,
        now: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.config = config
        self.status = status
        self._now = now
        self._vip = _vip_table(config)

    def tier_of(self, caller_number: str | None) -> str | None:
        """The caller's VIP tier: an exact number first, then the longest matching prefix."""
        number = normalize_number(caller_number)
        if not number:
            return None
        if number in self._vip:
            return self._vip[number]
        prefixes = [p for p in self._vip if p.endswith("*") and number.startswith(p[:-1])]
        return self._vip[max(prefixes, key=len)] if prefixes else None

    def skill_for(self, request: RouteRequest) -> str:
        """The flow's skill, else the intent's skill, else the default skill."""
        routing = self.config.routing
        if request.skill in self.config.skills:
            return request.skill  # type: ignore[return-value]
        if request.intent is not None and request.intent in routing.intents:
            return routing.intents[request.intent]
        return routing.default_skill

    def queue_language(self, language: str) -> str:
        """The queue language serving a caller language (`zh-CN` falls back to `zh`)."""
        routing = self.config.routing
        served = {queue.language for queue in self.config.queues.values()}
        for candidate in (language, language.split("-", 1)[0]):
            if candidate in routing.languages:
                return routing.languages[candidate]
            if candidate in served:
                return candidate
        return routing.default_language

    def priority_for(self, request: RouteRequest) -> int:
        """The reason's base priority plus the caller tier's priority."""
        priorities = self.config.routing.priorities
        base = priorities.reasons.get(request.reason, priorities.default)
        tier = request.tier or self.tier_of(request.caller_number)
        bonus = self.config.vip.tiers[tier].priority if tier in self.config.vip.tiers else 0
        return base + bonus

    def route(self, request: RouteRequest) -> RouteDecision:
        """The queue, priority, opening state and wait estimate for this caller now."""
        skill = self.skill_for(request)
        language = self.queue_language(request.language)
        first = self._first_choice(skill, language)
        chosen = self._staffed(first, request.language, language)
        queue = self.config.queues[chosen]
        priority = self.priority_for(request)
        profile = self.config.hours.get(queue.hours) if queue.hours else None
        estimate = self.status.estimate(chosen, priority) if self.status is not None else None
        threshold = queue.callback_threshold
        return RouteDecision(
            queue=chosen,
            priority=priority,
            skill=queue.skill,
            is_open=is_open(profile, self._now()),
            position=estimate.position if estimate else None,
            expected_wait=estimate.seconds if estimate else None,
            offer_callback=bool(estimate and threshold is not None and estimate.seconds > threshold),
            overflowed_from=first if chosen != first else None,
        )

    def queues_for_agent(self, agent_id: str) -> list[tuple[str, int]]:
        """(queue, penalty) pairs an agent logs in to from the desktop; [] for an unknown agent."""
        if agent_id not in self.config.agents:
            return []
        return self.config.queues_for_agent(agent_id)

    def display_name(self, queue: str, language: str) -> str:
        """What the bot calls the person the caller will reach ("a billing specialist")."""
        names = self.config.queues[queue].display_name
        short = language.split("-", 1)[0]
        return names.get(language) or names.get(short) or next(iter(names.values()), queue)

    def _first_choice(self, skill: str, language: str) -> str:
        routing = self.config.routing
        queue = self.config.queue_for(skill, language) or self.config.queue_for(
            skill, routing.default_language
        )
        return queue.name if queue else routing.default_queue

    def _staffed(self, first: str, caller_language: str, language: str) -> str:
        """The first candidate with an agent logged in; the home queue when nobody is anywhere."""
        if self.status is None or not self.status.queues():
            return first  # no live state (AMI down or not yet synchronised): keep the first choice
        for name in self.candidates(first, caller_language, language):
            if self.status.agents_logged_in(name) > 0 and self._serves(name, caller_language, language):
                return name
        return self.home_queue(language)

    def _serves(self, name: str, caller_language: str, language: str) -> bool:
        """A staffed queue serves the caller: it is in their language, or someone logged in speaks it."""
        queue = self.config.queues[name]
        if queue.language == language or self.status is None:
            return True
        ids = (self.config.agent_of(i) for i in self.status.member_interfaces(name))
        present = [self.config.agents[a] for a in ids if a is not None]
        if not present:
            return True  # members unknown to queues.yaml (added by hand): candidates() already checked
        wanted = self._wanted(caller_language)
        return any(wanted & set(agent.languages) for agent in present)

    def home_queue(self, language: str) -> str:
        """The default skill's queue in a queue language, else `routing.default_queue`."""
        routing = self.config.routing
        queue = self.config.queue_for(routing.default_skill, language)
        return queue.name if queue else routing.default_queue

    def candidates(self, first: str, caller_language: str, language: str) -> list[str]:
        """Queues to try in order: first choice, same skill in another language the agents speak,
        the overflow chain, the home queue, the default queue (each once; other languages only when
        an agent there speaks the caller's)."""
        skill = self.config.queues[first].skill
        same_skill = [
            q.name for q in sorted(self.config.queues.values(), key=lambda q: q.name) if q.skill == skill
        ]
        ordered = [
            first,
            *same_skill,
            *self._overflow_chain(first),
            self.home_queue(language),
            self.config.routing.default_queue,
        ]
        return [
            name
            for name in dict.fromkeys(ordered)
            if name == first
            or self.config.queues[name].language == language
            or self._speaks(self.config.queues[name], caller_language)
        ]

    def _speaks(self, queue: Queue, caller_language: str) -> bool:
        """Some agent of the queue speaks the caller's language (or its queue language)."""
        wanted = self._wanted(caller_language)
        return any(wanted & set(agent.languages) for agent, _ in self.config.members(queue.name))

    def _wanted(self, caller_language: str) -> set[str]:
        """Agent languages that serve a caller language."""
        return {caller_language, caller_language.split("-", 1)[0], self.queue_language(caller_language)}

    def _overflow_chain(self, start: str) -> list[str]:
        chain: list[str] = []
        current = self.config.queues[start].overflow
        while current is not None and current not in chain and current != start:
            chain.append(current)
            current = self.config.queues[current].overflow
        return chain


def normalize_number(number: str | None) -> str:
    """Digits with an optional leading +; spaces, dashes, dots and brackets dropped."""
    if not number:
        return ""
    text = number.strip()
    digits = "".join(ch for ch in text if ch.isdigit() and ch.isascii())
    return ("+" if text.startswith("+") else "") + digits


def _vip_table(config: QueueConfig) -> dict[str, str]:
    """Number pattern → tier, from vip.callers."""
    return {number: rule.tier for rule in config.vip.callers for number in rule.numbers}
