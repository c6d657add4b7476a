"""Routing from intent, language and caller to a queue, priority, opening state and callback offer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ivr.routing import Router, RouteRequest
from queues.loader import load_queue_config
from queues.routing import QueueRouter, normalize_number
from queues.schema import QueueConfig
from queues.status import WaitEstimate

SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "asterisk-config" / "queues.yaml"
MONDAY_10 = datetime(2025, 9, 29, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
SUNDAY_10 = datetime(2025, 9, 28, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@dataclass
class FakeStatus:
    """A QueueStatusView with fixed numbers; queues not listed have one agent logged in."""

    logged_in: dict[str, int] = field(default_factory=dict)
    waits: dict[str, float] = field(default_factory=dict)
    asked: list[tuple[str, int]] = field(default_factory=list)

    def agents_logged_in(self, queue: str) -> int:
        return self.logged_in.get(queue, 1)

    def agents_available(self, queue: str) -> int:
        return self.logged_in.get(queue, 1)

    def queues(self) -> list[str]:
        return ["billing-en"]  # AMI has answered

    def member_interfaces(self, queue: str) -> list[str]:
        return []  # who is there is unknown: the configured members' languages decide

    def estimate(self, queue: str, priority: int) -> WaitEstimate | None:
        self.asked.append((queue, priority))
        return WaitEstimate(position=3, seconds=self.waits[queue]) if queue in self.waits else None


@pytest.fixture(scope="module")
def config() -> QueueConfig:
    return load_queue_config(SAMPLE)


def router(config: QueueConfig, status: FakeStatus | None = None, now: datetime = MONDAY_10) -> QueueRouter:
    return QueueRouter(config, status, now=lambda: now)


@pytest.mark.parametrize(
    ("intent", "language", "queue"),
    [
        ("balance", "en", "billing-en"),
        ("bill", "zh", "billing-zh"),
        ("refund", "en", "billing-en"),
        ("network_fault", "zh", "technical-zh"),
        ("password_reset", "en", "technical-en"),
        ("plan_change", "zh", "sales-zh"),
        ("agent", "en", "support-en"),
        (None, "zh", "support-zh"),  # no intent: the default skill
        ("weather", "en", "support-en"),  # unknown intent: the default skill
        ("bill", "yue", "billing-zh"),  # caller language mapped to a queue language
        ("bill", "zh-CN", "billing-zh"),  # regional variant of a served language
        ("bill", "fr", "billing-en"),  # a language no queue serves: the default language
    ],
)
def test_intent_and_language_choose_the_queue(
    config: QueueConfig, intent: str | None, language: str, queue: str
) -> None:
    decision = router(config, FakeStatus()).route(
        RouteRequest(reason="caller-request", language=language, intent=intent)
    )
    assert decision.queue == queue
    assert decision.overflowed_from is None
    assert decision.skill == config.queues[queue].skill


def test_the_flow_skill_wins_over_the_intent(config: QueueConfig) -> None:
    request = RouteRequest(reason="caller-request", language="en", skill="sales", intent="bill")
    assert router(config).route(request).queue == "sales-en"


def test_vip_numbers_and_tiers_raise_the_priority(config: QueueConfig) -> None:
    r = router(config)
    assert r.tier_of("+8613800138000") == "gold"
    assert r.tier_of("+86 139 0011 2233") == "gold"  # prefix rule, spaces ignored
    assert r.tier_of("5551234") == "silver"
    assert r.tier_of("5551235") is None
    assert r.tier_of(None) is None and r.tier_of("anonymous") is None
    assert (
        r.route(RouteRequest(reason="caller-request", language="en", caller_number="5551234")).priority == 5
    )
    gold = RouteRequest(reason="sensitive", language="en", intent="refund", caller_number="+8613800138000")
    assert r.route(gold).priority == 11  # sensitive (1) + gold (10)
    assert r.route(RouteRequest(reason="sentiment", language="en", tier="silver")).priority == 7
    assert r.route(RouteRequest(reason="no-match", language="en", tier="unknown")).priority == 0


def test_nobody_logged_in_tries_same_skill_in_a_language_the_agents_speak(config: QueueConfig) -> None:
    status = FakeStatus(logged_in={"billing-zh": 0})
    decision = router(config, status).route(
        RouteRequest(reason="caller-request", language="zh", intent="bill")
    )
    assert decision.queue == "billing-en"  # alice speaks zh and is in billing-en
    assert decision.overflowed_from == "billing-zh"


def test_nobody_logged_in_follows_the_overflow_then_the_default_queue(config: QueueConfig) -> None:
    request = RouteRequest(reason="caller-request", language="zh", intent="plan_change")
    status = FakeStatus(logged_in={"sales-zh": 0, "sales-en": 0})
    decision = router(config, status).route(request)
    assert (decision.queue, decision.overflowed_from) == ("support-zh", "sales-zh")
    status = FakeStatus(logged_in={"sales-zh": 0, "sales-en": 0, "support-zh": 0})
    assert router(config, status).route(request).queue == "support-en"  # support-zh overflows to support-en
    nobody = FakeStatus(logged_in={name: 0 for name in config.queues})
    decision = router(config, nobody).route(request)
    assert (decision.queue, decision.overflowed_from) == ("support-zh", "sales-zh")  # the home queue


def test_without_live_state_the_first_choice_is_kept(config: QueueConfig) -> None:
    decision = router(config, None).route(RouteRequest(reason="keypad-0", language="en", intent="bill"))
    assert decision.queue == "billing-en"
    assert (decision.position, decision.expected_wait, decision.offer_callback) == (None, None, False)


def test_closed_hours_are_reported(config: QueueConfig) -> None:
    request = RouteRequest(reason="caller-request", language="en", intent="bill")
    assert router(config, now=MONDAY_10).route(request).is_open
    assert not router(config, now=SUNDAY_10).route(request).is_open
    support = RouteRequest(reason="caller-request", language="en", intent="agent")
    assert router(config, now=SUNDAY_10).route(support).is_open  # support-en is open always


def test_callback_is_offered_above_the_threshold(config: QueueConfig) -> None:
    request = RouteRequest(reason="caller-request", language="en", intent="bill", tier="gold")
    status = FakeStatus(waits={"billing-en": 121.0})
    decision = router(config, status).route(request)
    assert (decision.position, decision.expected_wait, decision.offer_callback) == (3, 121.0, True)
    assert status.asked == [("billing-en", 10)]  # the estimate is asked with the caller's priority
    below = router(config, FakeStatus(waits={"billing-en": 120.0})).route(request)
    assert not below.offer_callback and below.expected_wait == 120.0


def test_agent_login_queues_and_penalties(config: QueueConfig) -> None:
    r = router(config)
    assert r.queues_for_agent("dana") == [("billing-en", 6), ("sales-en", 0), ("support-en", 2)]
    assert r.queues_for_agent("nobody") == []
    assert config.interface_of("dana") == "PJSIP/1004"
    assert config.agent_of("PJSIP/1004") == "dana"


def test_display_names_per_language(config: QueueConfig) -> None:
    r = router(config)
    assert r.display_name("billing-zh", "zh") == "账务专员"
    assert r.display_name("billing-zh", "en") == "a billing specialist"
    assert r.display_name("technical-en", "zh-CN") == "技术支持专员"


def test_it_is_a_router(config: QueueConfig) -> None:
    router_like: Router = router(config)
    assert router_like.tier_of("5551234") == "silver"


def test_normalize_number() -> None:
    assert normalize_number(" +86 (139) 001-12.233 ") == "+8613900112233"
    assert normalize_number("") == "" and normalize_number(None) == ""
