"""Routing keeps the caller's language: skill × caller language × who is logged in × AMI up or down.

The agents of the sample queues.yaml: alice (billing, support; en+zh), bob (technical, support; en),
chen (technical, sales, support; zh+en), dana (sales, billing, support; en), li (support, billing; zh).
Each agent logs in to every queue of their skills in a language they speak (as the desktop does).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ivr.routing import RouteRequest
from queues.loader import load_queue_config
from queues.routing import QueueRouter
from queues.schema import QueueConfig
from queues.status import WaitEstimate

SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "asterisk-config" / "queues.yaml"
MONDAY_10 = datetime(2025, 9, 29, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
SKILLS = ("billing", "technical", "sales", "support")
EVERYONE = ("alice", "bob", "chen", "dana", "li")


@dataclass
class LoggedIn:
    """Live state as AMI reports it: the members logged in to each queue (interfaces)."""

    members: dict[str, list[str]]
    ami_up: bool = True

    def queues(self) -> list[str]:
        return sorted(self.members) if self.ami_up else []

    def member_interfaces(self, queue: str) -> list[str]:
        return list(self.members.get(queue, [])) if self.ami_up else []

    def agents_logged_in(self, queue: str) -> int:
        return len(self.member_interfaces(queue))

    def agents_available(self, queue: str) -> int:
        return self.agents_logged_in(queue)

    def estimate(self, queue: str, priority: int) -> WaitEstimate | None:
        return None


@pytest.fixture(scope="module")
def config() -> QueueConfig:
    return load_queue_config(SAMPLE)


def live(config: QueueConfig, agents: tuple[str, ...], ami_up: bool = True) -> LoggedIn:
    """Every queue known to AMI, with `agents` logged in to all the queues their skills give them."""
    members: dict[str, list[str]] = {name: [] for name in config.queues}
    for agent in agents:
        for queue, _penalty in config.queues_for_agent(agent):
            members[queue].append(config.agents[agent].interface)
    return LoggedIn(members, ami_up)


def route(config: QueueConfig, status: LoggedIn, skill: str, language: str) -> str:
    decision = QueueRouter(config, status, now=lambda: MONDAY_10).route(
        RouteRequest(reason="caller-request", language=language, skill=skill)
    )
    return decision.queue


def row(billing: str, technical: str, sales: str, support: str) -> dict[str, str]:
    return dict(zip(SKILLS, (billing, technical, sales, support), strict=True))


# Who is logged in -> the queue per (skill, caller language), worked out by hand from the agents above.
EXPECTED: dict[tuple[str, ...], dict[str, dict[str, str]]] = {
    EVERYONE: {lang: {s: f"{s}-{lang}" for s in SKILLS} for lang in ("en", "zh")},
    (): {lang: {s: f"support-{lang}" for s in SKILLS} for lang in ("en", "zh")},  # nobody: home queue
    ("bob",): {
        "en": row("support-en", "technical-en", "support-en", "support-en"),
        "zh": {s: "support-zh" for s in SKILLS},  # bob speaks no Chinese: wait at home
    },
    ("li",): {
        "en": {s: "support-en" for s in SKILLS},  # the bug: an English caller sent to support-zh
        "zh": row("billing-zh", "support-zh", "support-zh", "support-zh"),
    },
    ("alice",): {
        "en": row("billing-en", "support-en", "support-en", "support-en"),
        "zh": row("billing-zh", "support-zh", "support-zh", "support-zh"),
    },
    ("dana",): {
        "en": row("billing-en", "support-en", "sales-en", "support-en"),
        "zh": {s: "support-zh" for s in SKILLS},
    },
    ("chen",): {
        "en": row("support-en", "technical-en", "sales-en", "support-en"),
        "zh": row("support-zh", "technical-zh", "sales-zh", "support-zh"),
    },
}


@pytest.mark.parametrize("skill", SKILLS)
@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("agents", list(EXPECTED), ids=lambda a: "+".join(a) or "nobody")
def test_ami_up_the_queue_follows_who_is_logged_in(config, skill, language, agents) -> None:
    assert route(config, live(config, agents), skill, language) == EXPECTED[agents][language][skill]


@pytest.mark.parametrize("skill", SKILLS)
@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("agents", [EVERYONE, ()], ids=["everyone", "nobody"])
def test_ami_down_keeps_the_skill_queue_of_the_callers_language(config, skill, language, agents) -> None:
    # With AMI down nothing is known about who is logged in: an unknown queue is not an empty one.
    assert route(config, live(config, agents, ami_up=False), skill, language) == f"{skill}-{language}"


def test_a_queue_in_another_language_only_when_someone_there_speaks_the_callers(config) -> None:
    only_billing_en = LoggedIn({name: [] for name in config.queues} | {"billing-en": ["PJSIP/1001"]})
    decision = QueueRouter(config, only_billing_en, now=lambda: MONDAY_10).route(
        RouteRequest(reason="caller-request", language="zh", skill="billing")
    )
    assert (decision.queue, decision.overflowed_from) == ("billing-en", "billing-zh")  # alice speaks zh
    dana_only = LoggedIn({name: [] for name in config.queues} | {"billing-en": ["PJSIP/1004"]})
    decision = QueueRouter(config, dana_only, now=lambda: MONDAY_10).route(
        RouteRequest(reason="caller-request", language="zh", skill="billing")
    )
    assert (decision.queue, decision.overflowed_from) == ("support-zh", "billing-zh")  # dana does not


@pytest.mark.parametrize("reason", ["caller-request", "keypad-0"])
def test_an_english_caller_asking_for_a_person_with_nobody_anywhere_stays_english(config, reason) -> None:
    decision = QueueRouter(config, live(config, ()), now=lambda: MONDAY_10).route(
        RouteRequest(reason=reason, language="en", intent="agent")
    )
    assert decision.queue == "support-en"
    assert decision.overflowed_from is None
