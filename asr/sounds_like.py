"""What a recogniser writes for what callers said: mined near misses turned back into alternatives.

How this works
--------------
Whisper tiny.en on 8 kHz telephone audio mishears the same words the same way ("noise mail" for
voicemail, "absolutely human" for absolutely fuming, "not talk" for just talk). A table of such near
misses, each `heard` phrase with what was `said` and how often (`share`: of the times the recogniser wrote
the heard phrase, how often the caller had said the other), is mined from a development set's decodes
(`tests/bench/mine_sounds_like.py`). `SoundsLike.variants(text)` writes the transcript back the ways the
table says it may have been said: once with every near miss replaced, then one near miss at a time. They
join the transcript's alternatives, after the decoder's own, so the dialogue acts on one only as it acts on
any alternative (ivr.dialogue.nbest): when the best is not understood and the variant clearly is, or when
the variant is strongly negative beside a request the best understood. The miner keeps no near miss that
would make a calm or pleased turn angry ("perfect" -> "pathetic"). The text that is stored and shown stays
the recogniser's.

Sans-IO: no audio and no model, only text in and text out; `load()` reads the YAML table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from asr.engine import Alternative, ModelLoadError, Transcript
from asr.models import bundled_whisper_model

MAX_VARIANTS = 4
MAX_FOUND = 16  # near misses replaced in one transcript (a looping decode repeats one a hundred times)
# A variant's confidence, as a share of the transcript's: above the dialogue's floor for acting on an
# alternative (ivr.dialogue.nbest.MIN_CONFIDENCE_RATIO, 0.75), as the table says what was likely said.
VARIANT_CONFIDENCE = 0.8
BUNDLED = Path(__file__).with_name("sounds_like_whisper_tiny_en.yaml")
SOUNDS_LIKE_HINT = "set asr.sounds_like to off, auto, or a table written by tests/bench/mine_sounds_like.py"


@dataclass(frozen=True, slots=True)
class NearMiss:
    """One heard phrase, what was said instead, and the share of its hearings that were this miss."""

    heard: str
    said: str
    share: float

    def pattern(self) -> re.Pattern[str]:
        """The heard words as written in a transcript: any case, any punctuation or spaces between."""
        words = [re.escape(w) for w in self.heard.split()]
        return re.compile(r"(?<![\w'])" + r"[\s,.!?;:-]+".join(words) + r"(?![\w'])", re.IGNORECASE)


class SoundsLike:
    """A table of near misses for one recogniser and language."""

    def __init__(self, misses: list[NearMiss]):
        # most likely first, then longer (more context) first: they win where two overlap
        self._misses = sorted(misses, key=lambda m: (-m.share, -len(m.heard.split())))
        self._patterns = [(m, m.pattern()) for m in self._misses]

    def __len__(self) -> int:
        return len(self._misses)

    def variants(self, text: str, limit: int = MAX_VARIANTS) -> list[str]:
        """The text as it may have been said: every near miss replaced, then each alone (at most limit)."""
        found: list[tuple[int, int, str]] = []  # (start, end, said) of non-overlapping near misses
        for miss, pattern in self._patterns:
            for hit in pattern.finditer(text):
                if len(found) < MAX_FOUND and all(hit.end() <= s or hit.start() >= e for s, e, _ in found):
                    found.append((hit.start(), hit.end(), miss.said))
        if not found:
            return []
        singles = [_replaced(text, [one]) for one in found[:limit]]
        every = _replaced(text, found)
        out = list(dict.fromkeys([every, *singles]))
        return [v for v in out if v.lower() != text.lower()][:limit]

    def extend(self, transcript: Transcript) -> Transcript:
        """The transcript with its variants after its own alternatives (none when nothing was heard)."""
        if not transcript.text:
            return transcript
        known = {transcript.text.lower(), *(a.text.lower() for a in transcript.alternatives)}
        confidence = transcript.confidence * VARIANT_CONFIDENCE
        variants = [v for v in self.variants(transcript.text) if v.lower() not in known]
        extra = tuple(Alternative(v, confidence) for v in variants)
        if not extra:
            return transcript
        return replace(transcript, alternatives=(*transcript.alternatives, *extra))


def _replaced(text: str, spans: list[tuple[int, int, str]]) -> str:
    """text with each (start, end) span replaced by its words, right to left so offsets hold."""
    for start, end, said in sorted(spans, reverse=True):
        text = text[:start] + said + text[end:]
    return text


def near_misses(setting: str, model: Path, language: str) -> SoundsLike | None:
    """The table `asr.sounds_like` names: "auto" (the bundled one, for the bundled English model only: it
    was mined from that model's mistakes), "off", or a table file. ModelLoadError if a file will not load."""
    if setting == "off":
        return None
    if setting == "auto":
        bundled = bundled_whisper_model()
        ours = bundled is not None and Path(bundled).resolve() == Path(model).resolve() and language == "en"
        if not ours:
            return None
        setting = str(BUNDLED)
    try:
        return load(setting)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        problem = f"the sounds_like table will not load: {exc}"
        raise ModelLoadError(setting, problem, SOUNDS_LIKE_HINT) from exc


def load(path: Path | str = BUNDLED) -> SoundsLike:
    """A table from its YAML file: `misses:` a list of {heard, said, share}."""
    path = Path(path)
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    misses = data.get("misses") if isinstance(data, dict) else None
    if not isinstance(misses, list):
        raise ValueError(f"{path}: 'misses' must be a list of {{heard, said, share}}")
    table, seen = [], set()
    for n, entry in enumerate(misses):
        entry = entry if isinstance(entry, dict) else {}
        heard, said, share = entry.get("heard"), entry.get("said"), entry.get("share")
        words = isinstance(heard, str) and isinstance(said, str) and re.search(r"\w", heard)
        rate = isinstance(share, int | float) and not isinstance(share, bool) and 0 < share <= 1
        if not (words and rate):
            raise ValueError(f"{path}: misses[{n}] needs heard and said (words) and a share (0 to 1)")
        if heard.lower() not in seen:  # the first (most likely, as mined) of a heard phrase's readings
            seen.add(heard.lower())
            table.append(NearMiss(heard.lower(), said, float(share)))
    return SoundsLike(table)
