"""Test helpers for real-speech endpointing: WAV loading, true speech boundaries, stream building."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

SOUNDS = Path("/usr/share/asterisk/sounds/en_US_f_Allison")


def load_wav(path: str | Path) -> tuple[bytes, int]:
    """Read a 16-bit mono PCM WAV file and return (pcm bytes, sample rate)."""
    with wave.open(str(path), "rb") as wav:
        width, channels = wav.getsampwidth(), wav.getnchannels()
        if width != 2 or channels != 1:
            raise ValueError(f"{path}: need 16-bit mono, got {width * 8}-bit x{channels}")
        return wav.readframes(wav.getnframes()), wav.getframerate()


def samples(pcm: bytes) -> np.ndarray:
    """Return slin bytes as float64 samples in [-1, 1)."""
    return np.frombuffer(pcm, dtype="<i2").astype(np.float64) / 32768.0


def to_pcm(x: np.ndarray) -> bytes:
    """Return float samples in [-1, 1) as slin bytes (clipped)."""
    return np.clip(np.round(x * 32768.0), -32768, 32767).astype("<i2").tobytes()


def active_windows(x: np.ndarray, rate: int, win_ms: int = 10, threshold_db: float = -40.0) -> np.ndarray:
    """Return, per win_ms window, whether its RMS level is above threshold_db (dBFS)."""
    win = rate * win_ms // 1000
    n = len(x) // win
    rms = np.sqrt(np.mean(x[: n * win].reshape(n, win) ** 2, axis=1) + 1e-20)
    return 20 * np.log10(rms) > threshold_db


def true_bounds(pcm: bytes, rate: int, win_ms: int = 10, threshold_db: float = -40.0) -> tuple[float, float]:
    """Return (first, last) second of short-time energy above threshold_db: the prompt's real speech."""
    active = np.flatnonzero(active_windows(samples(pcm), rate, win_ms, threshold_db))
    if not len(active):
        raise ValueError("no speech above the threshold")
    return active[0] * win_ms / 1000, (active[-1] + 1) * win_ms / 1000


def longest_pause(pcm: bytes, rate: int, win_ms: int = 10, threshold_db: float = -40.0) -> float:
    """Return the longest run of below-threshold windows between the first and last active ones (s)."""
    active = active_windows(samples(pcm), rate, win_ms, threshold_db)
    idx = np.flatnonzero(active)
    inner = active[idx[0] : idx[-1] + 1]
    longest = run = 0
    for on in inner:
        run = 0 if on else run + 1
        longest = max(longest, run)
    return longest * win_ms / 1000


def upsample2(pcm: bytes) -> bytes:
    """Double the sample rate by linear interpolation (8 kHz -> 16 kHz)."""
    x = samples(pcm)
    t = np.arange(2 * len(x)) / 2
    return to_pcm(np.interp(t, np.arange(len(x)), x))
