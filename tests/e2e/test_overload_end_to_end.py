"""Overload: with twice the admitted load offered, each call gets the bot, or the fallback queue within 2 s.

"Handed to the fallback queue" is the moment the AGI session returns with IVR_ACTION=transfer: only then
does the dialplan run Queue(). The busy notice is said before that, over AudioSocket, because AudioSocket()
holds the channel until the socket closes and Asterisk passes each frame on as it arrives (no buffer): the
notice cannot outlive the socket. So answer -> hand-over is the notice plus the AGI/AudioSocket exchange,
and the notice must be short (the default is about 1.3 s).
"""

from __future__ import annotations

import asyncio

from asr.wer import word_error_rate
from ivr.admission import OVERLOAD_REASON
from ivr.audiosocket.codec import Audio
from ivr.bot import EchoBot
from ivr.fakepbx.audiosocket import Silence, Speech, answered, load_wav_as_slin, until_the_bot_ends
from tests.support.calls import ALLISON, pbx_for

ADMITTED = 2
# The bound: answer -> in the fallback queue (AGI returned). Not widened for a loaded machine: the
# refused call's own work besides the ~1.3 s notice is an AGI exchange and a cached prompt (milliseconds).
HANDOVER_BOUND = 2.0
# An admitted caller's bot: its greeting starts within the same bound as a refusal (no dead air at answer),
# and a turn (end of speech -> first reply frame; end_silence, a decode and a synthesis of the echo) stays
# within 1 s beyond end_silence on an idle machine; 4 s is the allowance for a loaded 2-core CI machine
# (3.2 s was seen with two CPU burners and two test batches beside it). What the test guards against is
# dead air: a caller parked behind busy decoders waits for every decode queued ahead, and the benchmark,
# not this test, measures how fast a turn is.
TURN_BOUND = 4.0


def caller_script() -> list:
    """Says hello, then goodbye (the echo bot then hangs up); the same script for every caller."""
    return [
        Silence(0.5),  # talks at once: a refused caller talks over the busy notice, which must not be heard
        Speech(load_wav_as_slin(ALLISON / "hello-world.wav")),
        answered(),  # the echo, however long a loaded machine takes to decode and synthesise it
        Speech(load_wav_as_slin(ALLISON / "vm-goodbye.wav")),
        until_the_bot_ends(),
    ]


def first_audio_at(result) -> float:
    """Seconds from the answer (the AGI connection) to the first bot audio frame the caller received."""
    return next(t for t, m in result.caller.received if isinstance(m, Audio)) - result.started_at


async def test_twice_the_admitted_load_gets_the_bot_or_the_fallback_queue_within_2s(running_service):
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
    calls = list(zip(results, records, strict=True))
    turned_away = [(r, rec) for r, rec in calls if r.variables.get("IVR_REASON") == OVERLOAD_REASON]
    bot_calls = [(r, rec) for r, rec in calls if r.variables.get("IVR_REASON") != OVERLOAD_REASON]
    assert len(bot_calls) == len(turned_away) == ADMITTED

    for result, record in turned_away:
        assert result.next_step == f"queue {fallback}" and result.variables["IVR_ACTION"] == "transfer"
        # In the fallback queue within the bound of the answer, having heard the whole notice first.
        assert result.ended_at - result.started_at < HANDOVER_BOUND, result.ended_at - result.started_at
        assert first_audio_at(result) < HANDOVER_BOUND - len(notice) / 16000
        assert notice[: len(notice) - len(notice) % 320] in result.caller.received_audio()
        # Nothing of a refused call was recognised: its only turn is the bot's notice.
        assert [(t.speaker, t.text) for t in record.turns] == [("bot", service.config.bot.busy_notice)]
        assert record.outcome == "transferred"

    silence = service.speech.endpointing.end_silence
    for result, record in bot_calls:
        assert result.next_step == "hangup"
        assert first_audio_at(result) < HANDOVER_BOUND
        heard = [t.text for t in record.turns if t.speaker == "caller"]
        assert len(heard) == 2
        assert word_error_rate("hello world", heard[0]) == 0.0
        assert word_error_rate("goodbye", heard[1]) == 0.0
        latencies = [t.meta["turn_latency_ms"] / 1000 for t in record.turns if "turn_latency_ms" in t.meta]
        assert len(latencies) == 2 and max(latencies) < silence + TURN_BOUND, latencies
