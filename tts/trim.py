"""Trimming of the silence espeak puts around an utterance, so replies start speaking at once."""

from __future__ import annotations

import numpy as np

KEEP_SECONDS = 0.05
PEAK_FRACTION = 0.01  # -40 dB below the loudest sample still counts as sound
MIN_THRESHOLD = 32  # absolute floor, so dither and DC noise are not "speech"


def trim_silence(pcm: bytes, rate: int, keep_seconds: float = KEEP_SECONDS) -> bytes:
    """Cut leading/trailing near-silence of int16 mono PCM down to at most `keep_seconds` each."""
    if len(pcm) % 2:
        raise ValueError("int16 PCM must have an even number of bytes")
    x = np.frombuffer(pcm, dtype="<i2")
    if not len(x):
        return b""
    level = np.abs(x.astype(np.int32))
    threshold = max(MIN_THRESHOLD, int(level.max() * PEAK_FRACTION))
    loud = np.flatnonzero(level > threshold)
    if not len(loud):
        return b""
    keep = round(keep_seconds * rate)
    start = max(0, int(loud[0]) - keep)
    end = min(len(x), int(loud[-1]) + 1 + keep)
    return x[start:end].tobytes()
