"""No-input timer of the Endpointer: listen(), pause/resume, onsets at the deadline, exact times."""

from __future__ import annotations

import pytest

from asr.endpointer import Endpointer, EndpointingParams, NoInput, SpeechStarted
from tests.unit.asr_endpointing.endpointer_script import Script

P = EndpointingParams(min_speech=0.1, end_silence=0.6, max_utterance=20.0, no_input=6.0, pre_roll=0.3)


def script() -> Script:
    return Script(Endpointer(P))


def no_inputs(s: Script) -> list[tuple[int, float]]:
    return [(i, e.at) for i, e in s.of_type(NoInput)]


def test_no_input_never_fires_before_the_first_listen():
    s = script()
    s.silence(1000)
    assert s.log == []


def test_no_input_fires_once_exactly_no_input_after_listen():
    s = script()
    s.silence(50)  # 1.0 s
    s.ep.listen()
    assert s.silence(299) == []
    assert s.silence(1) == [NoInput(at=pytest.approx(7.0, abs=1e-9))]
    s.silence(1000)
    assert len(s.of_type(NoInput)) == 1


def test_listen_restarts_the_timer():
    s = script()
    s.ep.listen()
    s.silence(200)  # 4 s
    s.ep.listen()
    s.silence(600)
    assert no_inputs(s) == [(499, pytest.approx(10.0, abs=1e-9))]


def test_speech_within_no_input_disarms_the_timer_for_good():
    s = script()
    s.ep.listen()
    s.silence(100)
    s.speech(20)
    s.silence(1000)
    assert s.of_type(NoInput) == []
    assert len(s.of_type(SpeechStarted)) == 1


def test_short_blips_do_not_satisfy_the_timer():
    s = script()
    s.ep.listen()
    for _ in range(30):
        s.speech(4)  # 0.08 s < min_speech
        s.silence(6)
    [(_, at)] = no_inputs(s)
    assert at == pytest.approx(6.0, abs=1e-9)


def test_paused_timer_does_not_run_while_the_bot_speaks():
    s = script()
    s.ep.listen()
    s.silence(100)  # 2 s counted
    s.ep.pause_no_input()
    s.silence(1000)  # 20 s of prompt
    assert s.of_type(NoInput) == []
    s.ep.listen()  # prompt over: a fresh 6 s
    s.silence(400)
    assert no_inputs(s) == [(1399, pytest.approx(28.0, abs=1e-9))]


def test_resume_counts_on_from_where_the_pause_stopped():
    s = script()
    s.ep.listen()
    s.silence(100)  # 2 s
    s.ep.pause_no_input()
    s.silence(150)  # 3 s paused
    s.ep.resume_no_input()
    s.silence(300)
    assert no_inputs(s) == [(449, pytest.approx(9.0, abs=1e-9))]


def test_barge_in_while_paused_still_starts_speech():
    s = script()
    s.ep.listen()
    s.ep.pause_no_input()
    s.silence(10)
    s.speech(5)
    [(_, started)] = s.of_type(SpeechStarted)
    assert started.at == pytest.approx(0.2, abs=1e-9)


def test_onset_under_way_at_the_deadline_that_becomes_speech_means_no_no_input():
    s = script()
    s.ep.listen()
    s.silence(298)  # 5.96 s
    s.speech(5)  # onset from 5.96 s, confirmed at 6.06 s
    s.silence(1000)
    assert s.of_type(NoInput) == []
    [(_, started)] = s.of_type(SpeechStarted)
    assert started.at == pytest.approx(5.96, abs=1e-9)


def test_onset_under_way_at_the_deadline_that_fails_gives_no_input_when_it_fails():
    s = script()
    s.ep.listen()
    s.silence(298)  # 5.96 s
    s.speech(3)  # onset 5.96-6.02 s, too short
    s.silence(1)  # fails at 6.04 s
    assert no_inputs(s) == [(301, pytest.approx(6.04, abs=1e-9))]


def test_speech_beginning_exactly_at_the_deadline_is_too_late():
    s = script()
    s.ep.listen()
    s.silence(300)
    s.speech(10)
    assert no_inputs(s) == [(299, pytest.approx(6.0, abs=1e-9))]


def test_listen_while_the_caller_speaks_is_satisfied_at_once():
    s = script()
    s.speech(10)
    s.ep.listen()
    s.speech(10)
    s.silence(1000)
    assert s.of_type(NoInput) == []


def test_reset_disarms_the_timer():
    s = script()
    s.ep.listen()
    s.silence(10)
    s.ep.reset()
    s.silence(1000)
    assert s.of_type(NoInput) == []
