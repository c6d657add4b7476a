"""Frame-level voice activity detection: webrtcvad on fixed 10/20/30 ms slin frames, plus a level gate.

webrtcvad keeps saying "speech" for up to ~100 ms after speech stops (its hangover), even over digital
silence, and hears faint tails that are masked by line noise. That would put every end of turn ~0.1-0.25 s
late. So a frame counts as speech only if webrtcvad says so AND its level is above both ``min_dbfs`` and
the tracked noise floor plus ``noise_margin_db``. The floor drops at once to any quieter frame and rises
slowly (``FLOOR_RISE_DB_PER_S``), so speech, which always has dips, never drags it up.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import webrtcvad

SAMPLE_WIDTH = 2  # slin is 16-bit signed little-endian mono
VALID_RATES = (8000, 16000)
VALID_FRAME_MS = (10, 20, 30)
FLOOR_RISE_DB_PER_S = 1.0
SILENCE_DBFS = -120.0  # level reported for all-zero frames (log of 0)


def level_dbfs(frame: bytes) -> float:
    """Return the RMS level of slin bytes in dBFS (full-scale sine is about -3 dBFS)."""
    x = np.frombuffer(frame, dtype="<i2").astype(np.float64)
    if not len(x):
        return SILENCE_DBFS
    power = float(np.dot(x, x)) / len(x) / (32768.0 * 32768.0)
    return max(SILENCE_DBFS, 10 * math.log10(power)) if power > 0 else SILENCE_DBFS


class LevelGate:
    """Pass frames louder than min_dbfs and than the tracked noise floor plus margin_db."""

    def __init__(self, frame_seconds: float, min_dbfs: float = -55.0, margin_db: float = 6.0):
        self.min_dbfs = min_dbfs
        self.margin_db = margin_db
        self._rise = FLOOR_RISE_DB_PER_S * frame_seconds
        # Start low: until the floor is learnt the gate is just min_dbfs, i.e. plain webrtcvad.
        self.floor_dbfs = min_dbfs

    def passes(self, frame: bytes) -> bool:
        """Update the noise floor with this frame and say whether it is loud enough to be speech."""
        level = level_dbfs(frame)
        self.floor_dbfs = min(self.floor_dbfs + self._rise, level)
        return level > max(self.min_dbfs, self.floor_dbfs + self.margin_db)

    def reset(self) -> None:
        """Forget the learnt noise floor."""
        self.floor_dbfs = self.min_dbfs


def frame_bytes_for(rate: int, frame_ms: int) -> int:
    """Return the byte size of one slin frame of frame_ms at rate, validating both."""
    if rate not in VALID_RATES:
        raise ValueError(f"sample rate must be one of {VALID_RATES}, got {rate!r}")
    if frame_ms not in VALID_FRAME_MS:
        raise ValueError(f"frame_ms must be one of {VALID_FRAME_MS}, got {frame_ms!r}")
    return rate * frame_ms // 1000 * SAMPLE_WIDTH


class FrameSplitter:
    """Cut a byte stream into whole frames of frame_bytes, keeping the remainder for the next call."""

    def __init__(self, frame_bytes: int):
        if frame_bytes <= 0 or frame_bytes % SAMPLE_WIDTH:
            raise ValueError(f"frame_bytes must be a positive multiple of {SAMPLE_WIDTH}, got {frame_bytes}")
        self.frame_bytes = frame_bytes
        self._rest = bytearray()  # always shorter than one frame, so bounded

    @property
    def pending(self) -> int:
        """Bytes held back because they do not yet make a whole frame."""
        return len(self._rest)

    def feed(self, data: bytes) -> list[bytes]:
        """Add data and return every whole frame now available, oldest first."""
        self._rest += data
        size = self.frame_bytes
        whole = len(self._rest) - len(self._rest) % size
        frames = [bytes(self._rest[i : i + size]) for i in range(0, whole, size)]
        del self._rest[:whole]
        return frames

    def reset(self) -> None:
        """Drop the held-back remainder."""
        self._rest.clear()


class VoiceActivity:
    """webrtcvad classifier for one audio stream of fixed rate and frame size."""

    def __init__(
        self,
        rate: int = 8000,
        aggressiveness: int = 2,
        frame_ms: int = 20,
        *,
        min_dbfs: float | None = -55.0,
        noise_margin_db: float = 6.0,
    ):
        if aggressiveness not in (0, 1, 2, 3):
            raise ValueError(f"aggressiveness must be 0..3, got {aggressiveness!r}")
        self.rate = rate
        self.frame_ms = frame_ms
        self.frame_bytes = frame_bytes_for(rate, frame_ms)
        self._vad = webrtcvad.Vad(aggressiveness)
        self._splitter = FrameSplitter(self.frame_bytes)
        # min_dbfs=None turns the level gate off: raw webrtcvad decisions.
        self._gate = None if min_dbfs is None else LevelGate(frame_ms / 1000, min_dbfs, noise_margin_db)

    @property
    def frame_seconds(self) -> float:
        """Duration of one frame in seconds (what the endpointer is fed)."""
        return self.frame_ms / 1000

    def is_speech(self, frame: bytes) -> bool:
        """Classify one frame of exactly frame_ms; a frame of any other size is a ValueError."""
        if len(frame) != self.frame_bytes:
            raise ValueError(f"frame must be {self.frame_bytes} bytes ({self.frame_ms} ms), got {len(frame)}")
        voiced = self._vad.is_speech(frame, self.rate)
        # The gate sees every frame (not only voiced ones) so its noise floor keeps tracking.
        loud = self._gate is None or self._gate.passes(frame)
        return voiced and loud

    def frames(self, pcm: bytes) -> Iterator[bytes]:
        """Return the whole frames in pcm; a partial tail waits for the next call."""
        # Split eagerly: a lazy generator would lose pcm if the caller never iterated it.
        return iter(self._splitter.feed(pcm))

    def classify(self, pcm: bytes) -> Iterator[tuple[bytes, bool]]:
        """Yield (frame, is_speech) for each whole frame in pcm."""
        for frame in self.frames(pcm):
            yield frame, self.is_speech(frame)

    def reset(self) -> None:
        """Drop a held-back partial frame and the learnt noise floor (e.g. a new audio stream)."""
        self._splitter.reset()
        if self._gate is not None:
            self._gate.reset()
