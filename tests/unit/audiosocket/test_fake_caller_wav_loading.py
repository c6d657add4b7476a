"""load_wav_as_slin: 16-bit WAV to mono slin at the caller's rate."""

import wave
from pathlib import Path

import numpy as np
import pytest

from ivr.fakepbx.audiosocket import load_wav_as_slin


def _write_wav(path: Path, samples: np.ndarray, rate: int, channels: int = 1, width: int = 2) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(width)
        wav.setframerate(rate)
        wav.writeframes(samples.astype("<i2" if width == 2 else "u1").tobytes())
    return path


def test_mono_8k_is_returned_unchanged(tmp_path: Path) -> None:
    samples = np.arange(-400, 400, dtype=np.int16)
    path = _write_wav(tmp_path / "a.wav", samples, 8000)
    assert load_wav_as_slin(path) == samples.astype("<i2").tobytes()


def test_stereo_is_averaged_to_mono(tmp_path: Path) -> None:
    left, right = np.full(100, 1000), np.full(100, -200)
    path = _write_wav(tmp_path / "s.wav", np.column_stack([left, right]).ravel(), 8000, channels=2)
    out = np.frombuffer(load_wav_as_slin(path), dtype="<i2")
    assert len(out) == 100 and set(out.tolist()) == {400}


def test_16k_ramp_is_linearly_resampled_to_8k(tmp_path: Path) -> None:
    ramp = np.arange(0, 3200, 2)  # 1600 samples at 16 kHz = 0.1 s
    path = _write_wav(tmp_path / "r.wav", ramp, 16000)
    out = np.frombuffer(load_wav_as_slin(path, rate=8000), dtype="<i2")
    assert len(out) == 800
    assert out.tolist() == list(range(0, 3200, 4))


def test_upsampling_interpolates_between_samples(tmp_path: Path) -> None:
    path = _write_wav(tmp_path / "u.wav", np.array([0, 100, 200, 300]), 8000)
    out = np.frombuffer(load_wav_as_slin(path, rate=16000), dtype="<i2")
    assert out.tolist() == [0, 50, 100, 150, 200, 250, 300, 300]


def test_8_bit_wav_is_refused(tmp_path: Path) -> None:
    path = _write_wav(tmp_path / "b.wav", np.full(10, 128), 8000, width=1)
    with pytest.raises(ValueError, match="16-bit"):
        load_wav_as_slin(path)
