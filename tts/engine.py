"""The pyttsx3/espeak-ng engine as used inside the worker process (blocking, not thread-safe)."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable
from typing import Any

from tts.errors import TtsError
from tts.protocol import VoiceInfo
from tts.registry import TtsEngineSpec, register

ENGINE_NAME = "pyttsx3-espeak"
MISSING_HINT = "install the Debian package espeak-ng (apt-get install espeak-ng) and the pip package pyttsx3"
MIN_WPM, MAX_WPM = 80, 450
FINISH_WAIT = 60.0  # the parent's request timeout normally fires first and kills the worker
WAV_HEADER_BYTES = 44  # a RIFF/WAVE header with no samples after it
EMBEDDED = "\x01"  # starts an espeak embedded command, e.g. "\x01160S" = speak at 160 words per minute
CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class Pyttsx3Engine:
    """pyttsx3 on espeak-ng: one instance per process, one request at a time."""

    def __init__(self) -> None:
        try:
            import pyttsx3  # imported here so a missing engine becomes a clean TtsError

            self._engine: Any = pyttsx3.init("espeak")
            self._voices = tuple(_voice_info(v) for v in self._engine.getProperty("voices"))
        except Exception as exc:  # pyttsx3 raises RuntimeError/OSError/ImportError when espeak-ng is absent
            raise TtsError(f"cannot start pyttsx3 on espeak-ng ({exc}); {MISSING_HINT}") from exc
        # espeak runs in retrieval mode: audio arrives on espeak's own thread, and pyttsx3 2.99's
        # runAndWait() can return before the WAV is written (always possible on the first call).
        # So completion is taken from the 'finished-utterance' notification instead.
        self._finished = threading.Event()
        self._error: Exception | None = None
        self._engine.connect("finished-utterance", self._on_finished)
        self._engine.connect("error", self._on_error)

    def voices(self) -> tuple[VoiceInfo, ...]:
        """Every voice espeak-ng offers."""
        return self._voices

    def resolve_voice(self, voice: str) -> str:
        """The espeak voice id for `voice`; TtsError if espeak-ng has no such voice."""
        found = match_voice(self._voices, voice)
        if found is None:
            # espeak silently keeps the previous voice for unknown names, so refuse them here
            raise TtsError(f"unknown espeak-ng voice {voice!r}")
        return found

    def synthesize_to_file(self, text: str, voice: str, rate_wpm: int, path: str) -> None:
        """Speak `text` into a 22050 Hz mono 16-bit WAV file at `path`."""
        if not MIN_WPM <= rate_wpm <= MAX_WPM:
            raise TtsError(f"rate_wpm {rate_wpm} outside {MIN_WPM}..{MAX_WPM}")
        self._engine.setProperty("voice", self.resolve_voice(voice))
        self._engine.setProperty("rate", rate_wpm)
        # pyttsx3 sets the rate through espeak's asynchronous command queue, and a rate change can
        # reach the synthesis late or never (a worker kept speaking at its previous rate). espeak's
        # embedded speed command travels with the text itself, so every utterance has its own rate.
        text = f"{EMBEDDED}{rate_wpm}S {without_controls(text)}"
        # Under load espeak's driver has been seen to signal the end before any sample reached the
        # file: one retry turns that glitch into a normal result instead of a silent prompt.
        for attempt in (1, 2):
            self._speak_once(text, path)
            if os.path.getsize(path) > WAV_HEADER_BYTES or attempt == 2:
                break
        if os.path.getsize(path) <= WAV_HEADER_BYTES:
            raise TtsError("espeak-ng wrote a WAV file without audio")

    def _speak_once(self, text: str, path: str) -> None:
        """One save_to_file + runAndWait round, waiting for espeak's own end notification."""
        self._finished.clear()
        self._error = None
        self._engine.save_to_file(text, path)
        self._engine.runAndWait()
        if not self._finished.wait(FINISH_WAIT):
            raise TtsError(f"espeak-ng did not finish within {FINISH_WAIT:g}s")
        if self._error is not None:
            raise TtsError(f"espeak-ng failed: {self._error}")
        if not os.path.exists(path):
            raise TtsError("espeak-ng produced no audio file")

    def self_test(self, path: str) -> None:
        """Synthesise one word, so start-up fails early and the first real request runs warm."""
        self.synthesize_to_file("ready", self._voices[0].id if self._voices else "en", 175, path)
        os.unlink(path)

    def _on_finished(self, **event: Any) -> None:
        """pyttsx3 callback (espeak's thread): an utterance ended; completed=False means cancelled."""
        if event.get("completed", True):
            self._finished.set()

    def _on_error(self, **event: Any) -> None:
        """pyttsx3 callback: remember the engine's exception and wake the waiter."""
        self._error = event.get("exception") or RuntimeError("unknown engine error")
        self._finished.set()


def match_voice(voices: Iterable[VoiceInfo], voice: str) -> str | None:
    """Map a voice id, file name ('en-us'), display name or language code ('ko') to an espeak id."""
    base, _, variant = voice.partition("+")
    wanted = base.strip().lower()
    voices = tuple(voices)
    for match in (
        lambda v: v.id == wanted,
        lambda v: v.id.rsplit("/", 1)[-1] == wanted,
        lambda v: v.name.lower() == wanted,
        lambda v: wanted in (lang.lower() for lang in v.languages),
    ):
        found = next((v.id for v in voices if match(v)), None)
        if found is not None:
            return f"{found}+{variant}" if variant else found
    return None


def _voice_info(voice: Any) -> VoiceInfo:
    """Copy a pyttsx3 Voice into our plain dataclass."""
    languages = tuple(str(lang) for lang in (voice.languages or ()))
    return VoiceInfo(id=str(voice.id), name=str(voice.name), languages=languages)


def without_controls(text: str) -> str:
    """`text` without control characters, so no text can carry an espeak embedded command of its own."""
    return CONTROLS.sub(" ", text)


SPEC = register(
    TtsEngineSpec(
        "pyttsx3",
        cache_name=ENGINE_NAME,
        streams=False,
        create=Pyttsx3Engine,
        min_wpm=MIN_WPM,
        max_wpm=MAX_WPM,
    )
)
