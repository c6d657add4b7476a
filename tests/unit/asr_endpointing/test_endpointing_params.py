"""Endpointing presets and params_for(): named presets, overrides, validation."""

from __future__ import annotations

import math

import pytest

from asr.endpointer import PRESETS, EndpointingParams, params_for


def test_presets_are_named_and_ordered_by_patience():
    assert set(PRESETS) >= {"fast", "normal", "patient"}
    assert PRESETS["fast"].end_silence == pytest.approx(0.4)
    assert PRESETS["normal"].end_silence == pytest.approx(0.6)
    assert PRESETS["patient"].end_silence == pytest.approx(1.0)
    for p in PRESETS.values():
        assert 0.12 <= p.min_speech <= 0.2
        assert 15 <= p.max_utterance <= 20
        assert 5 <= p.no_input <= 8
        assert p.pre_roll == pytest.approx(0.3)


def test_params_for_returns_the_preset_and_applies_overrides():
    assert params_for("normal") == PRESETS["normal"]
    assert params_for("fast", None) == PRESETS["fast"]
    tuned = params_for("patient", {"end_silence": 1.5, "no_input": 10})
    assert tuned.end_silence == 1.5 and tuned.no_input == 10
    assert tuned.min_speech == PRESETS["patient"].min_speech


def test_params_are_frozen():
    with pytest.raises(AttributeError):
        PRESETS["normal"].end_silence = 2.0  # type: ignore[misc]


@pytest.mark.parametrize("name", ["slow", "", "Normal", None])
def test_unknown_preset_is_an_error_naming_the_choices(name):
    with pytest.raises(ValueError, match="fast"):
        params_for(name)  # type: ignore[arg-type]


def test_unknown_override_key_is_an_error():
    with pytest.raises(ValueError, match="end_silnce"):
        params_for("normal", {"end_silnce": 0.5})


@pytest.mark.parametrize(
    "overrides",
    [
        {"end_silence": 0},
        {"no_input": 0},
        {"pre_roll": -0.1},
        {"min_speech": math.nan},
        {"max_utterance": math.inf},
        {"max_utterance": 0.1, "min_speech": 0.2},
        {"end_silence": "0.5"},
        {"end_silence": True},
    ],
)
def test_bad_values_are_rejected(overrides):
    with pytest.raises(ValueError):
        params_for("normal", overrides)


def test_direct_construction_validates_too():
    with pytest.raises(ValueError):
        EndpointingParams(min_speech=-1, end_silence=0.6, max_utterance=20, no_input=6, pre_roll=0.3)
