"""Whole calls through the fake PBX: greeting, storage, every way a call ends, and the human fallback."""

from __future__ import annotations

import asyncio
import itertools
import statistics

import numpy as np

from ivr.bot import EchoBot
from ivr.fakepbx.audiosocket import (
    Digit,
    HangUp,
    Silence,
    SilenceUntil,
    Speech,
    answered,
    load_wav_as_slin,
    until_the_bot_ends,
)
from tests.support.calls import ALLISON, StoreSpy, pbx_for, settle


def rms(pcm: bytes) -> float:
    """Root-mean-square level of int16 PCM."""
    samples = np.frombuffer(pcm, dtype=np.int16).astype(np.float64)
    return float(np.sqrt(np.mean(samples**2))) if samples.size else 0.0


async def test_greeting_reaches_the_caller_paced_and_the_call_is_stored(running_service):
    conversations = []
    async with running_service() as service:
        spy = StoreSpy(service)
        service.session_ended.append(lambda session: conversations.append(session.conversation))
        baseline = set(asyncio.all_tasks())
        # The caller hangs up once the whole greeting was played, however late a loaded machine starts it.
        result = await pbx_for(service).call([SilenceUntil(spy.said("bot", 1)), Silence(0.3), HangUp()])
        leftovers = await settle(service, baseline)

    caller = result.caller
    audio_frames = [(t, m) for t, m in caller.received if hasattr(m, "pcm")]
    assert audio_frames, "the bot sent no audio"
    assert {len(m.pcm) for _, m in audio_frames} == {320}
    assert rms(result.bot_audio) > 300, "the greeting is silent"
    times = [t for t, _ in audio_frames]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # Paced at the real-time rate: never ahead of it (the slack is this caller's own delay in reading its
    # first frame), and unless a busy machine stalled the player so long that it restarted its schedule,
    # not behind it either. How evenly (jitter) depends on the load: tests/bench/bench_calls.py measures it.
    assert statistics.mean(gaps) > 0.018
    [conversation] = conversations
    if conversation.player.reanchors == 0:
        assert statistics.mean(gaps) < 0.023

    assert result.agi_status == "HANGUP" and result.audiosocket_result == -1
    assert result.next_step == "hangup"
    assert spy.ends == ["caller-hangup"]
    assert leftovers == set()
    async with running_service() as again:  # same database file
        record = await again.store.get_call(result.call_uuid)
    assert record is not None and record.caller_number == "5551234" and record.caller_name == "Test Caller"
    assert record.end_reason == "caller-hangup" and record.ended_at is not None
    greeting = record.turns[0]
    assert greeting.speaker == "bot" and greeting.text.startswith("Thank you for calling")
    assert greeting.interrupted is False and greeting.meta["played_seconds"] == greeting.meta["total_seconds"]


async def test_keypad_zero_transfers_after_the_whole_notice(running_service):
    async with running_service() as service:
        spy = StoreSpy(service)
        result = await pbx_for(service).call([answered(), Digit("0"), until_the_bot_ends()], max_seconds=30)
        record = await service.store.get_call(result.call_uuid)

    assert result.audiosocket_result == 0, "the bot must end the stream with 0x00"
    assert result.variables["IVR_ACTION"] == "transfer"
    fallback = service.config.bot.fallback_queue
    assert result.variables["IVR_QUEUE"] == fallback
    assert result.variables["IVR_REASON"] == "keypad-0"
    assert result.next_step == f"queue {fallback}"
    assert spy.ends == ["transferred"]
    notice = record.turns[-1]
    assert notice.speaker == "bot" and "connecting you" in notice.text
    assert notice.interrupted is False and notice.meta["played_seconds"] == notice.meta["total_seconds"]
    assert any(t.dtmf == "0" for t in record.turns)
    assert [t.reason for t in record.transfers] == ["keypad-0"]


async def test_caller_speech_is_recognised_and_echoed(running_service):
    speech = load_wav_as_slin(ALLISON / "vm-goodbye.wav")
    async with running_service() as service:
        spy = StoreSpy(service)
        # The caller answers the greeting and does not hang up: "goodbye" makes the bot end the call,
        # however long decoding takes on a loaded machine.
        script = [SilenceUntil(spy.said("bot", 1)), Speech(speech)]
        result = await pbx_for(service).call(script, max_seconds=90)
        record = await service.store.get_call(result.call_uuid)

    caller_turns = [t for t in record.turns if t.speaker == "caller"]
    assert caller_turns and "goodbye" in caller_turns[0].text.lower()
    assert caller_turns[0].confidence is not None and caller_turns[0].confidence > 0.3
    assert record.turns[-1].speaker == "bot" and "goodbye" in record.turns[-1].text.lower()
    assert result.next_step == "hangup" and result.variables["IVR_ACTION"] == "hangup"


async def test_hangup_before_the_uuid_ends_the_session_once(running_service):
    async with running_service() as service:
        spy = StoreSpy(service)
        baseline = set(asyncio.all_tasks())
        result = await pbx_for(service).call([], hangup="before-uuid")
        leftovers = await settle(service, baseline)
    assert result.audiosocket_result == -1 and result.agi_status == "HANGUP"
    assert spy.ends == ["caller-hangup"]
    assert leftovers == set()


async def test_hangup_during_an_agi_command_ends_the_session_once(running_service):
    async with running_service() as service:
        spy = StoreSpy(service)
        baseline = set(asyncio.all_tasks())
        result = await pbx_for(service).call(
            [answered(), Digit("0"), until_the_bot_ends()], hangup="after-audio"
        )
        leftovers = await settle(service, baseline)
    # The stream ended normally, then the caller hung up while the bot was setting its variables.
    assert result.audiosocket_result == 0 and result.agi_status == "HANGUP"
    assert spy.ends == ["caller-hangup"]
    assert leftovers == set()


class BrokenBot(EchoBot):
    """A bot with a bug in its keypad handling."""

    def on_dtmf(self, digit: str):
        raise RuntimeError("flow bug")


async def test_a_failing_bot_still_hands_the_caller_to_a_person(running_service):
    def make_bot():
        return BrokenBot(greeting="Hello.", fallback_queue="support-en")

    async with running_service(bot_factory=make_bot) as service:
        spy = StoreSpy(service)
        baseline = set(asyncio.all_tasks())
        result = await pbx_for(service).call([answered(), Digit("5"), until_the_bot_ends()], max_seconds=20)
        leftovers = await settle(service, baseline)
    assert result.variables["IVR_ACTION"] == "transfer"
    assert result.variables["IVR_QUEUE"] == service.config.bot.fallback_queue
    assert result.variables["IVR_REASON"].startswith("bot-error")
    assert result.next_step == f"queue {service.config.bot.fallback_queue}"
    assert spy.ends == ["transferred"]
    assert leftovers == set()
