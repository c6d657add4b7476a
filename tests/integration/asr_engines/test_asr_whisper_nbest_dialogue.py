"""Real speech, the real tiny.en beam and the shipped flow: turns understood only from the alternatives.

The audio is fixed (espeak-ng at 8 kHz), so the decode is too: unlike a call through the fake PBX, no
speculative decode can cut the utterance at another point. Each turn's best hypothesis is a near miss
the flow does not understand; what was said is among the alternatives, and the bot acts on it.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from asr.engine import AsrEngine, Transcript
from asr.loader import load_engine
from ivr.bot import CallInfo, Transfer
from ivr.dialogue.engine import FlowBot
from ivr.dialogue.registry import FlowRegistry
from ivr.routing import StaticRouter
from tests.support.corpus import espeak_pcm

DIALPLAN = Path(__file__).resolve().parents[3] / "dialplan"


@pytest.fixture(scope="module")
def engine() -> AsrEngine:
    return load_engine("whisper", None)


@pytest.fixture(scope="module")
def flow():
    return FlowRegistry.load(DIALPLAN).current().flow_for("hotline")


def first_time(flow) -> FlowBot:
    bot = FlowBot(flow, router=StaticRouter("support"), now=lambda: datetime.now(UTC))
    bot.start(CallInfo("uuid-nbest", "5551234", None, "en"))
    return bot


async def heard(engine: AsrEngine, bot: FlowBot, said: str) -> Transcript:
    """The turn as a call at the bot's step hears it: its grammar and hints."""
    stream = engine.new_stream(8000, grammar=bot.grammar(), hints=bot.hints())
    try:
        await stream.feed(espeak_pcm(said, "en-us", 8000))
        return await asyncio.wait_for(stream.finish(), timeout=120)
    finally:
        stream.close()


@pytest.mark.parametrize(
    ("said", "reason"),
    [
        ("can I speak to a real person", "caller-request"),  # best: "can I speak very ill-burdened?"
        ("can you refund my last payment", "sensitive"),  # best: "can you refer in my last payment?"
        ("what a pathetic company", "sentiment"),  # best: "company,"
    ],
)
async def test_the_bot_acts_on_the_alternative_the_best_hypothesis_misses(engine, flow, said, reason) -> None:
    bot = first_time(flow)
    transcript = await heard(engine, bot, said)
    without = first_time(flow).on_transcript(transcript.text, transcript.confidence)
    assert not any(isinstance(a, Transfer) for a in without), transcript  # the best alone is not understood
    actions = bot.on_transcript(transcript.text, transcript.confidence, transcript.alternatives)
    assert isinstance(actions[-1], Transfer) and actions[-1].reason == reason, transcript
    assert bot.acted_on_alternative and bot.last_text != transcript.text
