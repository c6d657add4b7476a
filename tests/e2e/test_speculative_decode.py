"""Speculative decoding on real Whisper: the transcript is decoded during the end-of-turn silence."""

from __future__ import annotations

from asr.wer import word_error_rate
from ivr.bot import EchoBot
from ivr.fakepbx.audiosocket import HangUp, SilenceUntil, Speech, load_wav_as_slin
from tests.support.calls import ALLISON, StoreSpy, pbx_for


async def test_whisper_transcripts_come_from_the_speculative_decode_and_stay_right(running_service):
    conversations = []

    def make_bot():
        return EchoBot(greeting="Hello.", fallback_queue="support")

    async with running_service(bot_factory=make_bot, asr={"endpointing": "normal"}) as service:
        assert service.speech.endpointing.speculate_after == 0.2 and not service.asr.streaming
        spy = StoreSpy(service)
        # The caller speaks after each of the bot's sentences and hangs up after the second echo, so both
        # utterances are decoded and answered however long that takes on a loaded machine.
        script = [
            SilenceUntil(spy.said("bot", 1)),
            Speech(load_wav_as_slin(ALLISON / "hello-world.wav")),
            SilenceUntil(spy.said("bot", 2)),
            Speech(load_wav_as_slin(ALLISON / "agent-pass.wav")),
            SilenceUntil(spy.said("bot", 3)),
            HangUp(),
        ]
        service.session_ended.append(lambda session: conversations.append(session.conversation))
        result = await pbx_for(service).call(script, max_seconds=120)
        record = await service.store.get_call(result.call_uuid)

    said = [t.text for t in record.turns if t.speaker == "caller"]
    assert len(said) == 2
    assert word_error_rate("hello world", said[0]) == 0.0
    assert word_error_rate("Please enter your password followed by the pound key.", said[1]) <= 0.1
    [conversation] = conversations
    speculator = conversation.speculator
    # Every turn ended where a speculation guessed it would: both transcripts were speculative decodes.
    assert speculator.used == 2
    assert speculator.started == speculator.used + speculator.discarded
