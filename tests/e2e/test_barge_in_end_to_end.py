"""Barge-in through the whole path: the caller talks over a long prompt, and is heard."""

from __future__ import annotations

import numpy as np

from ivr.audiosocket.codec import Audio
from ivr.bot import EchoBot
from ivr.fakepbx.audiosocket import HangUp, Silence, Speech, load_wav_as_slin
from tests.support.calls import ALLISON, pbx_for

LONG_PROMPT = (
    "Welcome to the hotline. Please listen carefully, as our menu options have changed. "
    "For billing questions, say billing. For a network fault, say network. For anything else, "
    "just tell me in a few words what you are calling about."
)
MIN_BARGE_IN = 0.2


def speech_onset(pcm: bytes, rate: int = 8000, threshold_dbfs: float = -50.0) -> float:
    """Seconds from the start of `pcm` to its first 10 ms window louder than the threshold."""
    samples = np.frombuffer(pcm, dtype=np.int16).astype(np.float64) / 32768.0
    window = rate // 100
    for start in range(0, len(samples) - window, window):
        level = 20 * np.log10(np.sqrt(np.mean(samples[start : start + window] ** 2)) + 1e-12)
        if level > threshold_dbfs:
            return start / rate
    raise AssertionError("no speech in the caller audio")


def first_lasting_silence(frames: list[tuple[float, bytes]], *, after: float, lasting: int = 15) -> float:
    """Arrival time of the first frame after `after` that starts `lasting` silent frames in a row
    (a pause between two words of the prompt is shorter than that)."""
    for i, (t, _) in enumerate(frames):
        if t > after and not any(any(pcm) for _, pcm in frames[i : i + lasting]):
            return t
    raise AssertionError("the prompt never stopped")


async def test_caller_speech_stops_the_prompt_within_100_ms_and_is_recognised(running_service):
    speech = load_wav_as_slin(ALLISON / "vm-goodbye.wav")

    def make_bot():
        return EchoBot(greeting=LONG_PROMPT, fallback_queue="support")

    async with running_service(bot_factory=make_bot, bot={"min_barge_in": MIN_BARGE_IN}) as service:
        result = await pbx_for(service).call([Silence(2.0), Speech(speech), Silence(5.0), HangUp()])
        record = await service.store.get_call(result.call_uuid)

    caller = result.caller
    spoke_at = caller.item_times[1] + speech_onset(speech)
    due = spoke_at + MIN_BARGE_IN
    frames = [(t, m.pcm) for t, m in caller.received if isinstance(m, Audio)]
    assert any(t < spoke_at and any(pcm) for t, pcm in frames), "the prompt was not playing yet"
    stopped_at = first_lasting_silence(frames, after=spoke_at)
    assert stopped_at - due <= 0.100, (
        f"playback stopped {1000 * (stopped_at - due):.0f} ms after the barge-in"
    )
    assert stopped_at >= spoke_at + MIN_BARGE_IN - 0.04, "stopped before the minimum barge-in duration"

    greeting = record.turns[0]
    assert greeting.speaker == "bot" and greeting.interrupted is True
    assert greeting.meta["played_seconds"] < greeting.meta["total_seconds"]
    said = [t for t in record.turns if t.speaker == "caller"]
    assert said and "goodbye" in said[0].text.lower(), "what the caller said over the prompt was lost"


async def test_a_non_interruptible_prompt_plays_to_the_end(running_service):
    speech = load_wav_as_slin(ALLISON / "vm-goodbye.wav")

    notice = "This call may be recorded for quality and training purposes."

    def make_bot():
        return EchoBot(greeting=notice, fallback_queue="support")

    async with running_service(bot_factory=make_bot, bot={"barge_in": False}) as service:
        result = await pbx_for(service).call([Silence(1.0), Speech(speech), Silence(4.0), HangUp()])
        record = await service.store.get_call(result.call_uuid)

    greeting = record.turns[0]
    assert greeting.text == notice and greeting.interrupted is False
    assert greeting.meta["played_seconds"] == greeting.meta["total_seconds"]


async def test_a_caller_hanging_up_mid_prompt_leaves_what_they_heard(running_service):
    def make_bot():
        return EchoBot(greeting=LONG_PROMPT, fallback_queue="support")

    async with running_service(bot_factory=make_bot) as service:
        result = await pbx_for(service).call([Silence(2.0), HangUp()])
        record = await service.store.get_call(result.call_uuid)

    greeting = record.turns[0]
    assert greeting.interrupted is True and record.end_reason == "caller-hangup"
    assert 1.0 < greeting.meta["played_seconds"] < greeting.meta["total_seconds"]
