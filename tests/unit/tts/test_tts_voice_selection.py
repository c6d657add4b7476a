"""Voice specs, espeak voice matching and language fallback (no worker process involved)."""

import logging
from pathlib import Path

import pytest

from tts.engine import match_voice
from tts.protocol import VoiceInfo
from tts.service import Synthesizer, VoiceSpec

VOICES = (
    VoiceInfo("gmw/en", "English (Great Britain)", ("en-gb",)),
    VoiceInfo("gmw/en-us", "English (America)", ("en-us",)),
    VoiceInfo("sit/cmn", "Chinese (Mandarin, latin as English)", ("cmn",)),
    VoiceInfo("ko", "Korean", ("ko",)),
)


@pytest.mark.parametrize(
    ("asked", "found"),
    [
        ("en-us", "gmw/en-us"),
        ("gmw/en-us", "gmw/en-us"),
        ("English (America)", "gmw/en-us"),
        ("EN-US", "gmw/en-us"),
        ("en-gb", "gmw/en"),
        ("cmn", "sit/cmn"),
        ("Korean", "ko"),
        ("en-us+f3", "gmw/en-us+f3"),
        ("zz", None),
        ("", None),
    ],
)
def test_match_voice(asked: str, found: str | None) -> None:
    assert match_voice(VOICES, asked) == found


def test_voice_spec_validates_rate_and_name() -> None:
    assert VoiceSpec("ko").rate_wpm == 160
    with pytest.raises(ValueError):
        VoiceSpec("en-us", 20)
    with pytest.raises(ValueError):
        VoiceSpec(" ", 160)


def test_language_lookup_and_fallback_warns_once(tmp_path: Path, caplog) -> None:
    synth = Synthesizer({"en": VoiceSpec("en-us"), "ko": VoiceSpec("ko", 140)}, tmp_path)
    assert synth.voice_for("ko") == VoiceSpec("ko", 140)
    assert synth.voice_for("en-US") == VoiceSpec("en-us")
    assert synth.voice_for("en_GB") == VoiceSpec("en-us")
    with caplog.at_level(logging.WARNING, logger="tts.service"):
        assert synth.voice_for("fr") == VoiceSpec("en-us")
        assert synth.voice_for("fr") == VoiceSpec("en-us")
    assert caplog.text.count("no TTS voice for language 'fr'") == 1


def test_bad_requests_are_rejected_before_any_work(tmp_path: Path) -> None:
    synth = Synthesizer({"en": VoiceSpec("en-us")}, tmp_path)
    with pytest.raises(ValueError):
        synth.cached("hello", "en", 4000)
    with pytest.raises(ValueError):
        synth.cached("x" * 6000, "en", 8000)
    with pytest.raises(ValueError):
        Synthesizer({}, tmp_path)
    assert synth.cached("hello", "en", 8000) is None
    assert synth.worker_requests == 0
