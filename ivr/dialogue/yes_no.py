"""Yes or no in a transcript, in English, Chinese and Korean, and in a question's own answer words.

How this works: the words of slot_words.yaml give each clause its polarity (yes words, no words, a negator
turning a yes round; Chinese A-not-A questions such as 有没有 are neither). A first clause that is nothing
but a yes or a no answers the question, unless the next clause takes it back ("sure, but not today"); a
hedge just before the answer word keeps it (好像是吧). A question's own answer words (a step's `answers`)
count too: "only my phone" is a no to "all your devices?", and their phrases of several words outweigh a
leading yes ("yeah, it's something else" to "the same issue as last time?"). Unclear turns ("not sure")
are neither. Cantonese 啱 is a yes only as a clause of its own (啱啱 is "just now"). `without_own_answers`
lets the sentiment reader leave a step's answers out (一点用都没有 answers "did that help?").
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from ivr.dialogue.numerals import _EN, _KO, _ZH, CN_DIGITS, MAX_TEXT
from ivr.dialogue.text import CLAUSE_BREAKS, CONTRASTS, HESITATIONS, is_chinese, normalise

YES_EN = frozenset(_EN["yes"])
NO_EN = frozenset(_EN["no"])
NEGATORS_EN = frozenset(_EN["negators"])
# Longest first so 不对 is read before 对 and 没错 before 没.
ZH_POLARITY = sorted(
    [(w, True) for w in _ZH["yes"]] + [(w, False) for w in _ZH["no"]], key=lambda p: -len(p[0])
)
WEAK_YES = frozenset(_EN["weak_yes"])
NUMBER_WORDS = frozenset([*_EN["units"], *_EN["teens"], *_EN["tens"], *_EN["repeats"]])
QUESTION_WORDS = frozenset(_EN["asking"])
LEADING_ONLY = frozenset(_EN["leading_only"])
LEADING_WORDS = 3  # how near a clause's start a leading-only yes-word must stand to be an answer
# Words a clause that only answers yes or no may consist of ("oh yes", "no thanks", "that's right").
ANSWER_WORDS = (
    YES_EN
    | NO_EN
    | WEAK_YES
    | {w for p in _EN["yes_phrases"] + _EN["no_phrases"] for w in p.split()}
    | HESITATIONS
    | {"please"}
    | {"mate", "love", "dear", "sir", "madam"}  # how callers address the bot: "nah mate"
)
# a hello around the answer ("oh, hello again, no, ..."): no clause of its own
HELLOS = frozenset({"hello", "hi", "hiya", "hey", "again", "there"})
# an acknowledgement of what the bot said before the answer itself ("oh right, no", "okay, yes")
NODDING = frozenset({"right", "alright", "all", "okay", "ok", "i", "see"})


def _korean_polarity(words: list[str]) -> list[bool]:
    """네/예 and 맞아요 say yes; 아니요/아니/아뇨 say no (the Vosk test model is Korean)."""
    out = []
    for word in words:
        if word.startswith(tuple(_KO["no_prefixes"])):
            out.append(False)
        elif word in _KO["yes"] or word.startswith(tuple(_KO["yes_prefixes"])):
            out.append(True)
    return out


def _english_polarity(words: list[str]) -> list[bool]:
    """Polarity signals from English words and phrases; a negated yes-word is a no."""
    joined = " " + " ".join(words) + " "
    found = [True for p in _EN["yes_phrases"] if f" {p} " in joined]
    found += [False for p in _EN["no_phrases"] if f" {p} " in joined]
    phrase_words = {
        w for p in _EN["yes_phrases"] + _EN["no_phrases"] if f" {p} " in joined for w in p.split()
    }
    for i, word in enumerate(words):
        if word in phrase_words:
            continue
        negated = any(w in NEGATORS_EN for w in words[max(0, i - 2) : i])
        if word in YES_EN and (word not in LEADING_ONLY or i < LEADING_WORDS):
            found.append(not negated)
        elif word in NO_EN:
            found.append(False)
    return found


# A question of the A-not-A form (有没有, 是不是, 可不可以) says neither yes nor no.
_A_NOT_A = re.compile(r"([^\W不没唔])(?:\w)?[不没唔]\1")
# 是 after a clause's subject, before what the caller means to do, is a copula, not a yes: 我这次打电话是想
# 重置密码 ("I am calling to reset my password"); 我是要 (one character before it) may still be a yes.
# 就是/正是 stress a yes (我打电话就是想说这个); 都是/全是 say "all" (设备都是要重启才能用).
_COPULA = re.compile(r"(?<=\w\w)(?<![就正都全])是(?=想|要|来|为了|因为|打算)")
# Cantonese 係 says yes where it opens the turn (係啊, 係上次嗰个); inside it, it is a copula
# (今次係为咗查话费) or part of the question 係咪 ("is it?").
_CANTONESE_COPULA = re.compile(r"係咪|(?<=[^\W唔])係")
PARTICLES = "啊呀吧嗯恩哦啦喇"  # what may end or pad a Chinese answer (对啊, 啱啦)
# 系呀 opening a turn is 係呀 typed in simplified characters; elsewhere 系 is 关系, 系统
_OPENING_SYSTEM_YES = re.compile(r"^系(?=[呀啊喇吖]|$)")  # not 系嘅话 ("if so")


def _lone_right(clause: str) -> bool:
    """啱 alone (with particles) is 对; not in slot_words, as 啱啱 is 刚刚 ("just now")."""
    return clause.replace(" ", "").strip(PARTICLES) == "啱"


def _chinese_polarity(text: str) -> list[bool]:
    """Polarity signals from a greedy longest-first scan of the Chinese characters."""
    text = _OPENING_SYSTEM_YES.sub("係", text)
    if _lone_right(text):
        return [True]
    text = _CANTONESE_COPULA.sub("，", _COPULA.sub("，", _A_NOT_A.sub("，", text)))
    found, i = [], 0
    while i < len(text):
        for word, polarity in ZH_POLARITY:
            if text.startswith(word, i):
                found.append(polarity)
                i += len(word)
                break
        else:
            i += 1
    return found


def _polarity(norm: str) -> list[bool]:
    """Every yes/no signal in normalised text (English words and phrases, Korean, Chinese characters)."""
    words = norm.split()
    return _english_polarity(words) + _korean_polarity(words) + _chinese_polarity(norm.replace(" ", ""))


# A clause after a leading yes that starts with one of these takes it back: "sure, but not today".
# "though" only here: it can lead a clause ("yes, though not that one"), but at the end of a turn ("it
# works though") it turns nothing round, so sentiment does not count it.
CONTRAST = (*CONTRASTS["en"], "though", *CONTRASTS["zh"])


def _asks_back(norm: str) -> bool:
    """A Chinese turn that asks something and does not start with a yes or a no (是的 怎么了 answers)."""
    said = norm.replace(" ", "")
    if said.startswith(tuple(w for w, _ in ZH_POLARITY)) or said.startswith(("嗯", "恩")):
        return False
    return any(w in said for w in _ZH["asking"]) or said.endswith(("吗", "？", "?"))


def split_clarifying(text: str, language: str) -> tuple[bool, str]:
    """Whether the turn asks what the question means or why, and the turn without those clauses and the
    questions beside them ("what devices do you mean, only my phone" -> True, "only my phone"; 什么意思？对，
    都不行 -> True, 对,都不行; "what do you mean, all of them?" -> True, "")."""
    chinese = is_chinese(language)
    phrases = _ZH["clarifying"] if chinese else _EN["clarifying"]
    kept, asked = [], False
    parts = re.split(f"({CLAUSE_BREAKS.pattern})", text[:MAX_TEXT])
    for clause, ending in zip(parts[::2], [*parts[1::2], ""], strict=True):
        said = normalise(clause, language)
        if chinese:
            asking = any(p in said.replace(" ", "") for p in phrases)
        else:
            asking = any(f" {p} " in f" {said} " for p in phrases)
        asked = asked or asking
        if not asking and clause.strip():
            kept.append((clause.strip(), "?" in ending or "？" in ending))
    # beside the question, the bot's words asked back ("what do you mean, all of them?") answer nothing; a
    # number asked back ("why do you need my postcode? 2 0 0 0?") is still the answer
    return asked, ", ".join(c for c, echoed in kept if not (asked and echoed and not _has_number(c)))


def _has_number(clause: str) -> bool:
    """Digits or number words in a clause ("2 0 0 0", "one two three", 一二三)."""
    words = set(normalise(clause, "en").split())
    return any(c.isdigit() or c in CN_DIGITS for c in clause) or bool(words & NUMBER_WORDS)


def _unhedged(clause: str) -> str:
    """A normalised clause without a hedge just before its yes or no (好像是吧 is 是吧, 我觉得不是 不是)."""
    for hedge in _ZH["hedges"]:
        rest = clause[len(hedge) :]
        if clause.startswith(hedge) and rest.startswith(tuple(w for w, _ in ZH_POLARITY)):
            return rest
    return clause


def _bare_answer(clause: str) -> bool | None:
    """The polarity of a normalised clause that is nothing but a yes or a no, else None."""
    clause = _unhedged(_OPENING_SYSTEM_YES.sub("係", clause))
    signals = _polarity(clause)
    if not clause or not signals or len(set(signals)) != 1:
        return None
    rest = clause.replace(" ", "")
    for word, _ in ZH_POLARITY:
        rest = rest.replace(word, "")
    answer_only = (
        not rest.strip(PARTICLES) or _lone_right(rest) or all(w in ANSWER_WORDS for w in clause.split())
    )
    return signals[0] if answer_only else None


def _leading_answer(text: str, language: str) -> tuple[bool | None, bool]:
    """(polarity, taken back) of a first clause that is nothing but a yes or a no ("是的，都不行").

    Taken back: the next clause contrasts or answers the other way ("sure, but not today", "fine, no").
    """
    return _lead_of(_from_the_answer(text, language)[0], language)


def _lead_of(clauses: list[str], language: str) -> tuple[bool | None, bool]:
    """(polarity, taken back) of the first of `clauses`, the turn's clauses from its answer on."""
    if len(clauses) < 2:
        return None, False
    lead = _bare_answer(normalise(clauses[0], language))
    second = normalise(clauses[1], language)
    if lead is None:
        return None, False
    return lead, (lead and second.startswith(CONTRAST)) or _bare_answer(second) == (not lead)


def _from_the_answer(text: str, language: str) -> tuple[list[str], bool]:
    """The turn's clauses from its answer on, and whether an acknowledgement was skipped before it.

    Skipped: hesitations and hellos ("erm, no, no, that got sorted"), and an acknowledgement right before a
    bare no ("oh right, no, I haven't"); nothing when the answer is taken back ("um, no, wait, yes it is").
    """
    clauses = CLAUSE_BREAKS.split(text)
    nodded = False
    if not _takes_back(normalise(text, language)):
        while len(clauses) > 2 and (skipped := _skipped_before_answer(clauses[0], clauses[1], language)):
            nodded = nodded or skipped == "nod"
            clauses.pop(0)
    return clauses, nodded


def _skipped_before_answer(clause: str, following: str, language: str) -> str | None:
    """ "hesitation" for a hesitation or a hello, "nod" for an acknowledgement right before a bare no (the
    no answers; "right" alone and "okay, no problem" are a yes), else None."""
    words = set(normalise(clause, language).split())
    if words <= HESITATIONS | HELLOS:
        return "hesitation"
    if words <= HESITATIONS | NODDING and _bare_answer(normalise(following, language)) is False:
        return "nod"
    return None


def only_thinking(text: str, language: str) -> bool:
    """The text is nothing but hesitations and weak yeses ("hmm"): thinking, no answer."""
    return set(normalise(text, language).split()) <= HESITATIONS | WEAK_YES


def _own_phrases(own: Mapping[bool, Sequence[str]], language: str) -> dict[bool, list[str]]:
    """The question's own answers of several words ("something else", 就手机): they say more than a yes."""
    return {a: [w for w in words if _phrase(w, language)] for a, words in own.items()}


def own_no(text: str, language: str, own: Mapping[bool, Sequence[str]]) -> bool:
    """The text says the question's own no in words of several ("different problem", "not this time")."""
    return _own_answer(text, language, _own_phrases(own, language)) is False


# before an answer word in its clause, what aims it at the company: 你这个机器人一点用都没有 is an insult
AIMED_AT_US = {"en": ("you", "your", "youre", "company", "bot"), "zh": ("你", "公司", "机器")}


def without_own_answers(text: str, language: str, words: Sequence[str]) -> str:
    """The text without the question's answer `words` (一点用都没有 to "did that help?" answers it), but
    for those said of the company (你们公司一点用都没有); the rest keeps its capitals and "!"."""
    chinese = is_chinese(language)
    aimed = AIMED_AT_US["zh" if chinese else "en"]
    text = text[:MAX_TEXT]
    for word in sorted(words, key=len, reverse=True):
        pattern = _answer_pattern(word, language)
        for found in reversed(list(pattern.finditer(text))):
            clause_start = max((b.end() for b in CLAUSE_BREAKS.finditer(text, 0, found.start())), default=0)
            before = text[clause_start : found.start()]
            if not any(a in (before if chinese else normalise(before, language).split()) for a in aimed):
                text = f"{text[: found.start()]} {text[found.end() :]}"
    return text


def _answer_pattern(word: str, language: str) -> re.Pattern[str]:
    """An answer word as it may be written: 一点用都没有 as it is, "didnt help" also as "didn't  help"."""
    if is_chinese(language):
        return re.compile(re.escape(word))
    spelled = [r"['’]?".join(re.escape(c) for c in w) for w in normalise(word, language).split()]
    return re.compile(r"(?<![^\W_])" + r"\W+".join(spelled) + r"(?![^\W_])", re.IGNORECASE)


def beside_the_answer(text: str, language: str) -> list[str]:
    """The clauses of a turn that are more than a bare yes or no, a hesitation or a hello ("oh, hello
    again, no, um, when are you open?" has one: "when are you open")."""
    out = []
    for clause in CLAUSE_BREAKS.split(text[:MAX_TEXT]):
        norm = normalise(clause, language)
        if norm.strip() and not set(norm.split()) <= HESITATIONS | HELLOS and _bare_answer(norm) is None:
            out.append(clause.strip())
    return out


def _takes_back(norm: str) -> bool:
    """The turn has a word that takes an answer back ("i mean", "wait", "actually")."""
    return any(f" {w} " in f" {norm} " for w in _EN["taking_back"])


def opens_with_no(text: str, language: str) -> bool:
    """The turn opens with a clause that is nothing but a no ("no, I want my balance", 不是的，我想查话费)."""
    lead, taken_back = _leading_answer(text[:MAX_TEXT], language)
    return lead is False and not taken_back


OWN_NEGATORS = {
    "en": ("not", "dont", "doesnt", "isnt", "arent", "wasnt", "never", "havent", "hasnt", "hadnt"),
    "zh": ("不", "没", "并非", "唔", "冇"),  # 唔只係手机: not only the phone
}
OWN_NEGATOR_REACH = 3  # words (characters in Chinese) from a negator to the answer word it turns round


def _own_answer(text: str, language: str, own: Mapping[bool, Sequence[str]]) -> bool | None:
    """The question's own answer words in the text: yes or no by the side said (the longer when both are).

    A negator just before one turns it round: "not all of them" is a no, 不只是我的手机 a yes. Answers of
    both kinds: the longer one counts, as it says more ("okay, I'll give it a go" to an offer is a no).
    """
    chinese = is_chinese(language)
    negators = OWN_NEGATORS["zh" if chinese else "en"]
    found: dict[bool, int] = {}  # polarity -> the longest answer said with it
    for clause in CLAUSE_BREAKS.split(text):  # a negator turns round only its own clause: 不是，只有手机
        norm = normalise(clause, language)
        units = list(norm.replace(" ", "")) if chinese else norm.split()
        for answer, words in own.items():
            for word in words:
                wanted = list(word) if chinese else normalise(word, language).split()
                for at in range(len(units) - len(wanted) + 1):
                    if units[at : at + len(wanted)] != wanted:
                        continue
                    before = units[max(0, at - OWN_NEGATOR_REACH) : at]
                    turned = (
                        any(n in "".join(before) for n in negators)
                        if chinese
                        else bool(set(before) & set(negators))
                    )
                    polarity = answer != turned
                    found[polarity] = max(found.get(polarity, 0), len(wanted))
    if len(found) == 2 and found[True] != found[False]:  # "ok, I'll give it a go": the longer answer says it
        return found[True] > found[False]
    return next(iter(found)) if len(found) == 1 else None


def _own_sides(text: str, language: str, own: Mapping[bool, Sequence[str]]) -> int:
    """How many sides (0, 1 or 2) of the question's own answers the text says."""
    return sum(1 for answer, words in own.items() if _own_answer(text, language, {answer: words}) is not None)


def _phrase(word: str, language: str) -> bool:
    """An answer of several words (three characters or more in Chinese): "something else", 就手机."""
    return len(word) >= 3 if is_chinese(language) else len(word.split()) >= 2


_SECOND_THOUGHTS = re.compile(
    r"\b(?:" + "|".join(re.escape(m) for m in _EN["second_thoughts"]) + r")\b", re.IGNORECASE
)


def _second_thought(text: str, own: Mapping[bool, Sequence[str]] | None) -> bool | None:
    """The answer after the last change of mind when a bare yes or no opens what follows it ("yes, well,
    no... actually yes, it's that again"), else None ("yes, actually no one came" says more than a no).
    The question's own answers after it say more ("yes, actually nope, it's still not fixed" is a yes)."""
    found = list(_SECOND_THOUGHTS.finditer(text))
    if not found:
        return None
    after = [c for c in CLAUSE_BREAKS.split(text[found[-1].end() :]) if c.strip()]
    answer = _bare_answer(normalise(after[0], "en")) if after else None
    told = _own_answer(", ".join(after[1:]), "en", own) if own and answer is not None else None
    return answer if told is None else told


def parse_yes_no(text: str, language: str, own: Mapping[bool, Sequence[str]] | None = None) -> bool | None:
    """True for yes, False for no, None when unclear or when both are heard.

    `own` are words that answer this particular question (a step's `answers`): for "is it on all your
    devices?", "only my phone" is a no and "every one of them" a yes. After a leading yes or no only
    their phrases of several words count ("yeah, it's something else").
    """
    asked, answered = split_clarifying(text, language)
    if asked:  # 什么意思？对，都不行: the 对 answers, not the question's 都不行 (nor its 是)
        thinking = only_thinking(answered, language)  # "hmm, which issue?"
        return parse_yes_no(answered, language, own) if answered and not thinking else None
    norm = normalise(text[:MAX_TEXT], language)
    words = norm.split()
    changed = None if is_chinese(language) else _second_thought(text[:MAX_TEXT], own)
    if changed is not None:
        return changed  # "um, yes, well, no... actually yes, it's that again"
    if any(f" {p} " in f" {norm} " for p in _EN["unclear"]) or any(p in norm for p in _ZH["unclear"]):
        return None
    clauses, nodded = _from_the_answer(text[:MAX_TEXT], language)
    lead, taken_back = _lead_of(clauses, language)
    if taken_back:
        return None  # "sure, but not today": neither a yes nor a no to act on
    after = ", ".join(clauses[1:])  # what follows the answer, the nod before it left out
    if own and nodded and lead is not None and _own_answer(after, language, own) is (not lead):
        return None  # "right, no, it's the same thing": the nod, then both answers; ask again
    if own and lead is not None:
        # An answer phrase of the question's own says more than a leading "yeah", which callers also use
        # to take the turn: "yeah, it's something else" to "the same issue as last time?" is a no. Single
        # words do not: "yes, it just keeps dropping" is a yes to "all your devices?".
        phrases = _own_phrases(own, language)
        said = _own_answer(text[:MAX_TEXT], language, phrases)
        if said is None or _own_sides(text[:MAX_TEXT], language, phrases) == 2:
            return lead  # 不是不是，上次那个早搞定了: both sides named, the leading no decides
        return said
    if lead is not None:
        return lead  # "yes, none of them work": the answer comes first, the rest describes
    said = _own_answer(text[:MAX_TEXT], language, own) if own else None
    if said is not None:
        return said
    if is_chinese(language) and _asks_back(norm):
        return None  # a question back (你说的是什么问题啊): its 是 answers nothing
    signals = _polarity(_unhedged(norm))
    if not signals:
        weak = any(w in WEAK_YES for w in words) or norm.startswith(tuple(_ZH["weak_yes"]))
        # "hmm, which issue was that?": a hmm before a question back is thinking, not a yes
        asked_back = "?" in text[:MAX_TEXT] or any(w in QUESTION_WORDS for w in words)
        return True if weak and not asked_back else None
    if all(signals):
        return True
    if not any(signals):
        return False
    return None


# what acknowledges without answering a question of fact ("okay" to "is it on all your devices?")
ACKNOWLEDGING = {
    "en": ("okay", "ok", "alright", "all right", "fine"),
    "zh": (
        "好的",
        "好吧",
        "好",
        "行",
        "知道了",
        "好的谢谢",
        "好谢谢",
    ),  # the whole turn in Chinese ("不行" is a no)
}


def only_acknowledged(text: str, language: str, own: Mapping[bool, Sequence[str]] | None = None) -> bool:
    """The turn's yes comes only from an acknowledgement ("okay, thanks, I'll check", 好的): no answer to a
    question of fact, though it confirms a read-back."""
    if parse_yes_no(text, language, own) is not True:
        return False
    words = ACKNOWLEDGING["zh" if is_chinese(language) else "en"]
    said = normalise(text[:MAX_TEXT], language)
    if own and said in {normalise(w, language) for w in own.get(True, ())}:
        return False  # the step's own yes ("okay" to an offer: "would you like a technician?")
    if is_chinese(language):
        said = said.replace(" ", "")
        for leaving in ("谢谢", "再见", "拜拜", "没事了"):  # 好的，谢谢，再见: thanks and leave, no answer
            said = said.replace(leaving, "")
        return said.strip("啊呀吧嗯恩哦呢的") in words
    else:
        rest = f" {said} "
        for word in sorted(words, key=len, reverse=True):
            rest = rest.replace(f" {word} ", " ")
        if rest == f" {said} ":
            return False  # no acknowledgement in it: its yes is an answer
    return parse_yes_no(rest, language, own) is None  # "okay, all of them" answers in the step's own words
