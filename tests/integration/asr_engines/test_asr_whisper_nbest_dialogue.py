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
from asr.whisper_engine import WhisperEngine
from ivr.bot import CallInfo, Transfer
from ivr.dialogue.engine import FlowBot
from ivr.dialogue.registry import FlowRegistry
from ivr.dialogue.sentiment import lexicon
from ivr.routing import StaticRouter
from tests.support.corpus import espeak_pcm

DIALPLAN = Path(__file__).resolve().parents[3] / "dialplan"


@pytest.fixture(scope="module")
def engine():
    """This module's own decoder: the process-wide one may still be busy with another module's decodes,
    and while every decoder is busy the recogniser skips the alternatives these tests are about."""
    loaded = WhisperEngine(workers=1)
    yield loaded
    loaded.close()


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
        (
            "there's a charge I don't recognise",
            "sensitive",
        ),  # best: "and their macheard, I don't forget about,"
        ("I'm so angry right now", "sentiment"),  # best: "I'm hungry right now."
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


async def hear_with(engine: AsrEngine, bot: FlowBot, said: str, voice: str, hints: list[str]) -> Transcript:
    """The turn spoken by `voice`, recognised with exactly these hints."""
    stream = engine.new_stream(8000, grammar=bot.grammar(), hints=hints)
    try:
        await stream.feed(espeak_pcm(said, voice, 8000, 140 if voice.startswith("en-gb") else 175))
        return await asyncio.wait_for(stream.finish(), timeout=120)
    finally:
        stream.close()


@pytest.mark.parametrize(
    ("said", "voice"),
    [
        ("this is a joke", "en-us"),  # without: "This is in a joke."
        ("what a useless service", "en-gb+f3"),  # without: "What are you, let's turn this."
    ],
)
async def test_an_angry_caller_is_heard_because_the_prompt_expects_anger(engine, flow, said, voice) -> None:
    bot = first_time(flow)
    mood = set(lexicon(False).hints)
    assert mood & set(bot.hints()), bot.hints()  # the step's prompt carries what angry callers say
    calm = await hear_with(engine, bot, said, voice, [h for h in bot.hints() if h not in mood])
    unheard = first_time(flow).on_transcript(calm.text, calm.confidence, calm.alternatives)
    assert not any(isinstance(a, Transfer) for a in unheard), calm
    transcript = await hear_with(engine, bot, said, voice, bot.hints())
    actions = bot.on_transcript(transcript.text, transcript.confidence, transcript.alternatives)
    assert isinstance(actions[-1], Transfer) and actions[-1].reason == "sentiment", transcript
