"""An AudioSocket stream that goes silent (no frames at all) hands the caller to a person after
`bot.audio_stall_seconds`, instead of holding them in the bot (issue 14, point 6)."""

from __future__ import annotations

from ivr.fakepbx.audiosocket import Pause, Silence
from tests.support.calls import pbx_for

STALL_S = 3.0
PAUSE_S = 40.0


async def test_a_stalled_stream_is_transferred_with_reason_audio_stalled(running_service):
    async with running_service(bot={"audio_stall_seconds": STALL_S}) as service:
        # A fixed first silence: the stream is live (frames flowing) before it stalls, whatever the bot says.
        result = await pbx_for(service).call([Silence(2.0), Pause(PAUSE_S)], max_seconds=PAUSE_S + 20)
        await service.store.wait_flushed()
        record = await service.store.get_call(result.call_uuid)

    fallback = service.config.bot.fallback_queue
    assert result.variables["IVR_ACTION"] == "transfer" and result.variables["IVR_QUEUE"] == fallback
    assert result.variables["IVR_REASON"] == "audio-stalled"
    assert result.audiosocket_result == 0  # the bot ended the stream (0x00), not Asterisk's idle timer
    assert result.next_step == f"queue {fallback}"
    # Ended by the stall timer, long before the caller's side would have resumed.
    assert result.ended_at - result.started_at < PAUSE_S / 2
    assert record is not None and record.outcome == "transferred"
