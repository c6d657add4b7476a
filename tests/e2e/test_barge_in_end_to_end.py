"""Barge-in through the whole path: the caller talks over a long prompt, and is heard."""

from __future__ import annotations

import numpy as np

from ivr.audiosocket.codec import Audio
from ivr.bot import EchoBot
from ivr.fakepbx.audiosocket import (
    AudioSocketCaller,
    BotSpoke,
    HangUp,
    SilenceUntil,
    Speech,
    load_wav_as_slin,
)
from tests.support.calls import ALLISON, StoreSpy, pbx_for

LONG_PROMPT = (
    "Welcome to the hotline. Please listen carefully, as our menu options have changed. "
    "For billing questions, say billing. For a network fault, say network. For anything else, "
    "just tell me in a few words what you are calling about."
)
MIN_BARGE_IN = 0.2
FRAME = 0.02


def prompt_playing(caller: AudioSocketCaller) -> bool:
    """The bot's first prompt has reached the caller (however late a loaded machine started it)."""
    return caller.bot_spoke_at is not None


def speech_onset(pcm: bytes, rate: int = 8000, threshold_dbfs: float = -50.0) -> float:
    """Seconds from the start of `pcm` to its first 10 ms window louder than the threshold."""
    samples = np.frombuffer(pcm, dtype=np.int16).astype(np.float64) / 32768.0
    window = rate // 100
    for start in range(0, len(samples) - window, window):
        level = 20 * np.log10(np.sqrt(np.mean(samples[start : start + window] ** 2)) + 1e-12)
        if level > threshold_dbfs:
            return start / rate
    raise AssertionError("no speech in the caller audio")


def first_lasting_silence(frames: list[tuple[float, bytes]], *, after: float, lasting: int = 50) -> float:
    """Arrival time of the first frame after `after` that starts `lasting` silent frames in a row
    (a pause between two sentences of the prompt is shorter than that; the bot's answer comes later)."""
    for i, (t, _) in enumerate(frames):
        if t > after and not any(any(pcm) for _, pcm in frames[i : i + lasting]):
            return t
    raise AssertionError("the prompt never stopped")


async def test_caller_speech_stops_the_prompt_once_min_barge_in_was_heard_and_is_recognised(running_service):
    speech = load_wav_as_slin(ALLISON / "agent-pass.wav")  # 3.3 s: "Please enter your password..."
    conversations = []

    def make_bot():
        return EchoBot(greeting=LONG_PROMPT, fallback_queue="support")

    async with running_service(bot_factory=make_bot, bot={"min_barge_in": MIN_BARGE_IN}) as service:
        spy = StoreSpy(service)
        service.session_ended.append(lambda session: conversations.append(session.conversation))
        # Speak 2.2 s into the prompt, in the middle of its second sentence (1.7 s to 4.0 s): the prompt
        # is still speaking when the barge-in is due. Counted in the prompt's frames as they arrive, so a
        # player slowed by load cannot shift the speech into another sentence. Hang up once the bot answered.
        script = [
            SilenceUntil(prompt_playing),
            SilenceUntil(BotSpoke(2.2)),
            Speech(speech),
            SilenceUntil(spy.said("bot", 2)),
            HangUp(),
        ]
        result = await pbx_for(service).call(script, max_seconds=90)
        record = await service.store.get_call(result.call_uuid)

    caller = result.caller
    spoke_at = caller.item_times[2] + speech_onset(speech)
    frames = [(t, m.pcm) for t, m in caller.received if isinstance(m, Audio)]
    assert any(t < spoke_at and any(pcm) for t, pcm in frames), "the prompt was not playing yet"
    stopped_at = first_lasting_silence(frames, after=spoke_at)
    assert stopped_at >= spoke_at + MIN_BARGE_IN - 0.04, "stopped before the minimum barge-in duration"
    # The bot stopped the prompt on the very frame that completed MIN_BARGE_IN of speech, counted on the
    # audio stream's own clock. How long that took in wall-clock time depends on how busy the machine is
    # (tests/bench/bench_calls.py measures it); under any load the prompt stops while the caller still talks.
    [conversation] = conversations
    [reaction] = conversation.stats.barge_in_reactions
    assert reaction <= FRAME + 1e-9
    assert stopped_at < caller.item_times[3], "the prompt played on over the whole utterance"

    greeting = record.turns[0]
    assert greeting.speaker == "bot" and greeting.interrupted is True
    assert greeting.meta["played_seconds"] < greeting.meta["total_seconds"]
    said = [t for t in record.turns if t.speaker == "caller"]
    assert said and "password" in said[0].text.lower(), "what the caller said over the prompt was lost"


async def test_a_non_interruptible_prompt_plays_to_the_end(running_service):
    speech = load_wav_as_slin(ALLISON / "vm-goodbye.wav")

    notice = "This call may be recorded for quality and training purposes."

    def make_bot():
        return EchoBot(greeting=notice, fallback_queue="support")

    async with running_service(bot_factory=make_bot, bot={"barge_in": False}) as service:
        # The caller talks over the notice; no hang-up: "goodbye" makes the bot end the call.
        script = [SilenceUntil(prompt_playing), SilenceUntil(BotSpoke(0.5)), Speech(speech)]
        result = await pbx_for(service).call(script, max_seconds=90)
        record = await service.store.get_call(result.call_uuid)

    caller = result.caller
    spoke_until = caller.item_times[2] + len(speech) / 2 / 8000
    frames = [(t, m.pcm) for t, m in caller.received if isinstance(m, Audio)]
    assert any(t > spoke_until and any(pcm) for t, pcm in frames), "the notice was over before the speech"
    greeting = record.turns[0]
    assert greeting.text == notice and greeting.interrupted is False
    assert greeting.meta["played_seconds"] == greeting.meta["total_seconds"]
    said = [t for t in record.turns if t.speaker == "caller"]
    assert said and "goodbye" in said[0].text.lower(), "what the caller said over the notice was lost"


async def test_a_caller_hanging_up_mid_prompt_leaves_what_they_heard(running_service):
    def make_bot():
        return EchoBot(greeting=LONG_PROMPT, fallback_queue="support")

    async with running_service(bot_factory=make_bot) as service:
        result = await pbx_for(service).call(
            [SilenceUntil(prompt_playing), SilenceUntil(BotSpoke(2.0)), HangUp()]
        )
        record = await service.store.get_call(result.call_uuid)

    greeting = record.turns[0]
    assert greeting.interrupted is True and record.end_reason == "caller-hangup"
    assert 1.0 < greeting.meta["played_seconds"] < greeting.meta["total_seconds"]
