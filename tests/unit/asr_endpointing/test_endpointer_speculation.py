"""Speculation events: PossibleEndOfTurn at speculate_after of trailing silence, SpeechResumed after it."""

from __future__ import annotations

import pytest

from asr.endpointer import (
    PRESETS,
    Endpointer,
    EndpointingParams,
    PossibleEndOfTurn,
    SpeechResumed,
    SpeechStarted,
    UtteranceEnded,
    params_for,
)
from tests.unit.asr_endpointing.endpointer_script import Script, frames

P = EndpointingParams(
    min_speech=0.1, end_silence=0.6, max_utterance=20.0, no_input=6.0, pre_roll=0.1, speculate_after=0.2
)


def script(params: EndpointingParams = P) -> Script:
    return Script(Endpointer(params))


def test_possible_end_fires_once_when_the_trailing_silence_reaches_speculate_after():
    s = script()
    s.silence(5)  # frames 0-4: all of them are the 0.1 s pre-roll
    s.speech(20)  # frames 5-24
    assert s.silence(9) == []  # 0.18 s
    [event] = s.silence(1)  # frame 34: 0.2 s of silence
    assert isinstance(event, PossibleEndOfTurn)
    assert (event.start, event.end) == (pytest.approx(0.1, abs=1e-9), pytest.approx(0.5, abs=1e-9))
    assert event.audio == frames(0, 34)  # pre-roll, speech and the silence so far
    assert s.silence(19) == []  # no second announcement while the silence goes on
    [ended] = s.silence(1)  # frame 54: 0.6 s
    assert isinstance(ended, UtteranceEnded) and event.matches(ended)
    assert ended.audio.startswith(event.audio)


def test_speech_after_the_announcement_resumes_and_a_later_pause_speculates_again():
    s = script()
    s.speech(10)  # frames 0-9
    [first] = s.silence(10)  # frames 10-19
    assert isinstance(first, PossibleEndOfTurn)
    [resumed] = s.speech(1)  # frame 20
    assert resumed == SpeechResumed(at=pytest.approx(0.4, abs=1e-9))
    s.speech(9)
    [second] = s.silence(10)
    assert isinstance(second, PossibleEndOfTurn) and second.end == pytest.approx(0.6, abs=1e-9)
    [ended] = s.silence(20)
    assert isinstance(ended, UtteranceEnded)
    assert second.matches(ended) and not first.matches(ended)


def test_a_pause_shorter_than_speculate_after_neither_speculates_nor_resumes():
    s = script()
    s.speech(10)
    s.silence(9)
    assert s.speech(5) == []
    assert [type(e) for _, e in s.log] == [SpeechStarted]


def test_max_length_cut_after_a_speculation_still_matches_it():
    params = EndpointingParams(
        min_speech=0.1, end_silence=0.6, max_utterance=1.0, no_input=6.0, pre_roll=0.0, speculate_after=0.2
    )
    s = script(params)
    s.speech(40)  # 0.8 s
    events = s.silence(10)  # reaches 1.0 s of utterance at the 10th frame
    kinds = [type(e) for e in events]
    assert kinds == [PossibleEndOfTurn, UtteranceEnded]
    assert events[1].reason == "max-length" and events[0].matches(events[1])


@pytest.mark.parametrize("after", [0.0, 0.6, 0.9])
def test_speculation_is_off_at_zero_or_at_or_past_end_silence(after):
    s = script(EndpointingParams(**{**_as_dict(P), "speculate_after": after}))
    s.speech(10)
    s.silence(40)
    assert [type(e) for _, e in s.log] == [SpeechStarted, UtteranceEnded]


def test_presets_speculate_well_before_their_end_silence_and_override_works():
    for p in PRESETS.values():
        assert 0 < p.speculate_after <= p.end_silence / 2
    assert params_for("normal", {"speculate_after": 0}).speculate_after == 0
    with pytest.raises(ValueError, match="speculate_after"):
        EndpointingParams(**{**_as_dict(P), "speculate_after": -0.1})


def test_reset_forgets_a_speculation():
    s = script()
    s.speech(10)
    s.silence(10)
    s.ep.reset()
    s.speech(10)
    assert [type(e) for _, e in s.log] == [SpeechStarted, PossibleEndOfTurn, SpeechStarted]


def _as_dict(p: EndpointingParams) -> dict:
    return {name: getattr(p, name) for name in p.__dataclass_fields__}


def test_streaming_audio_holds_back_trailing_silence_beyond_max_trailing_until_speech_resumes():
    s = script()
    s.speech(10)  # frames 0-9
    s.silence(15)  # frames 10-24: 0.3 s of trailing silence
    assert s.ep.utterance_audio_from(0, max_trailing=0.1) == frames(0, 14)
    assert s.ep.utterance_audio_from(8, max_trailing=0.0) == frames(2, 9)
    assert s.ep.utterance_audio_from(0) == frames(0, 24)
    assert s.ep.trailing_silence == pytest.approx(0.3, abs=1e-9)
    s.speech(1)  # frame 25: the pause was inside the utterance after all
    assert s.ep.utterance_audio_from(0, max_trailing=0.1) == frames(0, 25)
    assert s.ep.trailing_silence == 0.0
