"""Real speech for ASR tests: the Asterisk core prompts (Allison, 8 kHz) and espeak-ng synthesis.

The corpus is every prompt of /usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz (Debian
package asterisk-core-sounds-en-wav) whose wav exists and whose transcript is plain text. Plain text
means: not empty and free of annotation or symbol characters ``[ ] < > ( ) { } * # @ $ = + / \\ | ~ ^ _``.
That drops sound effects ("[ascending tones]", "<beep ascending>"), stage notes ("(10 seconds of
silence)", 'IAX (note does not say "2")') and prompts whose words are spelled as symbols ("press * to
toggle", "dash [-]"), because their transcripts do not say what is spoken. Quotes, apostrophes, digits
and sentence punctuation stay: normalize() handles them.
"""

from __future__ import annotations

import gzip
import random
import re
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

SOUNDS_DIR = Path("/usr/share/asterisk/sounds/en_US_f_Allison")
TRANSCRIPTS = Path("/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz")
SAMPLE_SEED = 20240521
_NOT_PLAIN = re.compile(r"[\[\]<>(){}*#@$=+/\\|~^_]")


@dataclass(frozen=True, slots=True)
class Prompt:
    """One recorded prompt: its sound name (e.g. "digits/5"), wav file and transcript."""

    name: str
    wav_path: Path
    transcript: str


def is_plain_text(transcript: str) -> bool:
    """True when the transcript is words and punctuation only (see the module docstring)."""
    return bool(transcript.strip()) and _NOT_PLAIN.search(transcript) is None


def parse_transcripts(text: str) -> dict[str, str]:
    """`name: transcript` lines to a dict; `;` comments and blank lines skipped."""
    entries = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith(";") or ": " not in line:
            continue
        name, transcript = line.split(": ", 1)
        entries[name.strip()] = transcript.strip()
    return entries


def allison_corpus(plain_only: bool = True) -> list[Prompt]:
    """Prompts whose wav exists (and, by default, whose transcript is plain text), sorted by name."""
    entries = parse_transcripts(gzip.decompress(TRANSCRIPTS.read_bytes()).decode("utf-8", "replace"))
    prompts = []
    for name, transcript in sorted(entries.items()):
        wav = SOUNDS_DIR / f"{name}.wav"
        if wav.is_file() and (is_plain_text(transcript) or not plain_only):
            prompts.append(Prompt(name, wav, transcript))
    return prompts


def fixed_sample(n: int = 50, seed: int = SAMPLE_SEED) -> list[Prompt]:
    """A deterministic sample of n plain-text prompts (same seed, same prompts, same order)."""
    corpus = allison_corpus()
    return random.Random(seed).sample(corpus, min(n, len(corpus)))


def load_wav(path: Path) -> tuple[bytes, int]:
    """(16-bit mono PCM, sample rate) of a wav file; other formats raise ValueError."""
    with wave.open(str(path), "rb") as wav:
        if wav.getnchannels() != 1 or wav.getsampwidth() != 2:
            raise ValueError(
                f"{path}: need 16-bit mono, got {wav.getnchannels()} ch x {wav.getsampwidth()} B"
            )
        return wav.readframes(wav.getnframes()), wav.getframerate()


def espeak_pcm(text: str, voice: str, rate: int, words_per_minute: int | None = None) -> bytes:
    """Speak text with espeak-ng (at its default 175 words a minute unless given) and resample it with
    sox to 16-bit mono PCM at `rate`, the same bytes every time."""
    speed = ["-s", str(words_per_minute)] if words_per_minute else []
    spoken = subprocess.run(
        ["espeak-ng", "-v", voice, *speed, "--stdout", text], capture_output=True, check=True
    )
    converted = subprocess.run(
        [
            "sox",
            "-D",  # no dither: sox's is random, and one caller's words were heard two ways in ten runs
            "-t",
            "wav",
            "-",
            "-r",
            str(rate),
            "-c",
            "1",
            "-b",
            "16",
            "-e",
            "signed-integer",
            "-t",
            "raw",
            "-",
        ],
        input=spoken.stdout,
        capture_output=True,
        check=True,
    )
    return converted.stdout


def chunks(pcm: bytes, rate: int, ms: int = 20) -> list[bytes]:
    """Split PCM into frames of `ms` milliseconds, as AudioSocket delivers them."""
    size = rate * ms // 1000 * 2
    return [pcm[i : i + size] for i in range(0, len(pcm), size)]
