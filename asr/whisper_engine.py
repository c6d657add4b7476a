"""faster-whisper utterance recognition: streams buffer the turn, finish() decodes it in a worker process.

Whisper has no partials and no grammars. A grammar is still useful for closed questions (yes/no): the
free text result is snapped to the most similar phrase when it is close enough, otherwise it is kept as
heard so the dialogue can reprompt. Hints (words the current step expects) go into the decoder prompt
(see asr.whisper_decode). Decoding runs in the engine's
`WhisperPool` (asr.pool): one model per worker process, sized windows (asr.whisper_decode).
"""

from __future__ import annotations

import asyncio
import dataclasses
import difflib
from collections.abc import Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from asr.engine import Alternative, ModelLoadError, Transcript, Word
from asr.errors import RecognizerUsageError
from asr.models import WHISPER_HINT, bundled_whisper_model, resolve_whisper_model, validate_whisper_model_dir
from asr.registry import EngineSpec, register
from asr.sounds_like import SoundsLike, near_misses
from asr.vad import VoiceActivity
from asr.wer import normalize

WHISPER_RATE = 16000
# Bounds memory (about 2 MB at 8 kHz); the endpointer cuts a caller's turn long before this, and
# longer audio is still decoded window by window (the longest Asterisk prompt is 73 s).
MAX_UTTERANCE_SECONDS = 120.0
SNAP_MIN_RATIO = 0.6
# A prompt of hint words can make tiny.en stop after a word or two of a long turn: "Rather than go through
# all that, could you put me straight through to a person?" came out as "No," with the yes/no step's
# hints. A turn with at least this much speech and fewer words per second of it is decoded again without
# hints; the second reading is kept when it has at least RETRY_MIN_WORDS and twice the words.
CUT_SHORT_SPEECH_SECONDS = 2.0
CUT_SHORT_WORDS_PER_SECOND = 0.6
RETRY_MIN_WORDS = 4


def snap_to_grammar(text: str, grammar: Sequence[str], min_ratio: float = SNAP_MIN_RATIO) -> str | None:
    """The grammar phrase heard in text, or the most similar one, or None when none is close enough.

    A phrase whose words occur as one run in the heard words wins ("yes please" -> "yes"), unless
    another phrase outside it was heard too ("yes no" -> None); with none heard, the spelling closest by
    difflib ratio wins if it reaches min_ratio.
    """
    heard_words = normalize(text)
    if not heard_words:
        return None
    contained = sorted((p for p in grammar if _contains(heard_words, normalize(p))), key=lambda p: -len(p))
    if contained:
        longest = normalize(contained[0])
        # "speak to an agent" also contains "agent": fine; "yes ... no" is ambiguous: no snap
        return contained[0] if all(_contains(longest, normalize(p)) for p in contained) else None
    heard = " ".join(heard_words)
    best, best_ratio = None, 0.0
    for phrase in grammar:
        ratio = difflib.SequenceMatcher(None, heard, " ".join(normalize(phrase))).ratio()
        if ratio > best_ratio:
            best, best_ratio = phrase, ratio
    return best if best_ratio >= min_ratio else None


def cut_short(text: str, pcm: bytes, rate: int) -> bool:
    """The transcript has far fewer words than the speech in `pcm` would hold (see CUT_SHORT_*)."""
    if rate not in (8000, 16000, 32000, 48000):
        return False  # webrtcvad's rates; other rates are resampled telephony we do not second-guess
    if _words(text) >= CUT_SHORT_WORDS_PER_SECOND * len(pcm) / 2 / rate:
        return False  # enough words for all of the audio, speech or not: no VAD pass needed
    vad = VoiceActivity(rate, min_dbfs=None)
    speech = sum(voiced for _, voiced in vad.classify(pcm)) * vad.frame_seconds
    return speech >= CUT_SHORT_SPEECH_SECONDS and _words(text) < CUT_SHORT_WORDS_PER_SECOND * speech


def _words(text: str) -> int:
    return len(normalize(text))


def _contains(words: list[str], phrase: list[str]) -> bool:
    """True when phrase occurs as a contiguous run of words."""
    n = len(phrase)
    return n > 0 and any(words[i : i + n] == phrase for i in range(len(words) - n + 1))


class WhisperEngine:
    """A Whisper model (CTranslate2) loaded in each worker process of its pool; decodes whole utterances."""

    name = "whisper"
    streaming = False

    def __init__(
        self,
        model_path: Path | str | None = None,
        *,
        compute_type: str = "int8",
        workers: int | None = None,
        threads: int | None = None,
        language: str = "en",
        min_frames: int | None = None,
        nice: int | None = None,
        beam_size: int | None = None,
        alternatives: int | None = None,
        beam_text: bool = True,
        sounds_like: str = "auto",
    ):
        from asr.pool import WORKER_NICE, WhisperPool

        path = model_path if model_path is not None else bundled_whisper_model()
        if path is None:
            raise ModelLoadError(None, "no Whisper model given and none bundled", WHISPER_HINT)
        self.model_path = validate_whisper_model_dir(Path(path))
        self.language = language
        self.sounds_like = near_misses(sounds_like, self.model_path, language)
        try:
            self.pool: WhisperPool | None = WhisperPool(
                self.model_path,
                workers=workers,
                threads=threads or 1,
                compute_type=compute_type,
                language=language,
                min_frames=min_frames,
                nice=WORKER_NICE if nice is None else nice,
                beam_size=beam_size,
                alternatives=alternatives,
                beam_text=beam_text,
            )
        except (BrokenProcessPool, RuntimeError, ValueError, OSError) as exc:
            raise ModelLoadError(
                self.model_path, f"faster-whisper could not load it: {exc}", WHISPER_HINT
            ) from exc
        self.load = self.pool.load

    def new_stream(
        self, rate: int, *, grammar: Sequence[str] | None = None, hints: Sequence[str] | None = None
    ) -> WhisperStream:
        """Open a buffering stream: hints prompt the decoder, results snap to the grammar."""
        if not 4000 <= rate <= 48000:
            raise RecognizerUsageError(f"unsupported sample rate {rate}")
        if self.pool is None:
            raise RecognizerUsageError("WhisperEngine is closed")
        # Only hints prompt the decoder: a grammar lists every answer (ten digit words...), and a prompt of
        # those makes tiny.en repeat them ("one two three four five six" came out as 10 digits).
        grammar, hints = tuple(grammar) if grammar else None, tuple(hints) if hints else None
        return WhisperStream(self, rate, grammar, hints, self.sounds_like)

    async def decode(self, pcm: bytes, rate: int, hints: Sequence[str] | None) -> Transcript:
        """Decode one utterance of 16-bit mono PCM in a worker process."""
        if self.pool is None:
            raise RecognizerUsageError("WhisperEngine is closed")
        audio_seconds = len(pcm) // 2 / rate
        result = await self.pool.decode(pcm, rate, hints)
        return Transcript(
            result.text,
            result.confidence,
            result.words,
            "whisper",
            audio_seconds,
            result.decode_seconds,
            cpu_seconds=result.cpu_seconds,
            queue_seconds=result.queue_seconds,
            alternatives=result.alternatives,
        )

    def close(self) -> None:
        """Stop the worker processes."""
        pool, self.pool = self.pool, None
        if pool is not None:
            pool.close()


class WhisperStream:
    """Buffers one utterance of caller audio; finish() decodes it."""

    def __init__(
        self,
        engine: WhisperEngine,
        rate: int,
        grammar: tuple[str, ...] | None,
        hints: tuple[str, ...] | None,
        sounds_like: SoundsLike | None = None,
    ):
        self._engine, self._rate, self._grammar, self._hints = engine, rate, grammar, hints
        self._sounds_like = sounds_like  # the recogniser's near misses, added as alternatives
        self._buffer = bytearray()
        self._cap = int(MAX_UTTERANCE_SECONDS * rate) * 2
        self._closed = False
        self._lock = asyncio.Lock()
        self.dropped_bytes = 0  # audio past the cap, counted rather than silently lost

    async def feed(self, pcm: bytes) -> None:
        """Buffer 16-bit mono PCM (up to MAX_UTTERANCE_SECONDS); Whisper gives no partials."""
        self._check_open()
        room = self._cap - len(self._buffer)
        self._buffer += pcm[: max(room, 0)]
        self.dropped_bytes += max(len(pcm) - max(room, 0), 0)
        return None

    async def finish(self) -> Transcript:
        """Decode the buffered utterance in a worker and start a new one."""
        self._check_open()
        pcm, self._buffer = bytes(self._buffer), bytearray()
        if len(pcm) < 2:
            return Transcript("", 0.0, (), "whisper", len(pcm) // 2 / self._rate, 0.0)
        async with self._lock:  # one decode at a time per stream
            transcript = await self._engine.decode(pcm, self._rate, self._hints)
            if self._hints and cut_short(transcript.text, pcm, self._rate):
                again = await self._engine.decode(pcm, self._rate, None)
                if _words(again.text) >= max(RETRY_MIN_WORDS, 2 * _words(transcript.text)):
                    transcript = again
        if self._grammar:
            text, words = self._snap(transcript.text, transcript.words)
            others = [Alternative(self._snap(a.text, ())[0], a.confidence) for a in transcript.alternatives]
            alternatives = tuple(a for a in others if a.text != text)
            transcript = dataclasses.replace(transcript, text=text, words=words, alternatives=alternatives)
        return self._sounds_like.extend(transcript) if self._sounds_like is not None else transcript

    def close(self) -> None:
        """Drop buffered audio; later feeds raise RecognizerUsageError."""
        self._closed = True
        self._buffer = bytearray()

    def _snap(self, text: str, words: tuple[Word, ...]) -> tuple[str, tuple[Word, ...]]:
        """Replace a near-miss by its grammar phrase, as one word spanning what was heard."""
        phrase = snap_to_grammar(text, self._grammar or ())
        if phrase is None or not words:
            return (phrase or text), words
        confidence = sum(w.confidence for w in words) / len(words)
        return phrase, (Word(phrase, words[0].start, words[-1].end, confidence),)

    def _check_open(self) -> None:
        """Using a closed stream is our bug."""
        if self._closed:
            raise RecognizerUsageError("recognizer stream is closed")


@dataclass(frozen=True, slots=True)
class WhisperOptions:
    """The `asr:` settings Whisper takes: its worker processes, their threads and nice value, its n-best."""

    workers: int | None = None
    threads: int | None = None
    nice: int | None = None
    beam_size: int | None = None
    alternatives: int | None = None
    beam_text: bool = True
    sounds_like: str = "auto"


def _build(model_path: Path, options: WhisperOptions) -> WhisperEngine:
    """The registry's factory."""
    return WhisperEngine(
        model_path,
        workers=options.workers,
        threads=options.threads,
        nice=options.nice,
        beam_size=options.beam_size,
        alternatives=options.alternatives,
        beam_text=options.beam_text,
        sounds_like=options.sounds_like,
    )


SPEC = register(
    EngineSpec("whisper", streams=False, options=WhisperOptions, resolve=resolve_whisper_model, build=_build)
)
