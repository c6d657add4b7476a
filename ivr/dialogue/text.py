"""Text normalisation and tokenisation shared by the understanding layer (English, Chinese, others)."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import yaml

# Apostrophes are dropped inside words so "don't", "don’t" and ASR's "dont" are the same token.
_APOSTROPHES = str.maketrans("", "", "'’‘`´ʼ")
_SPACES = re.compile(r"\s+")
_DO_YOU = re.compile(r"\bd['’‘`´ʼ](?:you|ya)\b")  # "what d'you mean", "d'ya": do you (not the yes "ya")
# Words that turn a turn round ("it was fine, but now it's dead"): what follows them counts more.
CONTRASTS = {"en": ("but", "however", "although"), "zh": ("但是", "可是", "不过", "但")}
# Where a caller's clause ends, in both scripts: what a negator, a request or thanks does not reach past.
# sounds a caller makes before the words ("erm, no, that got sorted")
HESITATIONS = frozenset({"um", "uh", "er", "erm", "hmm", "mm", "ah", "oh", "well"})
CLAUSE_BREAKS = re.compile(r"[,.;:!?，。；：！？、…]+")
SENTENCE_BREAKS = re.compile(r"[.;!?。；！？…]+")


def _load_stopwords() -> tuple[frozenset[str], frozenset[str]]:
    """English function words and Chinese grammar characters, read once at import."""
    data = yaml.safe_load((Path(__file__).parent / "lexicons" / "stopwords.yaml").read_text("utf-8"))
    return frozenset(str(w) for w in data["en"]), frozenset(data["zh"])


# Function words carry little meaning for matching: they weigh less than content words.
STOPWORDS, STOP_CHARS = _load_stopwords()


def is_chinese(language: str) -> bool:
    """True for Chinese language tags: anything starting with "zh", and "cmn"."""
    tag = language.strip().lower().replace("_", "-")
    return tag.startswith("zh") or tag == "cmn" or tag.startswith("cmn-")


def is_cjk(char: str) -> bool:
    """True for a CJK ideograph (including 〇), the unit Chinese text is matched on."""
    code = ord(char)
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0xF900 <= code <= 0xFAFF
        or 0x20000 <= code <= 0x2FA1F
        or code == 0x3007
    )


def _is_separator(char: str) -> bool:
    """Punctuation, symbols and controls become spaces; letters, digits and marks stay."""
    category = unicodedata.category(char)
    return category[0] in "PSZC"


def normalise(text: str, language: str) -> str:
    """NFKC, casefold, "d'you" as "do you", punctuation to spaces, apostrophes dropped inside words, spaces
    collapsed."""
    folded = _DO_YOU.sub("do you", unicodedata.normalize("NFKC", text).casefold()).translate(_APOSTROPHES)
    spaced = "".join(" " if _is_separator(c) else c for c in folded)
    return _SPACES.sub(" ", spaced).strip()


def _chinese_tokens(normalised: str) -> list[str]:
    """Each CJK character is a token; each run of other letters or digits is one token."""
    out: list[str] = []
    run: list[str] = []
    for char in normalised:
        if is_cjk(char) or char == " ":
            if run:
                out.append("".join(run))
                run = []
            if char != " ":
                out.append(char)
        else:
            run.append(char)
    if run:
        out.append("".join(run))
    return out


def tokens(text: str, language: str) -> list[str]:
    """Normalised words for latin script; CJK characters one by one (plus latin/digit runs) for Chinese."""
    normalised = normalise(text, language)
    if is_chinese(language):
        return _chinese_tokens(normalised)
    return normalised.split()


def ngrams(text: str, language: str, n: int = 2) -> list[str]:
    """Character n-grams for Chinese (joined without spaces), word n-grams (space-joined) otherwise."""
    units = tokens(text, language)
    if n < 1 or len(units) < n:
        return []
    glue = "" if is_chinese(language) else " "
    return [glue.join(units[i : i + n]) for i in range(len(units) - n + 1)]


# A Chinese clause ending in an A-not-A 不 asks (上班不？, 在那边能用不): read it as one ending in 吗.
# Before a question mark after a verb (not after words where a final 不 refuses or states: 当然不？,
# 先不, 我就不); without one only after the verbs of such questions (能用不, 上班不, 开门不).
_NOT_BEFORE_A_NOT_A = "是就说也都还并绝决偏要我你他她再可然像先时在定的实该前天次概本"
_A_NOT_A_VERBS = "用班门通"
_A_NOT_A_END = re.compile(
    rf"(?:(?<=[^\W\d{_NOT_BEFORE_A_NOT_A}])不(?=\s*[?？])|(?<=[{_A_NOT_A_VERBS}])不(?=\s*(?:[,.;:!，。；：！、…]|$)))"
)


# The same question with the verb said twice, ending the turn: 你们周末上不上班啊. Not with more after it
# ("上不上班，帮我转一下" asks for a person), nor of other verbs: 上不上门 asks for a visit, 能不能用 "is my
# number still usable?" is no question about roaming, 通不通 is a fault.
_A_NOT_A_SPLIT = re.compile(r"(\w)不\1班(?=[啊呀呢啦]?\s*[?？。!！.…]*\s*$)")


def marked_question(text: str, language: str) -> str:
    """The text with a Chinese clause-final A-not-A written as 吗 (能用不, 上不上班 → 能用吗, 上班吗);
    others as they are."""
    if not is_chinese(language):
        return text
    return _A_NOT_A_END.sub("吗", _A_NOT_A_SPLIT.sub(r"\1班吗", text))


_QUESTION_OPENINGS = (
    *("how", "can", "could", "where", "when", "what", "whats", "is", "are", "do", "does", "will"),
    *("would", "which", "who", "should"),
)
_FILLERS = HESITATIONS | {"so", "ok", "okay", "hi", "hello", "yeah", "right", "and"}
_ZH_ASKING = ("怎么", "如何", "哪里", "哪儿", "能不能", "可不可以")
_ZH_QUESTION_ENDS = ("吗", "么", "呢")


def asks(text: str, language: str) -> bool:
    """The turn asks how or what: a question mark at its end, a question word opening it (after fillers), or
    in Chinese a question word or final particle. Not "why ...?", a complaint put as a question."""
    stripped = text.strip()
    if stripped.endswith(("?", "？")) and not normalise(stripped, language).startswith("why "):
        return True
    if is_chinese(language):
        said = compact(stripped, language)
        return said.endswith(_ZH_QUESTION_ENDS) or any(w in said for w in _ZH_ASKING)
    words = [w for w in normalise(stripped, language).split() if w not in _FILLERS]
    if words[:1] == ["why"]:
        return False  # "why is there no signal at my house?": a complaint put as a question
    return bool(words) and words[0] in _QUESTION_OPENINGS


def ends_asking(text: str, language: str) -> bool:
    """The turn ends in a question: a question mark, or in Chinese 吗 ("is that all?", 就这些了吗). Not a
    question word before a statement ("how kind, that's all", 我知道怎么弄了，没有了)."""
    stripped = text.strip()
    chinese_question = is_chinese(language) and compact(stripped, language).endswith("吗")
    return stripped.endswith(("?", "？")) or chinese_question


def compact(text: str, language: str) -> str:
    """The normalised text without spaces: what Chinese substring matching runs on."""
    return normalise(text, language).replace(" ", "")


def stem(word: str) -> str:
    """A light English suffix stripper so "resetting", "resets" and "reset" meet; not a real stemmer."""
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix) and not word.endswith("ss"):
            word = word[: -len(suffix)]
            if suffix in ("ing", "ed") and len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
                word = word[:-1]  # "resetting" -> "resett" -> "reset", but "billing" -> "bill"
            break
    if len(word) > 4 and word.endswith("e"):
        word = word[:-1]  # "charge", "charged", "charges" -> "charg"
    return word
