"""The warm hand-off briefing built at transfer time, and the bot taking a caller back from an agent."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ivr.bot import CallInfo, Say, Transfer
from ivr.dialogue.briefing import MAX_SECONDS, briefing_text, spoken_seconds
from ivr.dialogue.engine import FlowBot
from ivr.dialogue.handoff_context import HandoffFacts
from ivr.dialogue.registry import FlowRegistry
from ivr.routing import StaticRouter

DIALPLAN = Path(__file__).resolve().parents[3] / "dialplan"
NOW = datetime(2024, 5, 6, 10, 0, tzinfo=UTC)
FACTS = HandoffFacts(
    flow="telecom", flow_version=1, language="en", caller_number="5551234", tier="gold", intent="refund",
    intent_title="a refund", intent_score=0.9, slots={"account": "12345678"}, answers_tried=[],
    reason="sensitive", sentiment_scores=[-0.6], sentiment_trend="worsening", steps=["welcome", "main"],
)  # fmt: skip


@pytest.fixture(scope="module")
def flow():
    return FlowRegistry.load(DIALPLAN).current().flow_for("hotline")


def test_the_briefing_says_who_wants_what_and_how_they_feel(flow):
    text = briefing_text(flow.spec, FACTS, "billing")
    assert text == "Billing, English, VIP gold. Wants a refund; account given. The caller sounds upset."
    assert spoken_seconds(text, "en") <= MAX_SECONDS


def test_a_plain_caller_gets_a_short_briefing(flow):
    facts = dataclasses.replace(
        FACTS, tier=None, intent=None, intent_title=None, slots={}, sentiment_scores=[],
        sentiment_trend="steady", reason="keypad-0",
    )  # fmt: skip
    assert briefing_text(flow.spec, facts, "support") == "Support, English. Caller pressed 0."


def test_the_briefing_drops_details_first_to_stay_within_the_budget(flow):
    facts = dataclasses.replace(FACTS, slots={f"item_{i}": str(i) for i in range(12)})
    text = briefing_text(flow.spec, facts, "billing")
    assert "item" not in text and "upset" in text and spoken_seconds(text, "en") <= MAX_SECONDS


def test_chinese_briefing(flow):
    text = briefing_text(flow.spec, dataclasses.replace(FACTS, language="zh"), "billing")
    assert text == "账单专员，中文，贵宾。要退款。情绪不佳。"
    assert spoken_seconds(text, "zh") <= MAX_SECONDS


def test_every_transfer_carries_its_briefing(flow):
    bot = FlowBot(flow, router=StaticRouter("support"), now=lambda: NOW)
    bot.start(CallInfo("uuid-1", "5551234", "Test Caller", "en"))
    transfer = bot.on_dtmf("0")[-1]
    assert isinstance(transfer, Transfer)
    assert transfer.context["briefing"] == {"text": "Support, English. Caller pressed 0.", "language": "en"}


def returning(flow, mode: str, context: dict, notes=()) -> tuple[FlowBot, list]:
    bot = FlowBot(flow, router=StaticRouter("support"), now=lambda: NOW)
    resume = {"mode": mode, "context": context, "notes": list(notes)}
    info = CallInfo("uuid-1", "5551234", "Test Caller", "en", returning_to_bot=True, resume=resume)
    return bot, bot.start(info)


def test_back_from_the_agent_the_bot_continues_with_the_intent_and_details(flow):
    context = {"language": "en", "intent": "balance", "slots": {"account": "12345678"}, "steps": ["main"]}
    bot, actions = returning(flow, "self-service", context, notes=["wants the paper bill"])
    said = [a.text for a in actions if isinstance(a, Say)]
    assert said[0] == "Our agent asked me to help you finish with your balance or bill."
    assert "Thank you for calling" not in " ".join(said), "no greeting: the caller is not a stranger"
    assert bot.intent == "balance" and bot.slots["account"] == "12345678"
    assert bot.vars["agent_notes"] == "wants the paper bill"
    assert "balance" in bot.trail, "it went on at the intent's own step"


def test_declined_by_the_agent_the_bot_says_so_and_asks_again(flow):
    bot, actions = returning(
        flow, "declined", {"language": "zh", "intent": None, "steps": ["welcome", "main"]}
    )
    said = [a.text for a in actions if isinstance(a, Say)]
    assert said[0] == "客服暂时无法接听您的电话，我先来帮您处理。" and bot.language == "zh"
    assert said[1].startswith("请问有什么可以帮您") and bot.step_name == "main"
