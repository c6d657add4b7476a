"""Resampler: tones keep their frequency, content above the new Nyquist is removed, garbage is safe."""

import wave
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tts.resample import read_wav, resample


def tone(freq: float, rate: int, seconds: float = 1.0, amplitude: float = 10000.0) -> bytes:
    t = np.arange(int(rate * seconds)) / rate
    return np.rint(amplitude * np.sin(2 * np.pi * freq * t)).astype("<i2").tobytes()


def samples(pcm: bytes) -> np.ndarray:
    return np.frombuffer(pcm, dtype="<i2").astype(np.float64)


def peak_hz(pcm: bytes, rate: int) -> float:
    x = samples(pcm) * np.hanning(len(pcm) // 2)
    spectrum = np.abs(np.fft.rfft(x))
    return float(np.argmax(spectrum) * rate / len(x))


def rms(pcm: bytes) -> float:
    x = samples(pcm)
    return float(np.sqrt(np.mean(x * x)))


@pytest.mark.parametrize(
    ("src", "dst", "freq"),
    [
        (22050, 8000, 1000.0),
        (22050, 8000, 3000.0),
        (8000, 16000, 440.0),
        (8000, 16000, 3000.0),
        (22050, 16000, 5000.0),
    ],
)
def test_pure_tone_keeps_its_frequency_and_level(src: int, dst: int, freq: float) -> None:
    out = resample(tone(freq, src), src, dst)
    assert len(out) // 2 == dst  # one second in, one second out
    assert peak_hz(out, dst) == pytest.approx(freq, abs=2.0)
    inner = out[200:-200]  # the edges ramp in from the zero padding
    assert rms(inner) == pytest.approx(10000 / np.sqrt(2), rel=0.03)


@pytest.mark.parametrize(("src", "dst"), [(16000, 15999), (48000, 47999)])
def test_odd_rate_pairs_take_the_chunked_path_and_stay_accurate(src: int, dst: int) -> None:
    out = resample(tone(1000.0, src, 0.5), src, dst)
    assert len(out) // 2 == dst // 2
    assert peak_hz(out, dst) == pytest.approx(1000.0, abs=3.0)
    assert rms(out[400:-400]) == pytest.approx(10000 / np.sqrt(2), rel=0.03)


@pytest.mark.parametrize("freq", [4500.0, 6000.0, 9000.0])
def test_content_above_new_nyquist_is_attenuated_when_downsampling(freq: float) -> None:
    out = resample(tone(freq, 22050), 22050, 8000)
    # without the low-pass these tones would alias into the band at full level (about 7071 RMS)
    assert rms(out[400:-400]) < 7071 * 10 ** (-50 / 20)


def test_upsampling_does_not_create_images() -> None:
    out = resample(tone(1000.0, 8000), 8000, 16000)
    x = samples(out[800:-800]) * np.hanning(len(out[800:-800]) // 2)
    spectrum = np.abs(np.fft.rfft(x))
    freqs = np.fft.rfftfreq(len(x), 1 / 16000)
    image = spectrum[(freqs > 6500) & (freqs < 7500)].max()
    assert image < spectrum.max() * 10 ** (-60 / 20)


def test_same_rate_and_empty_input_are_identity() -> None:
    pcm = tone(300.0, 8000, 0.1)
    assert resample(pcm, 8000, 8000) == pcm
    assert resample(b"", 22050, 8000) == b""


def test_bad_arguments_are_rejected() -> None:
    with pytest.raises(ValueError):
        resample(b"\x00\x01\x02", 8000, 16000)
    with pytest.raises(ValueError):
        resample(b"\x00\x00", 0, 16000)


def test_full_scale_square_wave_is_clipped_not_wrapped() -> None:
    square = np.where(np.arange(8000) % 40 < 20, 32767, -32768).astype("<i2").tobytes()
    out = samples(resample(square, 8000, 22050))
    assert out.max() <= 32767 and out.min() >= -32768
    # a wrap-around would put large values of the wrong sign next to each other
    assert np.abs(np.diff(out)).max() < 40000


@settings(max_examples=60, deadline=None)
@given(
    data=st.binary(max_size=2000).map(lambda b: b[: len(b) // 2 * 2]),
    src=st.sampled_from([8000, 11025, 16000, 22050, 44100, 48000]),
    dst=st.sampled_from([8000, 12000, 16000, 24000, 48000]),
)
def test_any_pcm_resamples_to_the_expected_length(data: bytes, src: int, dst: int) -> None:
    out = resample(data, src, dst)
    expected = len(data) // 2 if src == dst else len(data) // 2 * dst // src
    assert len(out) == 2 * expected


def write_wav(path: Path, channels: int, rate: int, frames: np.ndarray) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(frames.astype("<i2").tobytes())


def test_read_wav_mono_and_stereo(tmp_path: Path) -> None:
    mono = np.array([1, -2, 300, -32768, 32767])
    write_wav(tmp_path / "m.wav", 1, 22050, mono)
    assert read_wav(tmp_path / "m.wav") == (mono.astype("<i2").tobytes(), 22050)
    stereo = np.array([[100, 300], [-100, -301], [32767, 32767], [-32768, -32768]])
    write_wav(tmp_path / "s.wav", 2, 44100, stereo.reshape(-1))
    pcm, rate = read_wav(tmp_path / "s.wav")
    assert rate == 44100
    assert list(np.frombuffer(pcm, "<i2")) == [200, -201, 32767, -32768]


def test_read_wav_rejects_other_formats(tmp_path: Path) -> None:
    (tmp_path / "junk.wav").write_bytes(b"RIFF\x00\x00junk")
    with pytest.raises(ValueError):
        read_wav(tmp_path / "junk.wav")
    with wave.open(str(tmp_path / "8bit.wav"), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(1)
        wav.setframerate(8000)
        wav.writeframes(b"\x80" * 10)
    with pytest.raises(ValueError, match="16-bit"):
        read_wav(tmp_path / "8bit.wav")
