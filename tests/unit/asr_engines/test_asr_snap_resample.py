"""Pure helpers of the Whisper engine: grammar snapping and resampling, plus the offline CLI paths."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from asr.models import KNOWN_VOSK_MODELS, ModelDownloadError, download_model, main_download
from asr.whisper_decode import resample
from asr.whisper_engine import snap_to_grammar

YES_NO = ["yes", "no"]


@pytest.mark.parametrize(
    ("heard", "expected"),
    [
        ("Yes.", "yes"),
        ("No!", "no"),
        ("Yes, please.", "yes"),
        ("no thank you", "no"),
        ("Yess", "yes"),
        ("the weather is nice", None),
        ("", None),
        ("yes no", None),  # both heard: ambiguous
    ],
)
def test_snap_to_grammar(heard: str, expected: str | None) -> None:
    assert snap_to_grammar(heard, YES_NO) == expected


def test_snap_keeps_the_grammar_spelling() -> None:
    grammar = ["Billing", "Agent", "Speak to an Agent"]
    assert snap_to_grammar("I want to speak to an agent", grammar) == "Speak to an Agent"
    assert snap_to_grammar("billing agent", grammar) is None


def tone(freq: float, rate: int, seconds: float = 0.5) -> bytes:
    t = np.arange(int(rate * seconds)) / rate
    return (np.sin(2 * np.pi * freq * t) * 12000).astype("<i2").tobytes()


@pytest.mark.parametrize(("rate", "freq"), [(8000, 440.0), (8000, 3000.0), (48000, 1000.0), (16000, 700.0)])
def test_resample_keeps_pitch_length_and_level(rate: int, freq: float) -> None:
    out = resample(tone(freq, rate), rate)
    assert out.dtype == np.float32
    assert len(out) == 8000  # 0.5 s at 16 kHz
    peak_hz = np.argmax(np.abs(np.fft.rfft(out))) * 16000 / len(out)
    assert abs(peak_hz - freq) <= 2
    assert 0.3 < np.max(np.abs(out[100:-100])) < 0.45  # 12000 / 32768, minus edge ringing


@given(st.binary(max_size=400), st.sampled_from([8000, 11025, 16000, 44100]))
def test_resample_any_bytes(pcm: bytes, rate: int) -> None:
    out = resample(pcm, rate)
    samples = len(pcm) // 2
    assert len(out) == (0 if samples == 0 else max(1, round(samples * 16000 / rate)))
    assert np.all(np.isfinite(out))


def test_cli_lists_the_catalog(capsys: pytest.CaptureFixture[str]) -> None:
    assert main_download(["--list"]) == 0
    out = capsys.readouterr().out
    assert "vosk-model-small-en-us-0.15\ten\t40M\thttps://alphacephei.com/vosk/models/" in out
    assert len(out.splitlines()) == len(KNOWN_VOSK_MODELS)


def test_cli_unknown_name_fails_before_any_network(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main_download(["no-such-model", "--dest", str(tmp_path)]) == 1
    assert "unknown model 'no-such-model'" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("bad", ["ftp://host/model.zip", "../escape", "http://host/", ".hidden"])
def test_unusable_sources_are_refused(tmp_path, bad: str) -> None:
    with pytest.raises(ModelDownloadError):
        download_model(bad, tmp_path, base_url="http://127.0.0.1:9")
    assert list(tmp_path.iterdir()) == []
