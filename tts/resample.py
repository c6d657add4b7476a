"""Sample-rate conversion for int16 mono speech, and WAV reading (numpy only).

How this works: each output sample n sits at input position t = n * src / dst. It is the dot product
of the input around t with a Kaiser-windowed sinc evaluated at the exact fractional offsets. The sinc's
cutoff is below the lower of the two Nyquist frequencies, so down-sampling (22050 -> 8000) is
anti-aliased and up-sampling does not image. Positions repeat every `up` outputs, so for the usual
rate pairs the taps are a cached table of `up` phases; memory stays bounded in both paths.
"""

from __future__ import annotations

import functools
import math
import wave
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

ZERO_CROSSINGS = 32  # per side; longer filter = narrower transition band
ROLLOFF = 0.9  # cutoff as a fraction of the lower Nyquist: telephone speech ends near 3.4 kHz anyway
KAISER_BETA = 9.0  # about 90 dB stop-band attenuation
_CHUNK_CELLS = 1 << 20  # output samples x taps handled per numpy step
_MAX_PHASES = 1024  # rate pairs with more phases (e.g. 8000 -> 7999) take the chunked path
_TABLE_CELLS = 1 << 21  # largest cached phase table (16 MiB); beyond it taps are computed per chunk


def resample(pcm: bytes, src_rate: int, dst_rate: int) -> bytes:
    """Convert little-endian int16 mono PCM from `src_rate` to `dst_rate` Hz."""
    if src_rate <= 0 or dst_rate <= 0:
        raise ValueError(f"sample rates must be positive, got {src_rate} -> {dst_rate}")
    if len(pcm) % 2:
        raise ValueError("int16 PCM must have an even number of bytes")
    if src_rate == dst_rate or not pcm:
        return bytes(pcm)
    x = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    y = _resample_float(x, src_rate, dst_rate)
    return np.clip(np.rint(y), -32768, 32767).astype("<i2").tobytes()


def _resample_float(x: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """Resample a float signal with exact rational positions."""
    g = math.gcd(src_rate, dst_rate)
    up, down = dst_rate // g, src_rate // g
    width = ROLLOFF * min(1.0, dst_rate / src_rate)  # cutoff in cycles per input sample, times two
    half = math.ceil(ZERO_CROSSINGS / width)
    padded = np.concatenate([np.zeros(half), x, np.zeros(half + 1)])
    n_out = len(x) * up // down
    if up <= _MAX_PHASES:
        return _by_phase(padded, n_out, up, down, width, half)
    return _by_chunk(padded, n_out, up, down, width, half)


def _by_phase(padded: np.ndarray, n_out: int, up: int, down: int, width: float, half: int) -> np.ndarray:
    """Usual rate pairs: outputs n, n+up, n+2up... share a phase, so each set is one matrix-vector product."""
    table = _phase_table(up, width, half)
    windows = sliding_window_view(padded, 2 * half)  # a view: row i is padded[i : i + 2*half]
    out = np.empty(n_out)
    for first in range(min(up, n_out)):
        base, phase = divmod(first * down, up)
        count = len(range(first, n_out, up))
        rows = windows[base + 1 : base + 2 + (count - 1) * down : down]
        out[first::up] = rows @ table[phase]
    return out


def _by_chunk(padded: np.ndarray, n_out: int, up: int, down: int, width: float, half: int) -> np.ndarray:
    """Odd rate pairs with many phases: gather inputs and taps in bounded chunks."""
    table = _phase_table(up, width, half) if up * 2 * half <= _TABLE_CELLS else None
    taps = np.arange(2 * half)
    out = np.empty(n_out)
    step = max(1, _CHUNK_CELLS // (2 * half))
    for start in range(0, n_out, step):
        n = np.arange(start, min(n_out, start + step), dtype=np.int64)
        base, phase = np.divmod(n * down, up)
        weights = table[phase] if table is not None else _weights(phase / up, width, half)
        out[start : start + len(n)] = np.einsum("ij,ij->i", padded[base[:, None] + 1 + taps], weights)
    return out


@functools.lru_cache(maxsize=16)
def _phase_table(up: int, width: float, half: int) -> np.ndarray:
    """Filter weights for each of the `up` fractional positions (rates repeat with period `up`)."""
    table = _weights(np.arange(up) / up, width, half)
    table.flags.writeable = False
    return table


def _weights(frac: np.ndarray, width: float, half: int) -> np.ndarray:
    """Normalised taps for outputs whose position is `frac` of a sample past their base input."""
    offsets = frac[:, None] + (half - 1) - np.arange(2 * half)[None, :]  # distance from t to each tap
    weights = _kernel(offsets, width, half)
    return weights / weights.sum(axis=1, keepdims=True)  # unity DC gain whatever the phase


def _kernel(offsets: np.ndarray, width: float, half: int) -> np.ndarray:
    """Kaiser-windowed sinc low-pass evaluated at `offsets` input samples."""
    ratio = np.clip(offsets / half, -1.0, 1.0)
    window = np.i0(KAISER_BETA * np.sqrt(1.0 - ratio * ratio)) / np.i0(KAISER_BETA)
    return width * np.sinc(width * offsets) * window


class StreamResampler:
    """`resample()` for a stream fed in chunks (caller audio frame by frame), without seams at the joins.

    It keeps the input tail the filter still needs and emits each output sample once its whole window
    has arrived, so the output lags the input by half a filter (a few ms) and equals what `resample()`
    gives for the whole stream at once.
    """

    def __init__(self, src_rate: int, dst_rate: int) -> None:
        if src_rate <= 0 or dst_rate <= 0:
            raise ValueError(f"sample rates must be positive, got {src_rate} -> {dst_rate}")
        g = math.gcd(src_rate, dst_rate)
        self.src_rate, self.dst_rate = src_rate, dst_rate
        self._up, self._down = dst_rate // g, src_rate // g
        width = ROLLOFF * min(1.0, dst_rate / src_rate)
        self._half = math.ceil(ZERO_CROSSINGS / width)
        self._table = _phase_table(self._up, width, self._half) if self._up <= _MAX_PHASES else None
        self._width = width
        self._x = np.zeros(self._half)  # silence before the stream, as resample() pads it
        self._x0 = -self._half  # input index of _x[0]
        self._next = 0  # index of the next output sample

    def feed(self, pcm: bytes) -> bytes:
        """Int16 PCM in at src_rate; whatever output is complete, int16 at dst_rate."""
        if len(pcm) % 2:
            raise ValueError("int16 PCM must have an even number of bytes")
        if self._up == self._down:
            return bytes(pcm)
        x = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
        self._x = np.concatenate([self._x, x])
        total = self._x0 + len(self._x)  # input samples received so far
        # Output n needs inputs up to floor(n * down / up) + half.
        end = max(self._next, -(-(total - self._half) * self._up // self._down))
        n = np.arange(self._next, end, dtype=np.int64)
        if not n.size:
            return b""
        base, phase = np.divmod(n * self._down, self._up)
        taps = np.arange(2 * self._half)
        window = self._x[base[:, None] + (1 - self._half - self._x0) + taps]
        weights = (
            self._table[phase]
            if self._table is not None
            else _weights(phase / self._up, self._width, self._half)
        )
        y = np.einsum("ij,ij->i", window, weights)
        self._next = end
        keep_from = end * self._down // self._up + 1 - self._half  # first input the next output needs
        drop = max(0, keep_from - self._x0)
        self._x, self._x0 = self._x[drop:], self._x0 + drop
        return np.clip(np.rint(y), -32768, 32767).astype("<i2").tobytes()


def read_wav(path: str | Path) -> tuple[bytes, int]:
    """Read a 16-bit PCM WAV (mono, or stereo mixed down) as (int16 mono PCM bytes, sample rate)."""
    try:
        with wave.open(str(path), "rb") as wav:
            channels, width, rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
            frames = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError) as exc:
        raise ValueError(f"{path}: not a PCM WAV file ({exc})") from exc
    if width != 2 or channels not in (1, 2):
        raise ValueError(f"{path}: need 16-bit mono or stereo, got {width * 8}-bit x {channels}")
    samples = np.frombuffer(frames[: len(frames) // (2 * channels) * 2 * channels], dtype="<i2")
    if channels == 2:
        mixed = samples.reshape(-1, 2).astype(np.int32).sum(axis=1) // 2
        return mixed.astype("<i2").tobytes(), rate
    return samples.tobytes(), rate
