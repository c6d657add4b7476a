"""Real speech, the real tiny.en beam and the shipped flow: turns understood only from the alternatives.

The audio is fixed (espeak-ng at 8 kHz), so on one CPU the decode is too: unlike a call through the fake
PBX, no speculative decode can cut the utterance at another point. Some turns' best hypothesis is a near
miss the flow does not understand while what was said is among the alternatives: the bot acts on it.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from asr.engine import AsrEngine, Transcript
from asr.sounds_like import load as load_sounds_like
from asr.whisper_engine import WhisperEngine
from ivr.bot import CallInfo, Transfer
from ivr.dialogue.engine import FlowBot
from ivr.dialogue.registry import FlowRegistry
from ivr.dialogue.sentiment_lexicon import lexicon
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


# Near misses that tiny.en makes on espeak-ng's voices on some CPU or other ("I'm so angry right now" heard
# "I'm hungry right now", "there's a charge I don't recognise" heard "They're not hard, I don't break a
# time."). Which turns miss differs between CPUs (the int8 kernels round differently), so the test
# judges the whole set, not one turn.
NEAR_MISSES = [
    ("can I speak to a real person", "caller-request"),
    ("there's a charge I don't recognise", "sensitive"),
    ("I'm so angry right now", "sentiment"),
    ("get me an operator", "caller-request"),
    ("I'm really fed up", "sentiment"),
    ("I want to make a complaint", "sentiment"),
    ("I was charged twice", "sensitive"),
]
VOICES = [("en-us", 175), ("en-gb+f3", 140)]


def reason_of(actions) -> str | None:
    return actions[-1].reason if actions and isinstance(actions[-1], Transfer) else None


async def test_the_bot_acts_on_the_alternatives_the_best_hypothesis_misses(engine, flow) -> None:
    rescued, lost = [], []
    for said, reason in NEAR_MISSES:
        for voice, rate in VOICES:
            bot = first_time(flow)
            transcript = await hear_with(engine, bot, said, voice, bot.hints(), rate)
            alone = reason_of(first_time(flow).on_transcript(transcript.text, transcript.confidence))
            actions = bot.on_transcript(transcript.text, transcript.confidence, transcript.alternatives)
            if alone == reason and reason_of(actions) != reason:
                lost.append(transcript)  # an alternative must never override a best that was right
            if alone != reason and reason_of(actions) == reason:
                assert bot.acted_on_alternative and bot.last_text != transcript.text, transcript
                rescued.append(transcript)
    assert not lost, lost
    assert rescued, "no turn of the set was understood from an alternative alone"


async def hear_with(
    engine: AsrEngine, bot: FlowBot, said: str, voice: str, hints: list[str], rate: int
) -> Transcript:
    """The turn spoken by `voice` at `rate` words a minute, recognised with exactly these hints."""
    stream = engine.new_stream(8000, grammar=bot.grammar(), hints=hints)
    try:
        await stream.feed(espeak_pcm(said, voice, 8000, rate))
        return await asyncio.wait_for(stream.finish(), timeout=120)
    finally:
        stream.close()


ANGRY = [
    "this is a joke",
    "what a useless service",
    "I'm furious",
    "you people are useless",
    "this is absolutely disgraceful",
    "I am really angry",
    "this is a total disgrace",
    "I'm sick of this",
]


async def test_angry_callers_are_heard_with_the_prompt_that_expects_anger(engine, flow) -> None:
    """What the prompt's mood words bring is measured by bench_dialogue.py (--hints both); this checks
    the prompt carries them and that, with it, nearly every angry turn is handed over at once."""
    bot = first_time(flow)
    mood = set(lexicon(False).hints)
    assert mood & set(bot.hints()), bot.hints()  # the step's prompt carries what angry callers say
    missed = []
    for said in ANGRY:
        for voice, rate in VOICES:
            bot = first_time(flow)
            transcript = await hear_with(engine, bot, said, voice, bot.hints(), rate)
            actions = bot.on_transcript(transcript.text, transcript.confidence, transcript.alternatives)
            if reason_of(actions) != "sentiment":
                missed.append(transcript.text)
    # all 16 on an AMD EPYC (AVX2); another CPU's rounding may lose one or two
    assert len(missed) <= 3, missed


async def test_spot_on_to_a_read_back_is_a_yes_not_an_oath(engine, flow) -> None:
    """Without "spot on" among the read-back's hints, tiny.en heard it as "fuck on" in both voices (a
    strongly negative turn, handed over); with it, the number is confirmed."""
    for voice, rate in VOICES:
        bot = first_time(flow)
        for said in ("I want to check my balance", "one two three four five six"):
            bot.on_transcript(said, 0.9)
        assert "spot on" in bot.hints(), bot.hints()
        transcript = await hear_with(engine, bot, "spot on", voice, bot.hints(), rate)
        actions = bot.on_transcript(transcript.text, transcript.confidence, transcript.alternatives)
        assert reason_of(actions) is None and bot.slots.get("account") == "123456", transcript.text


# Dev-split turns tiny.en mishears on espeak-ng's voices the way the bundled near-miss table knows
# ("I'm absolutely human", "Not give me a burden", "how do I set up noise mail").
MISHEARD = [
    ("I'm absolutely fuming", "sentiment"),
    ("just give me a person", "caller-request"),
    ("can I just talk to somebody", "caller-request"),
    ("could I have a word with a supervisor please", "caller-request"),
]


async def test_the_near_miss_table_turns_mishearings_back_into_what_was_said(engine, flow) -> None:
    """The engine adds the table's variants to the alternatives (asr.sounds_like); the bot acts on one only
    when the recogniser's own hypotheses are not understood. Judged over the set, as CPUs round apart."""
    table = load_sounds_like()
    rescued, lost = [], []
    for said, reason in MISHEARD:
        for voice, rate in VOICES:
            bot = first_time(flow)
            transcript = await hear_with(engine, bot, said, voice, bot.hints(), rate)
            variants = {v.lower() for v in table.variants(transcript.text)}
            own = tuple(a for a in transcript.alternatives if a.text.lower() not in variants)
            without = reason_of(first_time(flow).on_transcript(transcript.text, transcript.confidence, own))
            actions = bot.on_transcript(transcript.text, transcript.confidence, transcript.alternatives)
            if without == reason and reason_of(actions) != reason:
                lost.append(transcript)
            if without != reason and reason_of(actions) == reason:
                rescued.append(transcript)
    assert not lost, lost
    assert len(rescued) >= 2, "the table rescued fewer than two of the set's mishearings"
