"""Briefings as espeak-ng really speaks them with the service's voices: within ~6 s (issue 16)."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest

from ivr.config import ServiceConfig
from ivr.dialogue.briefing import briefing_text
from ivr.dialogue.handoff_context import HandoffFacts
from ivr.dialogue.registry import FlowRegistry
from ivr.prompts import make_synthesizer

DIALPLAN = Path(__file__).resolve().parents[3] / "dialplan"
WORST = HandoffFacts(
    flow="telecom", flow_version=1, language="en", caller_number="5551234", tier="silver",
    intent="billing_dispute", intent_title="to dispute a charge", intent_score=0.9,
    slots={"account": "12345678901", "amount": 250, "date": "2024-05-01"}, answers_tried=["refund policy"],
    reason="sensitive", sentiment_scores=[-0.8], sentiment_trend="worsening", steps=["main"],
)  # fmt: skip


@pytest.mark.parametrize("language", ["en", "zh"])
async def test_a_full_briefing_is_spoken_in_about_six_seconds(tmp_path: Path, language: str) -> None:
    config = ServiceConfig.model_validate({"paths": {"prompt_cache": str(tmp_path / "prompts")}})
    spec = FlowRegistry.load(DIALPLAN).current().flow_for("hotline").spec
    text = briefing_text(spec, dataclasses.replace(WORST, language=language), "billing")
    synth = make_synthesizer(config)
    await synth.start()
    try:
        pcm = await asyncio.wait_for(synth.synthesize(text, language, 8000), 60)
    finally:
        await synth.close()
    seconds = len(pcm) / 2 / 8000
    assert 1.0 < seconds <= 6.5, (text, seconds)
