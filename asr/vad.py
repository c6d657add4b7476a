"""Frame-level voice activity detection: webrtcvad on fixed 10/20/30 ms slin frames."""

from __future__ import annotations

from collections.abc import Iterator

import webrtcvad

SAMPLE_WIDTH = 2  # slin is 16-bit signed little-endian mono
VALID_RATES = (8000, 16000)
VALID_FRAME_MS = (10, 20, 30)


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

    def __init__(self, rate: int = 8000, aggressiveness: int = 2, frame_ms: int = 20):
        if aggressiveness not in (0, 1, 2, 3):
            raise ValueError(f"aggressiveness must be 0..3, got {aggressiveness!r}")
        self.rate = rate
        self.frame_ms = frame_ms
        self.frame_bytes = frame_bytes_for(rate, frame_ms)
        self._vad = webrtcvad.Vad(aggressiveness)
        self._splitter = FrameSplitter(self.frame_bytes)

    @property
    def frame_seconds(self) -> float:
        """Duration of one frame in seconds (what the endpointer is fed)."""
        return self.frame_ms / 1000

    def is_speech(self, frame: bytes) -> bool:
        """Classify one frame of exactly frame_ms; a frame of any other size is a ValueError."""
        if len(frame) != self.frame_bytes:
            raise ValueError(f"frame must be {self.frame_bytes} bytes ({self.frame_ms} ms), got {len(frame)}")
        return self._vad.is_speech(frame, self.rate)

    def frames(self, pcm: bytes) -> Iterator[bytes]:
        """Return the whole frames in pcm; a partial tail waits for the next call."""
        # Split eagerly: a lazy generator would lose pcm if the caller never iterated it.
        return iter(self._splitter.feed(pcm))

    def classify(self, pcm: bytes) -> Iterator[tuple[bytes, bool]]:
        """Yield (frame, is_speech) for each whole frame in pcm."""
        for frame in self.frames(pcm):
            yield frame, self.is_speech(frame)

    def reset(self) -> None:
        """Drop a held-back partial frame (e.g. when the audio stream restarts)."""
        self._splitter.reset()
