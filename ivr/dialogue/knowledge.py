"""A knowledge base of question variants and answers, searched by BM25 blended with fuzzy similarity.

How this works: entries are grouped by language, and each group gets its own BM25 index whose
documents are the question variants. Terms are content words, lightly stemmed, for latin script, and
characters plus character bigrams for Chinese (grammar characters such as 的/吗 left out). A variant's
BM25 score is divided by the score the variant would get against itself, so 1.0 means "the query
covers everything the question says", in any language; a quarter of that lexical score is instead the
idf share of the query's own terms the variant has (so many unrelated extra words count against it).
That is blended 70/30 with a rapidfuzz
token-set ratio to the variant; an entry keyword found in the query lifts the score a further 40 % of
the way to 1. An entry scores as its best variant. Only entries whose language tag is the caller's, or
a prefix of it either way ("zh" serves "zh-CN"; "cmn" counts as "zh"), are searched. With a semantic
index (the flow's, labels "kb:<id>"), an entry also scores by meaning (ivr/dialogue/semantic.py) and
keeps the higher score, so "what time do you close" finds the opening hours.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from rapidfuzz import fuzz

from ivr.dialogue.hanzi import as_read
from ivr.dialogue.semantic import SemanticIndex, calibrated
from ivr.dialogue.text import STOP_CHARS, STOPWORDS, compact, is_chinese, normalise, stem, tokens

K1, B = 1.2, 0.75
BM25_SHARE = 0.7
KEYWORD_LIFT = 0.4
CANDIDATES = 30  # variants scored with the (slower) fuzzy ratio after BM25 ranking
# One content word shared with a question, in a turn of several, is weak evidence: "I'm calling about my
# account" shares only "calling" with "calling another country". Such a match counts this much (meaning
# and keywords may still raise it).
LONE_TERM_QUERY = 3
LONE_TERM_WEIGHT = 0.8


@dataclass(frozen=True)
class KnowledgeEntry:
    """One answer, the question variants that ask for it, its language and optional keywords."""

    id: str
    language: str
    questions: tuple[str, ...]
    answer: str
    keywords: tuple[str, ...] = ()


def _in_one_script(entry: KnowledgeEntry) -> KnowledgeEntry:
    """A Chinese entry's questions and keywords in simplified characters, as callers' words are read."""
    language = entry.language
    questions = tuple(as_read(q, language) for q in entry.questions)
    return replace(entry, questions=questions, keywords=tuple(as_read(k, language) for k in entry.keywords))


@dataclass(frozen=True)
class KnowledgeHit:
    """An entry and its relevance to the query (0..1)."""

    entry: KnowledgeEntry
    score: float


def base_language(tag: str) -> str:
    """A comparable language tag: lower case, hyphens, and "cmn" read as "zh"."""
    tag = tag.strip().lower().replace("_", "-")
    return "zh" + tag[3:] if tag == "cmn" or tag.startswith("cmn-") else tag


def same_language(entry_language: str, caller_language: str) -> bool:
    """True when one tag equals the other or is a prefix of it at a subtag boundary."""
    a, b = base_language(entry_language), base_language(caller_language)
    return a == b or b.startswith(a + "-") or a.startswith(b + "-")


# "I'm calling about my account": the caller's lead-in, no question about calls (the international calls
# entry's "calling another country" shared it)
_CALLING_LEAD = re.compile(
    r"\b(?:im|i am|i was|were|we are|am|just|only)\s+(?:calling|ringing|phoning)\s+"
    r"(?:about|because|regarding|re|to|for|with|cause|cos|in)\b"
)


def terms(text: str, language: str) -> list[str]:
    """Index terms: stemmed content words, or Chinese characters and bigrams without grammar characters."""
    if not is_chinese(language):
        said = _CALLING_LEAD.sub(" ", normalise(text, language))
        return [stem(u) for u in tokens(said, language) if u not in STOPWORDS]
    units = tokens(text, language)
    grams = [a + b for a, b in itertools.pairwise(units) if not (a in STOP_CHARS and b in STOP_CHARS)]
    return [u for u in units if u not in STOP_CHARS] + grams


_SENTENCE_ENDS = re.compile(r"(?<=[.?!。？！])\s*")
# a sentence searched alone must say this much: "what time do you close tonight" (time, close, tonight), not
# "How do I change it?" or 怎么开通 (Chinese terms are characters and their pairs)
MIN_SENTENCE_TERMS = {"en": 3, "zh": 6}
SENTENCE_WEIGHT = 0.9  # what a last sentence's score counts, beside a whole turn's


def _last_sentence(text: str, language: str) -> str | None:
    """The last sentence of a turn of several, when it says enough to be searched alone; else None."""
    parts = [p for p in _SENTENCE_ENDS.split(text.strip()) if p]
    needed = MIN_SENTENCE_TERMS["zh" if is_chinese(language) else "en"]
    if len(parts) < 2 or len(set(terms(parts[-1], language))) < needed:
        return None
    return parts[-1]


def _fuzzy_text(text: str, language: str) -> str:
    """What the fuzzy ratio compares: the content units, space-separated."""
    return " ".join(u for u in tokens(text, language) if u not in STOPWORDS and u not in STOP_CHARS)


class _Index:
    """BM25 over the question variants of one language's entries."""

    def __init__(self, entries: Sequence[KnowledgeEntry]):
        self.entries = tuple(entries)
        self.language = entries[0].language
        self.docs: list[tuple[int, Counter[str], str]] = []  # (entry index, term counts, fuzzy text)
        for i, entry in enumerate(self.entries):
            for question in entry.questions:
                counts = Counter(terms(question, self.language))
                if counts:
                    self.docs.append((i, counts, _fuzzy_text(question, self.language)))
        self.avgdl = sum(sum(c.values()) for _, c, _ in self.docs) / max(1, len(self.docs))
        df = Counter(t for _, c, _ in self.docs for t in c)
        n = len(self.docs)
        self.idf = {t: math.log(1 + (n - k + 0.5) / (k + 0.5)) for t, k in df.items()}
        self.unseen_idf = math.log(1 + (n + 0.5) / 0.5)  # a query word no variant uses
        self.postings: dict[str, list[int]] = {}
        for d, (_, counts, _) in enumerate(self.docs):
            for t in counts:
                self.postings.setdefault(t, []).append(d)
        self.ceiling = [self._bm25(set(c), d) or 1.0 for d, (_, c, _) in enumerate(self.docs)]
        self.keywords = [tuple(self._needle(k) for k in e.keywords if self._needle(k)) for e in self.entries]

    def _needle(self, keyword: str) -> str:
        return compact(keyword, self.language) if is_chinese(self.language) else normalise(keyword, "en")

    def _bm25(self, query: set[str], d: int) -> float:
        counts = self.docs[d][1]
        dl = sum(counts.values())
        total = 0.0
        for t in query & counts.keys():
            tf = counts[t]
            total += self.idf[t] * tf * (K1 + 1) / (tf + K1 * (1 - B + B * dl / self.avgdl))
        return total

    def search(self, text: str) -> dict[int, float]:
        """Relevance per entry index for entries sharing a term or a keyword with the query."""
        query = set(terms(text, self.language))
        hit_docs = {d for t in query for d in self.postings.get(t, ())}
        lexical_of = {d: min(1.0, self._bm25(query, d) / self.ceiling[d]) for d in hit_docs}
        ranked = sorted(hit_docs, key=lambda d: -lexical_of[d])[:CANDIDATES]
        fuzzy_query = _fuzzy_text(text, self.language)
        query_weight = sum(self.idf.get(t, self.unseen_idf) for t in query) or 1.0
        scores: dict[int, float] = {}
        for d in ranked:
            entry_i, counts, fuzzy_doc = self.docs[d]
            covered = sum(self.idf[t] for t in query & counts.keys()) / query_weight
            lexical = 0.75 * lexical_of[d] + 0.25 * covered
            ratio = fuzz.token_set_ratio(fuzzy_query, fuzzy_doc) / 100.0
            score = BM25_SHARE * lexical + (1 - BM25_SHARE) * ratio
            if len(query & counts.keys()) == 1 and len(query) >= LONE_TERM_QUERY:
                score *= LONE_TERM_WEIGHT
            scores[entry_i] = max(scores.get(entry_i, 0.0), score)
        self._lift_keywords(text, scores)
        return scores

    def _lift_keywords(self, text: str, scores: dict[int, float]) -> None:
        haystack = compact(text, self.language) if is_chinese(self.language) else f" {normalise(text, 'en')} "
        for i, needles in enumerate(self.keywords):
            if any((n in haystack) if is_chinese(self.language) else (f" {n} " in haystack) for n in needles):
                score = scores.get(i, 0.0)
                scores[i] = score + (1.0 - score) * KEYWORD_LIFT


class KnowledgeBase:
    """Searchable question/answer entries in several languages; immutable, extended by with_entries()."""

    def __init__(
        self,
        entries: Sequence[KnowledgeEntry],
        min_score: float = 0.45,
        semantic: Callable[[str], SemanticIndex | None] | None = None,
    ) -> None:
        self.entries = tuple(_in_one_script(e) for e in entries)  # an editor's 點樣交費 meets a caller's
        self.min_score = min_score
        self.semantic = semantic  # language -> the index holding "kb:<id>" labels, or None
        groups: dict[str, list[KnowledgeEntry]] = {}
        for entry in self.entries:
            groups.setdefault(base_language(entry.language), []).append(entry)
        self._indexes = {lang: _Index(group) for lang, group in groups.items()}

    def search(self, text: str, language: str, limit: int = 3) -> list[KnowledgeHit]:
        """Entries of the caller's language best first (ties keep entry order), at most `limit`.

        When the whole turn finds nothing, a turn of several sentences is searched by its last one, a
        little discounted: "oh that's a shame. What time do you close tonight?" asks what its last sentence
        asks, which the words before it dilute. Only then: "My internet is down. How long will it take?"
        reports a fault, and its last sentence alone reads as the refund question."""
        hits: list[KnowledgeHit] = []
        for lang, index in self._indexes.items():
            if same_language(lang, language):
                scores = self._scores(text, language, index)
                found = max(scores.values(), default=0.0) >= self.min_score
                last = None if found else _last_sentence(text, language)
                if last is not None:
                    for i, score in self._scores(last, language, index).items():
                        scores[i] = max(scores.get(i, 0.0), score * SENTENCE_WEIGHT)
                hits += [KnowledgeHit(index.entries[i], round(s, 4)) for i, s in sorted(scores.items())]
        order = {id(e): n for n, e in enumerate(self.entries)}
        hits.sort(key=lambda h: (-h.score, order[id(h.entry)]))
        return hits[: max(0, limit)]

    def _scores(self, text: str, language: str, index: _Index) -> dict[int, float]:
        """Relevance per entry by words and keywords, raised by meaning."""
        scores = index.search(text)
        self._by_meaning(text, language, index, scores)
        return scores

    def _by_meaning(self, text: str, language: str, index: _Index, scores: dict[int, float]) -> None:
        """Raise each entry's score to its score by meaning, where the flow has a semantic index."""
        semantic = self.semantic(language) if self.semantic is not None else None
        if semantic is None:
            return
        cosines = semantic.similarities(text)
        for i, entry in enumerate(index.entries):
            label = f"kb:{entry.id}"
            if label in cosines:
                scores[i] = max(scores.get(i, 0.0), calibrated(cosines, label))

    def best(self, text: str, language: str) -> KnowledgeHit | None:
        """The top hit if its score reaches min_score, else None."""
        hits = self.search(text, language, limit=1)
        return hits[0] if hits and hits[0].score >= self.min_score else None

    def with_entries(self, extra: Sequence[KnowledgeEntry]) -> KnowledgeBase:
        """A new knowledge base with `extra` added; an extra entry replaces an existing one with its id."""
        replaced = {e.id for e in extra}
        kept = [e for e in self.entries if e.id not in replaced]
        return KnowledgeBase([*kept, *extra], self.min_score, self.semantic)
