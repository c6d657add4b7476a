"""Overload: with twice the admitted load offered, each call gets the bot or the fallback queue at once."""

from __future__ import annotations

import asyncio

from asr.wer import word_error_rate
from ivr.admission import OVERLOAD_REASON
from ivr.audiosocket.codec import Audio
from ivr.bot import EchoBot
from ivr.fakepbx.audiosocket import Silence, Speech, load_wav_as_slin
from tests.support.calls import ALLISON, pbx_for

ADMITTED = 2
# The refused caller's work is an AGI exchange, an AudioSocket connection and a cached prompt: tens of
# milliseconds. 2 s is the bound on the hand-over, far above that work even on a loaded machine.
HANDOVER_BOUND = 2.0


def caller_script() -> list:
    """Says hello, then goodbye (the echo bot then hangs up); the same script for every caller."""
    return [
        Silence(0.5),
        Speech(load_wav_as_slin(ALLISON / "hello-world.wav")),
        Silence(3.0),
        Speech(load_wav_as_slin(ALLISON / "vm-goodbye.wav")),
        Silence(6.0),
    ]


async def test_twice_the_admitted_load_gets_the_bot_or_the_fallback_queue_at_once(running_service):
    def make_bot():
        return EchoBot(greeting="Hello.", fallback_queue="support")

    async with running_service(bot_factory=make_bot, bot={"max_calls": ADMITTED}) as service:
        notice = await service.tts.synthesize(service.config.bot.busy_notice, "en", 8000)
        pbx = pbx_for(service)
        results = await asyncio.gather(
            *(pbx.call(caller_script(), max_seconds=60) for _ in range(2 * ADMITTED))
        )
        records = [await service.store.get_call(r.call_uuid) for r in results]
        samples = service.metrics.registry
        admitted = samples.get_sample_value("ivr_calls_admitted_total")
        refused = samples.get_sample_value("ivr_calls_refused_total", {"reason": "max-calls"})
        assert service.admission.active == 0  # every admitted call released its place

    assert (admitted, refused) == (ADMITTED, ADMITTED)
    fallback = service.config.bot.fallback_queue
    bot_calls = [
        (r, rec)
        for r, rec in zip(results, records, strict=True)
        if r.variables.get("IVR_REASON") != OVERLOAD_REASON
    ]
    turned_away = [(r, rec) for r, rec in zip(results, records, strict=True) if (r, rec) not in bot_calls]
    assert len(bot_calls) == len(turned_away) == ADMITTED

    for result, record in turned_away:
        assert result.next_step == f"queue {fallback}" and result.variables["IVR_ACTION"] == "transfer"
        frames = [(t, m.pcm) for t, m in result.caller.received if isinstance(m, Audio)]
        first = next(t for t, pcm in frames if pcm == notice[:320])
        # The notice starts within the bound of the answer (the AGI request), and the caller is in the
        # queue as soon as it has been said: no dead air, no wait for a decoder.
        assert first - result.started_at < HANDOVER_BOUND
        assert notice[: len(notice) - len(notice) % 320] in result.caller.received_audio()
        assert result.ended_at - result.started_at < len(notice) / 16000 + HANDOVER_BOUND
        # Nothing of a refused call was recognised: its only turn is the bot's notice.
        assert [(t.speaker, t.text) for t in record.turns] == [("bot", service.config.bot.busy_notice)]
        assert record.outcome == "transferred"

    for result, record in bot_calls:
        assert result.next_step == "hangup"
        heard = [t.text for t in record.turns if t.speaker == "caller"]
        assert len(heard) == 2
        assert word_error_rate("hello world", heard[0]) == 0.0
        assert word_error_rate("goodbye", heard[1]) == 0.0
