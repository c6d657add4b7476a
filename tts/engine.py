"""The pyttsx3/espeak-ng engine as used inside the worker process (blocking, not thread-safe)."""

from __future__ import annotations

import os
from typing import Any

from tts.errors import TtsError
from tts.protocol import VoiceInfo

ENGINE_NAME = "pyttsx3-espeak"
MISSING_HINT = "install the Debian package espeak-ng (apt-get install espeak-ng) and the pip package pyttsx3"
MIN_WPM, MAX_WPM = 80, 450


class Pyttsx3Engine:
    """pyttsx3 on espeak-ng: one instance per process, one request at a time."""

    def __init__(self) -> None:
        try:
            import pyttsx3  # noqa: PLC0415 - imported here so a missing engine is a clean TtsError

            self._engine: Any = pyttsx3.init("espeak")
            self._voices = tuple(_voice_info(v) for v in self._engine.getProperty("voices"))
        except Exception as exc:  # pyttsx3 raises RuntimeError/OSError/ImportError when espeak-ng is absent
            raise TtsError(f"cannot start pyttsx3 on espeak-ng ({exc}); {MISSING_HINT}") from exc

    def voices(self) -> tuple[VoiceInfo, ...]:
        """Every voice espeak-ng offers."""
        return self._voices

    def resolve_voice(self, voice: str) -> str:
        """Map a voice id, file name ('en-us'), display name or language code to an espeak voice id."""
        base, _, variant = voice.partition("+")
        wanted = base.strip().lower()
        for match in (
            lambda v: v.id == wanted,
            lambda v: v.id.rsplit("/", 1)[-1] == wanted,
            lambda v: v.name.lower() == wanted,
            lambda v: wanted in (lang.lower() for lang in v.languages),
        ):
            found = next((v.id for v in self._voices if match(v)), None)
            if found is not None:
                return f"{found}+{variant}" if variant else found
        # espeak silently keeps the previous voice for unknown names, so refuse them here
        raise TtsError(f"unknown espeak-ng voice {voice!r}")

    def synthesize_to_file(self, text: str, voice: str, rate_wpm: int, path: str) -> None:
        """Speak `text` into a 22050 Hz mono 16-bit WAV file at `path`."""
        if not MIN_WPM <= rate_wpm <= MAX_WPM:
            raise TtsError(f"rate_wpm {rate_wpm} outside {MIN_WPM}..{MAX_WPM}")
        self._engine.setProperty("voice", self.resolve_voice(voice))
        self._engine.setProperty("rate", rate_wpm)
        self._engine.save_to_file(text, path)
        self._engine.runAndWait()
        if not os.path.exists(path):
            raise TtsError("espeak-ng produced no audio file")


def _voice_info(voice: Any) -> VoiceInfo:
    """Copy a pyttsx3 Voice into our plain dataclass."""
    languages = tuple(str(lang) for lang in (voice.languages or ()))
    return VoiceInfo(id=str(voice.id), name=str(voice.name), languages=languages)
