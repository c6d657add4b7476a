"""Silence trimming keeps at most 50 ms of quiet around the speech."""

import numpy as np
import pytest

from tts.trim import trim_silence

RATE = 22050


def pcm(*parts: np.ndarray) -> bytes:
    return np.concatenate(parts).astype("<i2").tobytes()


def burst(seconds: float, amplitude: int = 8000) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    return np.rint(amplitude * np.sin(2 * np.pi * 500 * t))


def test_long_silences_are_cut_to_50_ms_each_side() -> None:
    speech = burst(0.5)
    audio = pcm(np.zeros(RATE), speech, np.zeros(RATE // 2))
    out = np.frombuffer(trim_silence(audio, RATE), "<i2")
    keep = round(0.05 * RATE)
    first_loud = np.flatnonzero(np.abs(out) > 80)[0]
    last_loud = np.flatnonzero(np.abs(out) > 80)[-1]
    assert keep - 2 <= first_loud <= keep + 2
    assert keep - 2 <= len(out) - 1 - last_loud <= keep + 2
    assert len(out) == pytest.approx(len(speech) + 2 * keep, abs=4)


def test_short_silences_are_kept_whole() -> None:
    audio = pcm(np.zeros(100), burst(0.2), np.zeros(50))
    assert trim_silence(audio, RATE) == audio


def test_low_noise_counts_as_silence_but_quiet_speech_does_not() -> None:
    noise = np.random.default_rng(1).integers(-20, 21, RATE)
    out = trim_silence(pcm(noise, burst(0.3, amplitude=400), noise), RATE)
    assert len(out) // 2 == pytest.approx(0.3 * RATE + 2 * 0.05 * RATE, abs=10)


def test_all_silence_and_empty_give_nothing() -> None:
    assert trim_silence(pcm(np.zeros(RATE)), RATE) == b""
    assert trim_silence(b"", RATE) == b""


def test_odd_byte_count_is_rejected() -> None:
    with pytest.raises(ValueError):
        trim_silence(b"\x00", RATE)
