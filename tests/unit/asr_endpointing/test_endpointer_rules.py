"""Endpointer rules on synthetic (frame, is_speech) sequences: exact times, audio slicing, bounds."""

from __future__ import annotations

import math

import pytest

from asr.endpointer import Endpointer, EndpointingParams, SpeechStarted, UtteranceEnded
from tests.unit.asr_endpointing.endpointer_script import F, Script, frames

# Speculation off: these rules are about the three-state machine (test_endpointer_speculation covers it).
P = EndpointingParams(
    min_speech=0.15, end_silence=0.6, max_utterance=20.0, no_input=6.0, pre_roll=0.3, speculate_after=0
)


def script(params: EndpointingParams = P) -> Script:
    return Script(Endpointer(params))


def test_silence_alone_gives_no_events_and_counts_stream_time():
    s = script()
    assert s.silence(500) == []
    assert s.ep.stream_time == pytest.approx(10.0, abs=1e-9)
    assert not s.ep.speaking


def test_speech_starts_once_min_speech_is_reached_at_the_first_voiced_frame():
    s = script()
    s.silence(10)
    assert s.speech(7) == []  # 0.14 s < min_speech
    assert not s.ep.speaking
    events = s.speech(1)  # 0.16 s >= 0.15
    assert events == [SpeechStarted(at=pytest.approx(0.2, abs=1e-9))]
    assert s.ep.speaking


def test_min_speech_boundary_is_exact_despite_float_sums():
    # 7 x 0.02 in floats is 0.14000000000000001; the endpointer must treat it as exactly 0.14.
    s = script(EndpointingParams(min_speech=0.14, end_silence=0.6, max_utterance=5, no_input=6, pre_roll=0))
    s.silence(3)
    assert s.speech(6) == []
    assert s.speech(1) == [SpeechStarted(at=pytest.approx(0.06, abs=1e-9))]


def test_short_blips_separated_by_silence_never_start_speech():
    s = script()
    for gap in (1, 2, 5, 40):
        s.speech(7)
        s.silence(gap)
    assert s.log == []
    assert not s.ep.speaking


def test_blip_before_real_speech_does_not_move_its_start():
    s = script()
    s.silence(5)
    s.speech(3)
    s.silence(2)  # frames 8-9
    s.speech(8)  # frames 10-17
    [(index, started)] = s.of_type(SpeechStarted)
    assert index == 17
    assert started.at == pytest.approx(0.2, abs=1e-9)


def test_utterance_ends_exactly_when_trailing_silence_reaches_end_silence():
    s = script()
    s.silence(10)
    s.speech(50)  # frames 10-59, last voiced frame ends at 1.2 s
    assert s.silence(29) == []
    assert s.ep.speaking
    [ended] = s.silence(1)
    assert isinstance(ended, UtteranceEnded)
    assert ended.reason == "silence"
    assert ended.start == pytest.approx(0.2, abs=1e-9)
    assert ended.end == pytest.approx(1.2, abs=1e-9)
    assert ended.duration == pytest.approx(1.0, abs=1e-9)
    assert not s.ep.speaking


def test_short_gap_inside_speech_does_not_end_it():
    s = script()
    s.silence(10)
    s.speech(20)
    s.silence(29)  # 0.58 s < end_silence
    s.speech(20)  # frames 59-78, ends at 1.58 s
    s.silence(30)
    ends = s.of_type(UtteranceEnded)
    assert len(ends) == 1
    assert len(s.of_type(SpeechStarted)) == 1
    _, ended = ends[0]
    assert ended.start == pytest.approx(0.2, abs=1e-9)
    assert ended.end == pytest.approx(1.58, abs=1e-9)


def test_audio_has_pre_roll_speech_and_trailing_silence_of_end_silence():
    s = script()
    s.silence(40)  # frames 0-39
    s.speech(25)  # frames 40-64
    s.silence(30)  # frames 65-94
    [(index, ended)] = s.of_type(UtteranceEnded)
    assert index == 94
    # 15 frames of pre-roll (0.3 s) before frame 40, the speech, and 30 frames (0.6 s) of trailing silence.
    assert ended.audio == frames(25, 94)


def test_pre_roll_is_what_there_is_when_speech_starts_early():
    s = script()
    s.silence(3)
    s.speech(10)
    s.silence(30)
    [(_, ended)] = s.of_type(UtteranceEnded)
    assert ended.audio == frames(0, 42)
    assert ended.start == pytest.approx(0.06, abs=1e-9)


def test_a_failed_blip_becomes_pre_roll_of_the_next_utterance():
    s = script()
    s.silence(20)  # 0-19
    s.speech(2)  # 20-21 blip
    s.silence(3)  # 22-24
    s.speech(10)  # 25-34
    s.silence(30)  # 35-64
    [(_, ended)] = s.of_type(UtteranceEnded)
    assert ended.audio == frames(10, 64)


def test_trailing_silence_seeds_the_next_pre_roll():
    s = script()
    s.silence(20)
    s.speech(10)  # 20-29
    s.silence(30)  # 30-59, first utterance ends at 59
    s.speech(10)  # 60-69, starts right away
    s.silence(30)  # 70-99
    (_, first), (_, second) = s.of_type(UtteranceEnded)
    assert first.audio == frames(5, 59)
    assert second.audio == frames(45, 99)
    assert second.start == pytest.approx(1.2, abs=1e-9)


def test_max_length_cuts_a_long_utterance_and_speech_then_restarts():
    params = EndpointingParams(min_speech=0.1, end_silence=0.6, max_utterance=1.0, no_input=6, pre_roll=0.1)
    s = script(params)
    s.silence(10)
    s.speech(80)  # frames 10-89 from 0.2 s
    (cut_index, cut), *_ = s.of_type(UtteranceEnded)
    assert cut_index == 59  # 50 frames = 1.0 s after the start
    assert cut.reason == "max-length"
    assert (cut.start, cut.end) == (pytest.approx(0.2, abs=1e-9), pytest.approx(1.2, abs=1e-9))
    assert cut.audio == frames(5, 59)
    starts = s.of_type(SpeechStarted)
    assert [i for i, _ in starts] == [14, 64]
    assert starts[1][1].at == pytest.approx(1.2, abs=1e-9)


def test_max_length_counts_trailing_silence_but_end_is_the_last_voiced_frame():
    params = EndpointingParams(min_speech=0.1, end_silence=0.6, max_utterance=1.0, no_input=6, pre_roll=0)
    s = script(params)
    s.speech(40)  # 0-39, 0.8 s
    s.silence(20)  # reaches 1.0 s at frame 49
    [(index, ended)] = s.of_type(UtteranceEnded)
    assert index == 49
    assert ended.reason == "max-length"
    assert ended.end == pytest.approx(0.8, abs=1e-9)


def test_utterance_audio_is_bounded_by_pre_roll_plus_max_utterance():
    params = EndpointingParams(min_speech=0.1, end_silence=0.5, max_utterance=2.0, no_input=6, pre_roll=0.3)
    s = script(params)
    s.silence(1000)
    s.speech(2000)
    ends = s.of_type(UtteranceEnded)
    assert len(ends) >= 19
    frames_cap = round((0.3 + 2.0) / F)
    assert all(len(e.audio) <= 4 * frames_cap for _, e in ends)
    assert len(ends[0][1].audio) == 4 * frames_cap


def test_uneven_frame_durations_give_exact_times():
    s = script()
    s.silence(7, 0.03)  # 0.21 s
    s.speech(5, 0.01)  # 0.05 s: not yet min_speech
    s.speech(4, 0.03)  # 0.17 s voiced in all
    s.silence(20, 0.03)  # 0.6 s
    [(_, started)] = s.of_type(SpeechStarted)
    [(_, ended)] = s.of_type(UtteranceEnded)
    assert started.at == pytest.approx(0.21, abs=1e-9)
    assert ended.end == pytest.approx(0.38, abs=1e-9)
    assert s.ep.stream_time == pytest.approx(0.98, abs=1e-9)


def test_reset_drops_the_utterance_but_keeps_stream_time():
    s = script()
    s.silence(10)
    s.speech(20)
    s.ep.reset()
    assert not s.ep.speaking
    s.silence(100)
    assert s.of_type(UtteranceEnded) == []
    assert s.ep.stream_time == pytest.approx(2.6, abs=1e-9)
    s.speech(10)  # 130-139
    s.silence(30)
    [(_, ended)] = s.of_type(UtteranceEnded)
    assert ended.start == pytest.approx(2.6, abs=1e-9)
    assert ended.audio == frames(115, 169)


@pytest.mark.parametrize("bad", [0, -0.02, math.nan, math.inf, True])
def test_feed_rejects_bad_durations(bad):
    with pytest.raises(ValueError):
        Endpointer(P).feed(b"\0\0", False, bad)


def test_event_repr_hides_audio():
    text = repr(UtteranceEnded(audio=b"x" * 10_000, start=1.0, end=2.0, reason="silence"))
    assert "xxxx" not in text and "start=1.0" in text
