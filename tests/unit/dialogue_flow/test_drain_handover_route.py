"""The drain deadline hands a caller to the queue the call would be routed to, not the fallback queue."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from ivr.agi.codec import AgiEnvironment
from ivr.bot import CallInfo, EchoBot
from ivr.cluster.drain import handover_action, handover_route
from ivr.dialogue.engine import FlowBot
from ivr.dialogue.registry import FlowRegistry
from ivr.prompts import TRANSFER_NOTICE
from queues.loader import load_queue_config
from queues.routing import QueueRouter
from tests.unit.dialogue_flow.routers import FixedRouter

REPO = Path(__file__).resolve().parents[3]
OFFICE_HOURS = datetime(2024, 5, 6, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai: every queue is open
NIGHT = datetime(2024, 5, 5, 16, 0, tzinfo=UTC)  # Monday 00:00 in Shanghai: only the support queues are


@pytest.fixture(scope="module")
def flow():
    return FlowRegistry.load(REPO / "dialplan").current().flow_for("hotline")


@pytest.fixture(scope="module")
def queues():
    return load_queue_config(REPO / "config" / "queues.yaml")


def env(language: str = "en") -> AgiEnvironment:
    return AgiEnvironment({"callerid": "5551234", "language": language})


def started(flow, router, language: str = "en", now=OFFICE_HOURS) -> FlowBot:
    bot = FlowBot(flow, router=router, now=lambda: now)
    bot.start(CallInfo("uuid-1", "5551234", "Test Caller", language))
    return bot


@pytest.mark.parametrize(("language", "queue"), [("en", "support-en"), ("zh", "support-zh")])
def test_a_caller_with_no_topic_yet_goes_to_the_support_queue_in_their_language(
    flow, queues, language, queue
):
    router = QueueRouter(queues, now=lambda: OFFICE_HOURS)
    bot = started(flow, router, language)
    assert handover_route(bot, env(language), router, "fallback") == (queue, 0)


def test_a_caller_whose_topic_is_known_goes_to_that_skills_queue(flow, queues):
    router = QueueRouter(queues, now=lambda: OFFICE_HOURS)
    bot = started(flow, router)
    bot.on_transcript("I have a question about my bill", 0.9)  # now asked for the account number
    assert bot.intent == "balance"
    assert handover_route(bot, env(), router, "fallback") == ("billing-en", 0)


def test_a_queue_outside_its_hours_is_not_chosen(flow, queues):
    router = QueueRouter(queues, now=lambda: NIGHT)
    bot = started(flow, router, now=NIGHT)
    bot.on_transcript("I have a question about my bill", 0.9)
    assert handover_route(bot, env(), router, "fallback") == ("fallback", 0)


def test_the_queue_already_announced_with_a_callback_offer_is_kept(flow, queues):
    announced = FixedRouter(expected_wait=900, offer_callback=True, priority=3)
    bot = started(flow, announced)
    bot.on_dtmf("0")  # the notice with the wait, then "press 1 to be called back"
    assert bot.pending is not None
    router = QueueRouter(queues, now=lambda: OFFICE_HOURS)
    assert handover_route(bot, env(), router, "fallback") == ("support", 3)


def test_a_bot_without_a_flow_is_routed_by_the_channels_language(queues):
    router = QueueRouter(queues, now=lambda: OFFICE_HOURS)
    assert handover_route(EchoBot("Hello.", "support-en"), env("zh"), router, "fallback") == ("support-zh", 0)


@pytest.mark.parametrize(("language", "words"), [("en", "connecting you to"), ("zh", "为您转接")])
def test_the_drain_notice_is_spoken_in_the_callers_language(flow, language, words):
    bot = started(flow, FixedRouter(), language)
    session = SimpleNamespace(
        settings=SimpleNamespace(uuid_variable="IVR_CALL_UUID"),
        bot=bot,
        channel=SimpleNamespace(env=env(language)),
        _call_meta=dict,
    )
    action = handover_action(session, FixedRouter(), "fallback")
    assert words in action.notice
    assert action.reason == "worker-draining"


def test_a_bot_without_a_flow_keeps_the_english_notice():
    session = SimpleNamespace(
        settings=SimpleNamespace(uuid_variable="IVR_CALL_UUID"),
        bot=EchoBot("Hello.", "support-en"),
        channel=SimpleNamespace(env=env("zh")),
        _call_meta=dict,
    )
    action = handover_action(session, FixedRouter(), "fallback")
    assert action.notice == TRANSFER_NOTICE


def test_the_drain_notice_names_the_team_the_caller_is_routed_to(flow, queues):
    router = QueueRouter(queues, now=lambda: OFFICE_HOURS)
    bot = started(flow, router)
    bot.on_transcript("I have a question about my bill", 0.9)
    session = SimpleNamespace(
        settings=SimpleNamespace(uuid_variable="IVR_CALL_UUID"),
        bot=bot,
        channel=SimpleNamespace(env=env()),
        _call_meta=dict,
    )
    action = handover_action(session, router, "fallback")
    assert action.queue == "billing-en" and "billing specialist" in action.notice
