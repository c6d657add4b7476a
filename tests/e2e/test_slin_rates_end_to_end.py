"""Every slin rate AudioSocket carries (kinds 0x10-0x18, as res_audiosocket sends them) is heard: the
caller's speech is recognised and the bot answers at the caller's rate (issue 14, point 8)."""

from __future__ import annotations

import numpy as np
import pytest

from ivr.audiosocket.codec import Audio
from ivr.fakepbx.audiosocket import Speech, answered, load_wav_as_slin, until_the_bot_ends
from tests.support.calls import ALLISON, pbx_for
from tts.resample import StreamResampler, resample

ALL_RATES = (8000, 12000, 16000, 24000, 32000, 44100, 48000, 96000, 192000)


@pytest.mark.parametrize("rate", ALL_RATES)
def test_the_stream_resampler_matches_whole_buffer_resampling_frame_by_frame(rate: int) -> None:
    pcm = (np.random.default_rng(rate).standard_normal(rate // 2) * 4000).astype("<i2").tobytes()
    whole = resample(pcm, rate, 16000)
    stream = StreamResampler(rate, 16000)
    frame = rate // 50 * 2
    out = b"".join(stream.feed(pcm[i : i + frame]) for i in range(0, len(pcm), frame))
    assert whole.startswith(out) and len(whole) - len(out) <= 200  # only the filter's last half is owed


@pytest.mark.parametrize("rate", [12000, 44100, 192000])  # odd ratios, and the top rate
async def test_a_call_at_another_slin_rate_is_recognised_and_answered_at_that_rate(running_service, rate):
    speech = load_wav_as_slin(ALLISON / "vm-goodbye.wav", rate=rate)
    async with running_service() as service:
        # No hang-up of our own: the bot ends the call after its goodbye, however loaded the machine is.
        result = await pbx_for(service).call(
            [answered(), Speech(speech), until_the_bot_ends()], rate=rate, max_seconds=60
        )
        await service.store.wait_flushed()
        record = await service.store.get_call(result.call_uuid)

    assert not result.variables.get("IVR_REASON", "").startswith("bot-error"), result.variables
    caller = [t for t in record.turns if t.speaker == "caller"]
    assert caller and "goodbye" in caller[0].text.lower()
    assert result.variables["IVR_ACTION"] == "hangup" and result.next_step == "hangup"
    audio = [m for _, m in result.caller.received if isinstance(m, Audio)]
    assert audio and {m.rate for m in audio} == {rate}  # replies come back at the caller's rate
