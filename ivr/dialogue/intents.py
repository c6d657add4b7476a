"""Intent matching from example phrases and keywords, fuzzy enough for ASR output, English and Chinese.

How this works: every example is split into units (words for latin script, characters for Chinese),
each weighted (function words count a quarter). An utterance scores against an example by how much of
the example's weight it covers (80 %) and how much of its own weight the example explains (20 %);
Chinese adds character-bigram overlap so word order counts. English words match exactly, by a shared
stem, or fuzzily (rapidfuzz ratio >= 0.8 for words of 4+ letters, so "operater" meets "operator"; not
a word inside a longer one, save an inflection: "personal" is not "person", "able" not "cable").
A keyword found in the utterance scores 0.9 (fuzzy English keywords a little less). An intent's
score is the best of its examples and keywords, nudged up when both agree. Ties keep the earlier intent.
Scope counts (lexicons/scope.yaml): a turn whose every sentence is a supposition ("what happens if I
pay my bill late", "will my line get blocked if I pay late") asks for nothing yet, so no intent scores
above the repair band (the bot asks or answers from the knowledge base instead of acting). A negated
keyword ("my account isn't locked") is no evidence; one that is also a word of another intent's examples
("bill" is in "there is a wrong charge on my bill") does not decide between the two: when meaning puts
that other intent nearest, the keyword is evidence meaning may overrule (against any other intent it
stays decisive, so a vague "take care of my bill" is not taken from the balance by a noisy neighbour).
With a semantic index (ivr/dialogue/semantic.py) an intent also scores by meaning: how close the
utterance is to its examples and how clearly closer than to any other intent, knowledge-base question or
built-in complaint/small-talk phrase. The intent keeps the higher of the two scores.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process

from ivr.dialogue.inner_keywords import KEYWORD_SCORE, below_their_takers, without_inner_keywords
from ivr.dialogue.semantic import SemanticIndex, blend, calibrated
from ivr.dialogue.text import (
    CLAUSE_BREAKS,
    SENTENCE_BREAKS,
    STOP_CHARS,
    STOPWORDS,
    compact,
    is_chinese,
    normalise,
    stem,
    tokens,
)

FUZZY_CUTOFF = 80.0  # rapidfuzz ratio, 0..100
FUZZY_MIN_LEN = 4  # short words differ by one letter too easily ("bill"/"bell")
# what a word may have beyond another and still be a form of it ("cancel"/"cancelled"); other letters
# before or after make another word ("person"/"personal", "able"/"cable", "charge"/"charger")
INFLECTIONS = frozenset({"s", "es", "d", "ed", "led", "ing", "ling", "ting", "ping", "n", "ment", "ments"})
FILLERS = frozenset({"um", "uh", "er", "erm", "hmm", "ah", "mm", "嗯", "呃", "啊", "哦"})
NEGATOR_REACH = 3  # words (English) or characters (Chinese) a negator may stand before the keyword
KEYWORD_GAP = 2  # other words that may stand between two words of a keyword ("account is frozen")
SUPPOSED_CAP = 0.55  # the best score of any intent in a turn that only supposes: a repair question at most


@cache
def _scope_data() -> dict:
    """lexicons/scope.yaml, read once."""
    return yaml.safe_load((Path(__file__).parent / "lexicons" / "scope.yaml").read_text("utf-8"))


@cache
def _scope_words(chinese: bool) -> tuple[tuple[str, ...], ...]:
    """(negators, conditionals, not_supposing, asking, subjects, absence) words of a language (scope.yaml)."""
    data = _scope_data()
    lang = "zh" if chinese else "en"
    return tuple(
        tuple(sorted((normalise(w, lang) for w in data[lang].get(key, [])), key=len, reverse=True))
        for key in ("negators", "conditionals", "not_supposing", "asking", "subjects", "absence")
    )


@cache
def _resigned(chinese: bool) -> tuple[str, ...]:
    """Hedges that resign rather than suppose ("I suppose I'd better ..."; scope.yaml)."""
    lang = "zh" if chinese else "en"
    return tuple(normalise(w, lang) for w in _scope_data()[lang].get("resigned", []))


@cache
def _not_by_stem() -> frozenset[str]:
    """English word forms that do not stand for their stem's words ("planning" is no plan; scope.yaml)."""
    return frozenset(normalise(w, "en") for w in _scope_data()["en"].get("not_by_stem", []))


@dataclass(frozen=True)
class IntentSpec:
    """One intent: example phrases and optional keywords whose presence is strong evidence."""

    name: str
    examples: tuple[str, ...]
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class IntentMatch:
    """The score (0..1) of one intent for an utterance, and the example or keyword that matched best."""

    intent: str
    score: float
    matched: str


@lru_cache(maxsize=8192)
def unit_weight(unit: str) -> float:
    """How much a word or character counts: fillers nothing, function words a quarter, the rest fully."""
    if unit in FILLERS:
        return 0.0
    if unit in STOPWORDS or unit in STOP_CHARS:
        return 0.25
    return 1.0


@dataclass(frozen=True)
class _Phrase:
    """A pre-tokenised example or keyword."""

    text: str
    normalised: str
    units: tuple[str, ...]
    bigrams: frozenset[str]
    unit_set: frozenset[str]
    weights: tuple[float, ...]  # unit_weight() of each unit
    weight: float  # their sum


class _Similarity:
    """Per-utterance word similarities against the matcher's vocabulary (computed once per call)."""

    def __init__(self, units: Sequence[str], vocab: Sequence[str], by_stem: dict[str, set[str]], fuzzy: bool):
        self.units = tuple(units)
        self.pairs: dict[str, dict[str, float]] = {}
        for unit in set(units):
            sims = {unit: 1.0}
            if fuzzy and unit not in _not_by_stem():  # "planning ahead" is no plan
                for word in by_stem.get(stem(unit), ()):
                    sims.setdefault(word, 0.95)
                if len(unit) >= FUZZY_MIN_LEN:
                    found = process.extract(
                        unit, vocab, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=None
                    )
                    for word, ratio, _ in found:
                        if _spelling_of(unit, word):
                            sims[word] = max(sims.get(word, 0.0), ratio / 100.0)
            self.pairs[unit] = sims
        self.best: dict[str, float] = {}
        self.reverse: dict[str, list[tuple[str, float]]] = {}  # vocabulary word -> utterance units like it
        for unit, sims in self.pairs.items():
            for word, sim in sims.items():
                self.best[word] = max(self.best.get(word, 0.0), sim)
                self.reverse.setdefault(word, []).append((unit, sim))
        self.counts = Counter(units)

    def covered(self, word: str) -> float:
        """How well the utterance contains `word` (0..1)."""
        return self.best.get(word, 0.0)

    def explained_weight(self, words: frozenset[str]) -> float:
        """The weight of the utterance's units that `words` match, each unit by its best similarity."""
        best: dict[str, float] = {}
        for word in words:
            for unit, sim in self.reverse.get(word, ()):
                if sim > best.get(unit, 0.0):
                    best[unit] = sim
        return sum(unit_weight(u) * self.counts[u] * sim for u, sim in best.items())


class IntentMatcher:
    """Scores utterances against a fixed set of intents in one language."""

    def __init__(
        self,
        intents: Sequence[IntentSpec],
        language: str,
        threshold: float = 0.6,
        semantic: SemanticIndex | None = None,
    ) -> None:
        self.intents = tuple(intents)
        self.semantic = semantic  # labels "intent:<name>" for the intents, anything else as rivals
        self.language = language
        self.threshold = threshold
        self._chinese = is_chinese(language)
        self._examples = [tuple(self._phrase(e) for e in spec.examples) for spec in self.intents]
        self._keywords = [tuple(self._phrase(k) for k in spec.keywords) for spec in self.intents]
        # keyword -> the other intents whose examples have it: it does not tell those apart from its own
        self._shared = [
            {k.text: self._sharing(k, n) for k in keywords} for n, keywords in enumerate(self._keywords)
        ]
        words = {u for group in self._examples + self._keywords for p in group for u in p.units}
        self._vocab = sorted(w for w in words if len(w) >= FUZZY_MIN_LEN)
        self._by_stem: dict[str, set[str]] = {}
        for word in words:
            self._by_stem.setdefault(stem(word), set()).add(word)

    def _phrase(self, text: str) -> _Phrase:
        units = tuple(tokens(text, self.language))
        glue = "" if self._chinese else " "
        bigrams = frozenset(glue.join(units[i : i + 2]) for i in range(len(units) - 1))
        weights = tuple(unit_weight(u) for u in units)
        return _Phrase(
            text, normalise(text, self.language), units, bigrams, frozenset(units), weights, sum(weights)
        )

    def _sharing(self, keyword: _Phrase, own: int) -> frozenset[str]:
        """The names of the other intents whose examples contain the keyword."""
        glue = "" if self._chinese else " "
        needle = f"{glue}{glue.join(keyword.units)}{glue}"
        return frozenset(
            self.intents[n].name
            for n, examples in enumerate(self._examples)
            if n != own and any(needle in f"{glue}{glue.join(e.units)}{glue}" for e in examples)
        )

    def ranked(self, text: str, limit: int = 3) -> list[IntentMatch]:
        """Intents best first (ties keep the declaration order); scores may be below the threshold."""
        utterance = self._phrase(text)
        if not utterance.units or limit <= 0:
            return []
        sim = _Similarity(utterance.units, self._vocab, self._by_stem, fuzzy=not self._chinese)
        squashed = compact(text, self.language)
        clauses = self._units_of(CLAUSE_BREAKS.split(text))
        supposed = self._supposes(text)
        meaning = self.semantic.closest(text) if self.semantic is not None else {}
        cosines = {label: cosine for label, (cosine, _) in meaning.items()}
        intents_by_meaning = [label for label in cosines if label.startswith("intent:")]
        nearest = max(intents_by_meaning, key=cosines.__getitem__, default="").removeprefix("intent:")
        found = [
            [self._keyword_hit(squashed, clauses, k, sim) for k in keywords] for keywords in self._keywords
        ]
        hits = [max(((score, k) for score, k, _ in f), default=(0.0, ""), key=lambda h: h[0]) for f in found]
        # its keywords said only negated ("my account isn't locked"): meaning alone does not make it a request
        # (English only: a Chinese negator often states the fault itself, 没信号 is "no signal")
        denied = [
            not self._chinese and any(n is True for *_, n in f) and not any(n is False for *_, n in f)
            for f in found
        ]
        hits, takers = without_inner_keywords(hits, self._chinese)
        results = []
        for spec, examples, (kw_score, kw_text), shared, negated in zip(
            self.intents, self._examples, hits, self._shared, denied, strict=True
        ):
            ex_score, ex_text = max(
                ((self._example_score(utterance, e, sim), e.text) for e in examples),
                default=(0.0, ""),
                key=lambda pair: pair[0],
            )
            # "bill" is a balance keyword and in the dispute examples: when meaning says dispute, it decides
            plain = nearest not in shared.get(kw_text, ())
            best, matched = (kw_score, kw_text) if kw_score > ex_score else (ex_score, ex_text)
            score = min(1.0, best + 0.1 * min(ex_score, kw_score))
            label = f"intent:{spec.name}"
            if label in cosines:
                by_meaning = calibrated(cosines, label)
                if by_meaning > score:
                    matched = f"~{meaning[label][1]}"
                # A keyword said as written is strong evidence; a fuzzy or example match is tempered.
                plain = plain and kw_score >= KEYWORD_SCORE
                score = max(score, by_meaning) if plain else blend(score, by_meaning)
            if supposed:
                score = min(score, SUPPOSED_CAP)
            if negated:
                score = min(score, SUPPOSED_CAP)
            results.append(IntentMatch(spec.name, round(score, 4), matched))
        results = below_their_takers(results, takers)
        results.sort(key=lambda m: -m.score)  # stable: equal scores keep the earlier intent first
        return results[:limit]

    def match(self, text: str) -> IntentMatch | None:
        """The best intent if its score reaches the threshold, else None."""
        ranked = self.ranked(text, limit=1)
        if ranked and ranked[0].score >= self.threshold:
            return ranked[0]
        return None

    def _example_score(self, utterance: _Phrase, example: _Phrase, sim: _Similarity) -> float:
        """Coverage of the example by the utterance, and of the utterance by the example."""
        if not example.units:
            return 0.0
        if utterance.normalised == example.normalised:
            return 1.0
        if example.weight == 0 or utterance.weight == 0:
            return 0.0
        coverage = sum(w * sim.covered(u) for u, w in zip(example.units, example.weights, strict=True))
        coverage /= example.weight
        if coverage == 0:
            return 0.0  # nothing shared, so the utterance explains nothing of it either
        precision = sim.explained_weight(example.unit_set) / utterance.weight
        if not self._chinese:
            return 0.8 * coverage + 0.2 * precision
        order = (
            len(example.bigrams & utterance.bigrams) / len(example.bigrams) if example.bigrams else coverage
        )
        return 0.5 * coverage + 0.3 * order + 0.2 * precision

    def _units_of(self, parts: list[str]) -> list[list[str]]:
        """Each non-empty part of the utterance as units (words; characters in Chinese)."""
        out = []
        for part in parts:
            normalised = normalise(part, self.language)
            units = list(normalised.replace(" ", "")) if self._chinese else normalised.split()
            if units:
                out.append(units)
        return out

    def _supposes(self, text: str) -> bool:
        """Every sentence of the turn is a supposition ("what happens if ...", 如果...的话)."""
        _, conditionals, polite, asking, subjects, _ = _scope_words(self._chinese)
        glue = "" if self._chinese else " "
        sentences = []
        for units in self._units_of(SENTENCE_BREAKS.split(text)):
            padded = f"{glue}{glue.join(units)}{glue}"
            for phrase in polite:  # "wondering if you could ...", 可以的话: a request, not a supposition
                padded = padded.replace(f"{glue}{phrase}{glue}", " | ")
            sentences.append(padded)

        def supposes(padded: str) -> bool:
            # Only a question supposes: "if I'm honest my bill is too high" and "my internet drops out if
            # it rains" state the problem; "will my line be blocked if I pay late" asks about a case.
            # "I suppose I'd better ..." resigns: a case only with another "if" beside it
            for phrase in _resigned(self._chinese):
                if f"{glue}{phrase}{glue}" in padded:
                    rest = padded.replace(f"{glue}{phrase}{glue}", " | ")
                    return any(f"{glue}{c}{glue}" in rest for c in conditionals)
            found = [at for c in conditionals if (at := padded.find(f"{glue}{c}{glue}")) >= 0]
            if not found:
                return False
            if not asking or any(0 <= padded.find(f"{glue}{a}{glue}") <= min(found) for a in asking):
                return True
            return any(f"{glue}{a}{glue}{s}{glue}" in padded for a in asking for s in subjects)

        return bool(sentences) and all(supposes(padded) for padded in sentences)

    def _keyword_hit(
        self, squashed: str, clauses: list[list[str]], keyword: _Phrase, sim: _Similarity
    ) -> tuple[float, str, bool | None]:
        """(score, keyword, denied): nothing when every place the keyword is said is negated.

        `denied` is True when every place has the negator just before the keyword ("isn't locked"), None
        when the keyword was not said at all.
        """
        score = self._keyword_score(squashed, keyword, sim)
        if score == 0.0:
            return 0.0, keyword.text, None
        places = [(c, i) for c in clauses for i in self._positions(c, keyword, sim)]
        if not places and not self._chinese and not any(self._in_order(c, keyword, sim) for c in clauses):
            return 0.0, keyword.text, None  # its words said apart ("no, ... your service"), not the keyword
        if places and all(self._negated(c, i) for c, i in places):  # "my account isn't locked"
            # denied outright only with the negator just before it: "isn't locked", not "not getting signal"
            denied = all(self._negated(c, i, reach=0) for c, i in places)
            return 0.0, keyword.text, denied
        return score, keyword.text, False

    def _positions(self, clause: list[str], keyword: _Phrase, sim: _Similarity) -> list[int]:
        """Where the keyword starts in a clause (units; an English word also as a stem or close spelling)."""
        words = list(keyword.normalised.replace(" ", "")) if self._chinese else list(keyword.units)
        n = len(words)

        def same(unit: str, word: str) -> bool:
            return unit == word or sim.pairs.get(unit, {}).get(word, 0.0) >= FUZZY_CUTOFF / 100.0

        return [i for i in range(len(clause) - n + 1) if all(map(same, clause[i : i + n], words))]

    @staticmethod
    def _in_order(clause: list[str], keyword: _Phrase, sim: _Similarity) -> bool:
        """Its words in one clause in order, KEYWORD_GAP other words apart at most ("account is frozen")."""
        at = -1
        for n, word in enumerate(keyword.units):
            reach = len(clause) if n == 0 else at + 1 + KEYWORD_GAP + 1
            near = [
                i
                for i in range(at + 1, min(len(clause), reach))
                if clause[i] == word or sim.pairs.get(clause[i], {}).get(word, 0.0) >= FUZZY_CUTOFF / 100.0
            ]
            if not near:
                return False
            at = near[0]
        return True

    def _negated(self, clause: list[str], at: int, reach: int = NEGATOR_REACH) -> bool:
        """A negator stands just before the keyword at `at` ("isn't locked", 没被冻结).

        Not when a verb of having or knowing follows the negator: "I don't know the password", "I didn't
        get the refund" say what is missing, they do not deny the topic.
        """
        words = _scope_words(self._chinese)
        negators, absence = words[0], words[5]
        glue = "" if self._chinese else " "
        before = f"{glue}{glue.join(clause[max(0, at - reach - 1) : at])}{glue}"
        found = [before.rfind(f"{glue}{n}{glue}") for n in negators if f"{glue}{n}{glue}" in before]
        if not found:
            return False
        after = before[max(found) :]
        return not any(f"{glue}{v}{glue}" in after for v in absence)

    def _keyword_score(self, squashed: str, keyword: _Phrase, sim: _Similarity) -> float:
        """0.9 when the keyword occurs as a character sequence; fuzzy English words score a little less."""
        needle = keyword.normalised.replace(" ", "")
        if not needle:
            return 0.0
        if self._chinese:
            return KEYWORD_SCORE if needle in squashed else 0.0
        if self._contains_words(sim.units, keyword.units):
            return KEYWORD_SCORE
        weakest = min(sim.covered(w) for w in keyword.units)
        return 0.85 * weakest if weakest >= FUZZY_CUTOFF / 100.0 else 0.0

    @staticmethod
    def _contains_words(units: Sequence[str], words: Sequence[str]) -> bool:
        """True when `words` occur contiguously in `units`."""
        n = len(words)
        return any(tuple(units[i : i + n]) == tuple(words) for i in range(len(units) - n + 1))


def _spelling_of(unit: str, word: str) -> bool:
    """Close spellings of one word ("operater"), not a word inside a longer one ("personal", "cable")."""
    short, long = sorted((unit, word), key=len)
    if long.startswith(short):
        return long[len(short) :] in INFLECTIONS
    return not long.endswith(short)
