"""VoiceActivity: frame validation, FrameSplitter (any chunking), the level gate."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asr.vad import SILENCE_DBFS, FrameSplitter, LevelGate, VoiceActivity, frame_bytes_for, level_dbfs


def tone(dbfs: float, seconds: float, rate: int = 8000, hz: float = 440.0) -> bytes:
    """A sine at the given RMS level in dBFS."""
    t = np.arange(int(rate * seconds)) / rate
    amp = 10 ** (dbfs / 20) * np.sqrt(2) * 32768
    return np.round(amp * np.sin(2 * np.pi * hz * t)).astype("<i2").tobytes()


def noise(dbfs: float, seconds: float, rate: int = 8000, seed: int = 0) -> bytes:
    """White noise at the given RMS level in dBFS."""
    x = np.random.default_rng(seed).normal(0, 10 ** (dbfs / 20) * 32768, int(rate * seconds))
    return np.clip(np.round(x), -32768, 32767).astype("<i2").tobytes()


@pytest.mark.parametrize(("rate", "ms", "size"), [(8000, 10, 160), (8000, 20, 320), (16000, 30, 960)])
def test_frame_sizes(rate, ms, size):
    assert frame_bytes_for(rate, ms) == size
    assert VoiceActivity(rate=rate, frame_ms=ms).frame_bytes == size


@pytest.mark.parametrize(
    "kwargs", [{"rate": 44100}, {"rate": 32000}, {"frame_ms": 15}, {"aggressiveness": 4}]
)
def test_bad_settings_are_value_errors(kwargs):
    with pytest.raises(ValueError):
        VoiceActivity(**kwargs)


@pytest.mark.parametrize("size", [0, 2, 318, 322, 640])
def test_is_speech_wants_exactly_one_frame(size):
    with pytest.raises(ValueError):
        VoiceActivity().is_speech(b"\0" * size)


def test_digital_silence_is_not_speech():
    vad = VoiceActivity()
    assert not any(vad.is_speech(f) for f in vad.frames(b"\0" * 16000))


def test_frames_keeps_the_remainder_for_the_next_call():
    vad = VoiceActivity()
    data = bytes(range(256)) * 5  # 1280 bytes = 4 frames
    first = list(vad.frames(data[:500]))
    second = list(vad.frames(data[500:]))
    assert first == [data[:320]]
    assert second == [data[320:640], data[640:960], data[960:1280]]


def test_frames_splits_even_when_not_iterated():
    vad = VoiceActivity()
    vad.frames(b"\1" * 100)  # result dropped on purpose
    assert list(vad.frames(b"\2" * 220)) == [b"\1" * 100 + b"\2" * 220]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000), st.lists(st.integers(0, 700), max_size=30))
def test_splitter_output_is_independent_of_chunking(data, cuts):
    whole = FrameSplitter(320).feed(data)
    splitter, pieces, pos = FrameSplitter(320), [], 0
    for cut in [*sorted(c % (len(data) + 1) for c in cuts), len(data)]:
        pieces += splitter.feed(data[pos:cut] if cut >= pos else b"")
        pos = max(pos, cut)
        assert splitter.pending < 320
    assert pieces == whole
    assert b"".join(whole) == data[: len(data) - len(data) % 320]
    assert splitter.pending == len(data) % 320


def test_splitter_one_byte_at_a_time():
    data = bytes(range(200)) * 4
    splitter = FrameSplitter(160)
    out = [f for b in data for f in splitter.feed(bytes([b]))]
    assert out == [data[i : i + 160] for i in range(0, 800, 160)]


def test_splitter_rejects_odd_sizes():
    with pytest.raises(ValueError):
        FrameSplitter(321)


def test_level_dbfs():
    assert level_dbfs(b"\0" * 320) == SILENCE_DBFS
    assert level_dbfs(b"") == SILENCE_DBFS
    assert level_dbfs(tone(-20, 0.02)) == pytest.approx(-20, abs=0.2)
    assert level_dbfs(noise(-50, 0.02)) == pytest.approx(-50, abs=1.5)


def test_level_gate_follows_the_noise_floor():
    gate = LevelGate(0.02, min_dbfs=-55, margin_db=6)
    # The floor starts at min_dbfs and rises 1 dB/s: after 15 s it has learnt noise at -45 dBFS.
    passed = [gate.passes(noise(-45, 0.02, seed=i)) for i in range(750)]
    assert passed[0] and not any(passed[-250:])  # noise stops passing once the floor is learnt...
    assert gate.floor_dbfs == pytest.approx(-46.5, abs=1.5)
    assert not gate.passes(tone(-43, 0.02))  # ...nor a sound just above it
    assert gate.passes(tone(-25, 0.02))


def test_level_gate_floor_drops_at_once_and_rises_slowly():
    gate = LevelGate(0.02, min_dbfs=-55, margin_db=6)
    gate.passes(b"\0" * 320)
    assert gate.floor_dbfs == SILENCE_DBFS
    for _ in range(50):  # 1 s of loud sound
        gate.passes(tone(-20, 0.02))
    assert gate.floor_dbfs == pytest.approx(SILENCE_DBFS + 1.0)
    gate.reset()
    assert gate.floor_dbfs == -55
