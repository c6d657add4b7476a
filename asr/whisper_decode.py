"""Whisper decoding sized to the utterance, straight through CTranslate2 (`WhisperModel.model`).

How this works
--------------
faster-whisper pads every input to 30 s (3000 mel frames) before the encoder, so a 2-second "I want a
refund" costs as much encoder work as 30 s of speech. CTranslate2 accepts shorter inputs; this module
computes the log-mel features of the utterance, pads them to a window of `max(min_frames, frames +
margin)` frames (even, capped at 3000; min_frames 1500 by default, see MIN_WINDOW_FRAMES for why),
encodes once and runs one greedy `generate()` for the text; with `alternatives`, a second pass over the
same encoder output, a beam search of `beam_size`, gives the n-best alternatives (`n_best`). The text
stays greedy: on the Allison corpus the beam's best has a higher WER (6.61 % against 6.48 %, single
words written differently: "100." for "hundred", "Pass word."), while callers' near misses ("so hungry"
for "so angry") have what was said among the beam's hypotheses. With `beam_text` the beam's best is the
text and one pass does both (fewer caller turns misheard on the dialogue evaluation set, see README.md,
"N-best"). Every pass:

* no timestamps, temperature 0, no fallback retries: one pass, a bounded cost per utterance;
* `max_new_tokens` grows with the utterance (about 6 tokens per second of audio, the fastest speech
  is ~4 words per second), so a looping decoder stops early instead of filling 224 tokens;
* speech that starts at the first sample gets silence before it, as the endpointer's pre-roll would
  have given (`with_lead_in`);
* a repeated-phrase collapse removes the loops a short window can still cause ("yes yes yes yes");
* a text with more words than the voiced span can hold (`too_fast`) is a loop that starts the turn over
  ("one two three four five six" heard "... five, six, one, two, three, four" on some CPUs): the
  utterance is decoded again in a full 30 s window, as faster-whisper would, and if that loops too the
  restart is cut (`cut_restart`); alternatives that are too fast are dropped;
* the confidence is exp(average token log-probability), the same for each n-best alternative (CTranslate2
  ranks and scores beam hypotheses by that average, length_penalty 1); alternatives whose words are the
  same as the text's or a better alternative's (punctuation, case) are dropped;
* word times are spread over the voiced span (by characters), as `Word` is part of `Transcript` but
  nothing downstream needs aligned times, and the alignment pass would cost 2.5x and hurt accuracy.

Hints (words or phrases the dialogue expects) become the decoder prompt after `<|startofprev|>`, most
important first, never more than `HINT_TOKEN_BUDGET` tokens. Audio longer than 30 s (never a caller's
turn: the endpointer cuts at 20 s) is decoded 30 s at a time.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from asr.engine import Alternative, Recognised, Word

SAMPLE_RATE = 16000
HOP = 160  # samples per mel frame (10 ms)
MAX_FRAMES = 3000  # Whisper's 30 s input
# Chosen with tests/bench/bench_asr.py on the whole Allison corpus (tiny.en int8, worker CPU time):
# 3000 frames (faster-whisper) WER 6.20 %, 0.41 core-s per utterance; 1500: 6.48 %, 0.16; 1200: 6.58 %,
# 0.13; 1000: more errors still, and on exact digital silence around a short utterance it loops ("1 2 3 4
# 5 6 1 2 3"), which 1500 does not. 1500 keeps the WER under 6.5 % at 2.5x less CPU than 3000.
MIN_WINDOW_FRAMES = 1500
WINDOW_MARGIN_FRAMES = 200
HINT_TOKEN_BUDGET = 60
TOKENS_PER_SECOND = 6
MIN_NEW_TOKENS = 16
MAX_NEW_TOKENS = 224  # half of Whisper's 448-token context, as faster-whisper allows
VOICED_DBFS_BELOW_PEAK = 35.0
# n-best: README.md, "N-best", says what these cost and bring (asr: beam_size, alternatives, beam_text)
BEAM_SIZE = 5
ALTERNATIVES = 4
NO_SPEECH_PROB, NO_SPEECH_LOGPROB = 0.6, -1.0  # faster-whisper's defaults
LEAD_IN_S = 0.3  # unvoiced audio before the speech, as the endpointer's pre-roll (asr/endpointer.py)
# Fast speech is about 4 words a second (digits included); a decode with more than this is a loop.
MAX_WORDS_PER_SECOND = 4.5


@dataclass(frozen=True, slots=True)
class Decoded(Recognised):
    """The text of one utterance, its confidence, its spread-out word times and the window it took."""

    window_frames: int
    alternatives: tuple[Alternative, ...] = ()


def window_frames(
    frames: int, min_frames: int = MIN_WINDOW_FRAMES, margin: int = WINDOW_MARGIN_FRAMES
) -> int:
    """Encoder input length for an utterance of `frames` mel frames: even, within [min_frames, 3000]."""
    size = min(MAX_FRAMES, max(min_frames, frames + margin))
    return size + size % 2  # the encoder's stride-2 convolution wants an even length


def max_new_tokens(seconds: float) -> int:
    """Tokens the decoder may produce for this much audio."""
    return max(MIN_NEW_TOKENS, min(MAX_NEW_TOKENS, math.ceil(seconds * TOKENS_PER_SECOND) + MIN_NEW_TOKENS))


def hint_tokens(encode, hints: Sequence[str] | None, budget: int = HINT_TOKEN_BUDGET) -> list[int]:
    """Token ids of the hints in order of importance, as many whole hints as fit in `budget` tokens.

    `encode` is the tokenizer's text -> ids. A hint that does not fit is skipped, so a later, shorter
    one may still go in; the list never exceeds the budget whatever the hints are. The list is written
    as one sentence ("Yes, no, agent, refund."): ended, the turn starts a sentence of its own instead of
    going on with the list ("and it's ...", every word after a comma); dev split end to end, intent
    accuracy 85.0 -> 85.5 %, outcome 77.0 -> 78.0 %.
    """
    tokens: list[int] = []
    seen: set[str] = set()
    end = encode(".")
    for hint in hints or ():
        phrase = " ".join(str(hint).split())
        if not phrase or phrase.lower() in seen:
            continue
        ids = encode(", " + phrase if tokens else " " + phrase[0].upper() + phrase[1:])
        if len(tokens) + len(ids) + len(end) <= budget:
            tokens += ids
            seen.add(phrase.lower())
    return tokens + end if tokens else tokens


_WORD = re.compile(r"\S+")
_DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_DIGIT_WORDS = frozenset((*_DIGITS, "oh", "o", "double", "triple"))
# Digits repeat in real numbers ("five five five", "one two one two"): only a longer run is a loop, and
# a number said twice over is left to the dialogue, which knows how long the step's number is.
DIGIT_LOOP = 5


def _repeats_itself(keys: list[str]) -> bool:
    """The phrase is a shorter phrase said over ("seven seven", "yes no yes no")."""
    n = len(keys)
    return any(n % size == 0 and keys == keys[:size] * (n // size) for size in range(1, n // 2 + 1))


def _digits(keys: list[str]) -> bool:
    """Every word is a digit (said or written)."""
    return all(k in _DIGIT_WORDS or k.isdigit() for k in keys)


def collapse_repeats(text: str) -> str:
    """Drop decoder loops: a phrase of 1-2 words said 3+ times in a row, or of 3+ words said 2+ times, once
    (digits: `DIGIT_LOOP` times).

    Compared without case and punctuation, so "Yes. Yes. Yes." becomes "Yes.". Two short repeats
    ("thank you thank you", "no no") are kept: people say those.
    """
    words = _WORD.findall(text)
    keys = [re.sub(r"[^\w']", "", w.lower()) for w in words]
    for n in range(min(12, len(keys) // 2), 0, -1):  # longest phrases first: a looped sentence goes whole
        need = 2 if n >= 3 else 3
        i = 0
        while i + n * need <= len(keys):
            copies = 1
            while keys[i + copies * n : i + (copies + 1) * n] == keys[i : i + n]:
                copies += 1
            phrase = keys[i : i + n]
            # a phrase that is itself a repeat ("seven seven") is left to its shorter self, so a loop of
            # one digit goes whole
            looped = copies >= need and (copies >= DIGIT_LOOP or not _digits(phrase))
            if looped and not _repeats_itself(phrase):
                del words[i + n : i + copies * n], keys[i + n : i + copies * n]
            i += 1
    return " ".join(words)


def too_fast(text: str, seconds: float | None) -> bool:
    """More words than anyone says in `seconds` of voiced audio (one word of slack); None: unknown."""
    return seconds is not None and len(re.findall(r"[\w']+", text)) > MAX_WORDS_PER_SECOND * seconds + 1


def cut_restart(text: str) -> str:
    """The text without a tail of 3+ words that starts it over ("1 2 3 4 5 6 1 2 3 4" -> "1 2 3 4 5 6")."""
    words = _WORD.findall(text)
    keys = [re.sub(r"[^\w']", "", w.lower()) for w in words]
    for start in range(3, len(keys) - 2):
        tail = keys[start:]
        if tail == keys[: len(tail)]:
            return " ".join(words[:start]).rstrip(",;")
    return text


def n_best(
    hypotheses: Sequence[tuple[str, float]], limit: int, seconds: float | None = None
) -> tuple[Alternative, ...]:
    """Up to `limit` alternatives to the first hypothesis: (text, average log-probability) in rank order.

    Each is cleaned as the best one is (loops collapsed); one whose words, without case and
    punctuation, equal those of a better hypothesis, that has no word at all, or that has more words
    than `seconds` of speech can hold, is left out.
    """
    seen: set[tuple[str, ...]] = set()
    out: list[Alternative] = []
    for rank, (text, logprob) in enumerate(hypotheses):
        text = collapse_repeats(text.strip())
        key = tuple(re.findall(r"[\w']+", text.lower()))
        if key in seen or not key or (rank > 0 and too_fast(text, seconds)):
            continue
        seen.add(key)
        if rank > 0 and len(out) < limit:
            out.append(Alternative(text, math.exp(logprob)))
    return tuple(out)


def voiced_span(audio: np.ndarray, frame: int = 320) -> tuple[float, float]:
    """Seconds of the first and last 20 ms frame within 35 dB of the loudest (the whole audio if silent)."""
    n = audio.size // frame
    if n == 0:
        return 0.0, audio.size / SAMPLE_RATE
    energy = np.sqrt(np.mean(audio[: n * frame].reshape(n, frame) ** 2, axis=1)) + 1e-9
    level = 20 * np.log10(energy)
    voiced = np.flatnonzero(level >= level.max() - VOICED_DBFS_BELOW_PEAK)
    return voiced[0] * frame / SAMPLE_RATE, (voiced[-1] + 1) * frame / SAMPLE_RATE


def with_lead_in(audio: np.ndarray, voiced_from: float) -> np.ndarray:
    """The audio with silence before it, so that its first voiced frame is LEAD_IN_S in (as a call's is).

    The endpointer keeps this much audio before the speech (its pre-roll); speech that starts at the
    first sample (a test's synthesised turn, a barge-in at the start of a stream) lost its first words
    ("this is ridiculous" heard "and it's been really good"): on the dialogue set's dev split, end to
    end, intent accuracy went from 83.7 to 84.9 %. Never past one 30 s window, which would leave a
    tiny second window to decode alone.
    """
    missing = min(round((LEAD_IN_S - voiced_from) * SAMPLE_RATE), MAX_FRAMES * HOP - audio.size)
    return np.concatenate([np.zeros(missing, dtype=np.float32), audio]) if missing > 0 else audio


def spread_words(text: str, start: float, end: float, confidence: float) -> tuple[Word, ...]:
    """Words of `text` with times shared out over [start, end] by their length in characters."""
    words = _WORD.findall(text)
    total = sum(len(w) for w in words)
    if not total:
        return ()
    out, at, per_char = [], start, (end - start) / total
    for word in words:
        out.append(Word(word, round(at, 3), round(at + len(word) * per_char, 3), confidence))
        at += len(word) * per_char
    return tuple(out)


class WindowDecoder:
    """Timestamp-free Whisper decoding of one utterance on a loaded faster-whisper model (greedy or beam)."""

    def __init__(
        self,
        model,
        *,
        language: str = "en",
        min_frames: int = MIN_WINDOW_FRAMES,
        margin: int = WINDOW_MARGIN_FRAMES,
        beam_size: int = BEAM_SIZE,
        alternatives: int = ALTERNATIVES,
        beam_text: bool = True,
    ) -> None:
        from faster_whisper.tokenizer import Tokenizer

        self._model = model  # faster_whisper.WhisperModel
        self._full: WindowDecoder | None = None  # the same in a 30 s window, for decodes that loop
        self.min_frames, self.margin = min_frames, margin
        # n alternatives need n + 1 hypotheses out of the beam; a greedy decode has only one
        self.beam_size = max(1, beam_size, alternatives + 1 if beam_size > 1 else 1)
        self.alternatives = alternatives if self.beam_size > 1 else 0
        self.beam_text = beam_text and self.beam_size > 1  # the text from the beam, not a greedy pass
        multilingual = model.model.is_multilingual
        self._tokenizer = Tokenizer(
            model.hf_tokenizer, multilingual, task="transcribe", language=language if multilingual else None
        )
        tok = self._tokenizer
        self._suppress = sorted(
            {
                *tok.non_speech_tokens,
                tok.transcribe,
                tok.translate,
                tok.sot,
                tok.sot_prev,
                tok.sot_lm,
                tok.no_speech,
            }
        )

    def prompt(self, hints: Sequence[str] | None = None) -> list[int]:
        """The decoder prompt: hints after <|startofprev|>, then the start sequence without timestamps."""
        tok = self._tokenizer
        prev = hint_tokens(tok.encode, hints)
        return [*([tok.sot_prev, *prev] if prev else []), *tok.sot_sequence, tok.no_timestamps]

    def _generate(self, encoded, prompt: list[int], frames: int, beam_size: int, hypotheses: int):
        """One decoder pass over the encoded window: the `hypotheses` best of a beam (1: greedy)."""
        return self._model.model.generate(
            encoded,
            [prompt],
            beam_size=beam_size,
            num_hypotheses=hypotheses,
            max_length=len(prompt) + max_new_tokens(frames / 100),
            return_scores=True,
            return_no_speech_prob=True,
            suppress_blank=True,
            suppress_tokens=self._suppress,
        )[0]

    def decode(
        self, audio: np.ndarray, hints: Sequence[str] | None = None, *, alternatives: bool = True
    ) -> Decoded:
        """Blocking: text, confidence and words of 16 kHz float32 audio (`alternatives=False`: no n-best,
        and a greedy text even with `beam_text`: the decoders are busy, the cheaper pass keeps latency)."""
        import ctranslate2

        start, end = voiced_span(audio)
        features = self._model.feature_extractor(with_lead_in(audio, start))[..., :-1]  # last frame: past it
        # Alternatives only for a turn of one window (a longer one's are not used), and the beam's text too
        # (over 30 s, never a caller's turn, each window would pay for it)
        single = features.shape[-1] <= MAX_FRAMES
        from_beam = self.beam_text and alternatives and single
        prompt = self.prompt(hints)
        texts, logprobs, window = [], [], 0
        hypotheses: list[tuple[str, float]] = []
        for first in range(0, max(features.shape[-1], 1), MAX_FRAMES):
            part = features[..., first : first + MAX_FRAMES]
            window = window_frames(part.shape[-1], self.min_frames, self.margin)
            padded = np.zeros((1, part.shape[0], window), dtype=np.float32)
            padded[0, :, : part.shape[-1]] = part
            encoded = self._model.model.encode(ctranslate2.StorageView.from_array(padded))
            if from_beam:  # one beam pass gives the text and the alternatives
                result = self._generate(
                    encoded, prompt, part.shape[-1], self.beam_size, self.alternatives + 1
                )
            else:
                result = self._generate(encoded, prompt, part.shape[-1], beam_size=1, hypotheses=1)
            tokens = result.sequences_ids[0]
            logprob = _average_logprob(tokens, result.scores[0])
            if result.no_speech_prob > NO_SPEECH_PROB and logprob < NO_SPEECH_LOGPROB:
                continue  # silence or noise: faster-whisper's rule for skipping a window
            texts.append(self._tokenizer.decode(tokens).strip())
            logprobs.append(logprob)
            # the beam pass is skipped when not wanted, unless it gave the text
            if first == 0 and self.alternatives and ((alternatives and single) or from_beam):
                beam = (
                    result
                    if from_beam
                    else self._generate(
                        encoded, prompt, part.shape[-1], self.beam_size, self.alternatives + 1
                    )
                )
                hypotheses = [
                    (texts[-1], logprob),
                    *(
                        (self._tokenizer.decode(ids), _average_logprob(ids, score))
                        for ids, score in zip(beam.sequences_ids, beam.scores, strict=True)
                    ),
                ]
        text = collapse_repeats(" ".join(t for t in texts if t))
        if not re.search(r"\w", text):  # a lone "." or "..." is what Whisper says for silence
            text = ""
        confidence = math.exp(sum(logprobs) / len(logprobs)) if text else 0.0
        many = features.shape[-1] > MAX_FRAMES
        if too_fast(text, end - start) and not many:
            if self.min_frames < MAX_FRAMES:  # a loop: a full window, as faster-whisper decodes, once
                return self._full_window().decode(audio, hints, alternatives=alternatives)
            text = cut_restart(text)
        alternatives = n_best(hypotheses, self.alternatives, end - start) if text and not many else ()
        return Decoded(text, confidence, spread_words(text, start, end, confidence), window, alternatives)

    def _full_window(self) -> WindowDecoder:
        """This decoder with a 30 s window (built on first need, sharing the model)."""
        if self._full is None:
            self._full = copy.copy(self)
            self._full.min_frames = MAX_FRAMES
        return self._full


def _average_logprob(tokens: Sequence[int], score: float) -> float:
    """CTranslate2's score is the summed log-probability over the length; faster-whisper divides by n+1."""
    return score * len(tokens) / (len(tokens) + 1) if tokens else -10.0


def resample(pcm: bytes, rate: int, to_rate: int = SAMPLE_RATE) -> np.ndarray:
    """16-bit mono PCM at `rate` as float32 samples in [-1, 1) at `to_rate` (band-limited FFT resampling)."""
    samples = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype="<i2").astype(np.float32) / 32768.0
    if rate == to_rate or samples.size == 0:
        return samples
    out_len = max(1, round(samples.size * to_rate / rate))
    spectrum = np.fft.rfft(samples)
    # irfft with a longer output zero-pads the spectrum (ideal upsampling); shorter truncates (ideal lowpass)
    return (np.fft.irfft(spectrum, out_len) * (out_len / samples.size)).astype(np.float32)
