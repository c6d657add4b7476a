"""TTS engines come from tts.registry: the worker builds the one it is started with, by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from tts.client import TtsWorker
from tts.errors import TtsError
from tts.registry import engine_names, engine_spec
from tts.service import Synthesizer, VoiceSpec


def test_the_built_in_engine_declares_itself() -> None:
    spec = engine_spec("pyttsx3")
    assert engine_names() == ("pyttsx3",)
    assert (spec.cache_name, spec.streams, spec.min_wpm, spec.max_wpm) == ("pyttsx3-espeak", False, 80, 450)


def test_an_engine_nobody_registered_is_refused_before_any_process_starts(tmp_path: Path) -> None:
    with pytest.raises(TtsError, match="unknown TTS engine 'festival': choose one of pyttsx3"):
        Synthesizer({"en": VoiceSpec("en-us")}, tmp_path, engine="festival")


async def test_the_worker_process_builds_the_engine_it_was_started_with() -> None:
    unknown = TtsWorker(engine="festival")
    try:
        with pytest.raises(TtsError, match="unknown TTS engine 'festival'"):
            await unknown.start()
        assert unknown.pid is None
    finally:
        await unknown.close()
    known = TtsWorker(engine="pyttsx3")
    try:
        assert any(v.id for v in await known.voices())
    finally:
        await known.close()
