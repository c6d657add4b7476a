"""What a caller says at a collect step besides the answer: a moment to find it, or not having it.

How this works: lexicons/asides.yaml lists the words. `asks_to_wait` finds a wait ("hang on", "bear with
me", 稍等) and `lacks_answer` a missing answer ("I don't have it to hand", "I can't find my account
number", 我找不到账号). Either counts only when the rest of the turn is courtesy or is about what the
step asks (a content word of its question, or "it"): "wait a minute, I actually want to cancel my
contract" is a new request, "I don't have a pen" is not about the account number. FlowBot answers a wait
with "take your time" and a missing answer with where to find it or a person, and keeps listening.
`continuation` finds a caller going on ("one more thing", "also") at a question that can end the call.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from ivr.dialogue.courtesy import acknowledgements
from ivr.dialogue.text import CLAUSE_BREAKS, HESITATIONS, STOPWORDS, is_chinese, ngrams, normalise, tokens

MAX_TEXT = 2000
LACKING_REACH = 2  # words from the negator to the verb ("I don't actually have it")
POINTING_REACH = 3  # words (characters) from wanting to what points back ("ask for one", "do that for me")
FILLERS = HESITATIONS | {"so"}  # around "yes please" at "anything else?"
# around "I dialled the wrong number" in a turn that says nothing else
MISTAKE_SPARE = FILLERS | {"sorry", "i", "think", "ive", "im", "afraid", "oops", "whoops", "must", "have"}
# around "I'm good" at "anything else?": "yeah I'm good thanks", "no you're alright mate"
FINISHING_SPARE = FILLERS | {"yeah", "yes", "yep", "no", "nah", "nope", "thanks", "thank", "you"}
FINISHING_SPARE |= {"cheers", "mate", "love", "ok", "okay", "great", "lovely", "perfect", "brilliant"}
# around "never mind" at the opening question: "um, actually never mind, thanks", 没事了，谢谢
NEVER_MIND_SPARE = FILLERS | {
    "yeah",
    "yes",
    "no",
    "nah",
    "nope",
    "thanks",
    "thank",
    "you",
    "cheers",
    "sorry",
}
NEVER_MIND_SPARE |= {"ok", "okay", "actually", "really", "mate", "love"}
NEVER_MIND_SPARE_ZH = ("谢谢", "好的", "不好意思", "哦", "嗯", "那")


@dataclass(frozen=True)
class _Words:
    waits: tuple[str, ...]
    negators: tuple[str, ...]
    lacking: tuple[str, ...]
    lost: tuple[str, ...]
    continues: tuple[str, ...]
    more: tuple[str, ...]
    leads: tuple[str, ...]
    wanting: tuple[str, ...]
    points_back: tuple[str, ...]
    finished: tuple[str, ...]
    mistaken: tuple[str, ...]
    where: tuple[str, ...]
    objecting: tuple[str, ...]
    never_mind: tuple[str, ...]
    instead: tuple[str, ...]
    dismissing: tuple[str, ...]
    leaving: tuple[str, ...]
    past: tuple[str, ...]
    points_back_past: tuple[str, ...]
    thanking: tuple[str, ...]
    dismissing_leads: tuple[str, ...]
    clause_openers: tuple[str, ...]
    moving_on: tuple[str, ...]
    redirects: tuple[str, ...]


@cache
def _words(chinese: bool) -> _Words:
    data = yaml.safe_load((Path(__file__).parent / "lexicons" / "asides.yaml").read_text("utf-8"))
    lang = "zh" if chinese else "en"
    keys = ("waits", "negators", "lacking", "lost", "continues", "more", "leads", "wanting", "points_back")
    keys += ("finished", "mistaken", "where", "objecting", "never_mind", "instead", "dismissing")
    keys += ("leaving", "past", "points_back_past", "thanking", "dismissing_leads", "clause_openers")
    keys += ("moving_on", "redirects")
    return _Words(*(tuple(normalise(str(w), lang) for w in data[lang].get(k) or []) for k in keys))


def asks_to_wait(text: str, language: str, question: str) -> bool:
    """The caller asks for a moment to find the answer to `question` ("hang on, let me find it", 稍等)."""
    found, rest = _found(text, language, _words(is_chinese(language)).waits)
    return bool(found) and _about(rest, language, question)


def lacks_answer(text: str, language: str, question: str) -> bool:
    """The caller does not have the answer to `question` ("I don't have it to hand", 我找不到账号)."""
    chinese = is_chinese(language)
    words = _words(chinese)
    if chinese:
        found, rest = _found(text, language, (*words.lacking, *words.lost))
        return bool(found) and _about(rest, language, question, pronoun=False)
    units = normalise(text[:MAX_TEXT], language).split()
    for i, unit in enumerate(units):
        # "I forgot it" may be any thing named before; "I don't have it (to hand)" is the thing asked for
        lacking = unit in words.lacking and _negated_before(units, i, words.negators)
        if lacking or unit in words.lost:
            return _about(" ".join(units[i + 1 :]), language, question, pronoun=lacking, strict=True)
    return False


def redirects(text: str, language: str) -> bool:
    """The clause turns to what the call is really about ("it's about my internet actually", 其实是网络的),
    rather than explaining why an answer is missing ("the internet is down so I can't log in")."""
    return bool(_found(text, language, _words(is_chinese(language)).redirects)[0])


def asks_where(text: str, language: str, question: str) -> bool:
    """The caller asks where to find the answer to `question` ("where would I find that?", 账号在哪儿看)."""
    found, rest = _found(text, language, _words(is_chinese(language)).where)
    return bool(found) and _about(rest, language, question) and _only_about(rest, language, question)


def objects(text: str, language: str) -> bool:
    """The caller says they meant or asked something else ("no, I meant the shops", 我问的是营业厅), and
    does not take leave in the same turn ("... but okay, that's all thanks")."""
    words = _words(is_chinese(language))
    return bool(_found(text, language, words.objecting)[0]) and not _found(text, language, words.leaving)[0]


def has_more(text: str, language: str) -> bool:
    """The whole turn says yes to "anything else?" ("oh yes please", 有的); "okay" alone does not."""
    said = normalise(text[:MAX_TEXT], language)
    if is_chinese(language):
        said = said.replace(" ", "").strip("啊呀吧嗯恩哦呢")
    else:
        said = " ".join(w for w in said.split() if w not in FILLERS)
    return said in _words(is_chinese(language)).more


def without_waits(text: str, language: str) -> str:
    """The turn less its requests for a moment ("sure, hang on... it's 4 5 6" is "sure, it's 4 5 6")."""
    found, rest = _found(text, language, _words(is_chinese(language)).waits)
    return rest.strip() if found else text


def has_finished(text: str, language: str) -> bool:
    """The whole turn says no more ("yeah I'm good", "I'm fine thanks", 就这些), fillers and thanks aside."""
    thanks = ("谢谢你", "谢谢", "谢了", "唔该晒", "唔该")
    return _whole_turn(text, language, "finished", FINISHING_SPARE, thanks)


def rang_by_mistake(text: str, language: str) -> bool:
    """The whole turn says the caller dialled the wrong number ("oh sorry, I think I dialled wrong")."""
    return _whole_turn(text, language, "mistaken", MISTAKE_SPARE, ("不好意思", "对不起", "抱歉", "我"))


def said_now(text: str, language: str) -> tuple[str, str] | None:
    """(the clauses about an earlier matter, the others) when the turn has both ("I got a refund back in
    January, but now I can't log into the app"), or (what comes before, the clauses from the last that moves
    on to another matter: "while I've got you, ...", 顺便问一下...); None otherwise."""
    chinese = is_chinese(language)
    words = _words(chinese)
    read = [(c, normalise(c, language)) for c in CLAUSE_BREAKS.split(text[:MAX_TEXT])]
    clauses, said_ones = [c for c, n in read if n.strip()], [n for _, n in read if n.strip()]
    joiner = "，" if chinese else ", "
    for at in range(len(clauses) - 1, 0, -1):  # "..., and while I'm at it, how much is my bill?": the last
        later = said_ones[at:]  # (顺便说一下我上个月退过款 tells of the past: no request)
        told_past = any(_says(c, chinese, words.past) for c in later)
        if _says(later[0], chinese, words.moving_on) and not told_past:
            return joiner.join(clauses[:at]), joiner.join(clauses[at:])
    then, now = [], []
    for clause in CLAUSE_BREAKS.split(text[:MAX_TEXT]):
        said = normalise(clause, language)
        if not said.strip():
            continue
        # "a refund for last time" asks about it now
        earlier = _says(said, chinese, words.past, unless="for ")
        if not earlier and _says(said, chinese, words.thanking):
            continue  # "so thanks for that": of the earlier matter, asking nothing
        if not earlier and _says(said, chinese, words.points_back_past):
            return None  # "..., how much is that": still about the earlier matter
        (then if earlier else now).append(clause)
    return (joiner.join(then), joiner.join(now)) if then and now else None


def _says(said: str, chinese: bool, entries: tuple[str, ...], unless: str = "") -> bool:
    """A normalised clause holds one of the entries (English: as whole words, not right after `unless`)."""
    if chinese:
        return any(w in said.replace(" ", "") for w in entries)
    padded = f" {said} "
    return any(f" {w} " in padded and not (unless and f" {unless}{w} " in padded) for w in entries)


def said_instead(text: str, language: str) -> str | None:
    """What follows the last words that take back what was said ("my bill, no sorry, my internet" ->
    "my internet", 账单，哦不对，是网 -> 是网); None when nothing is taken back or nothing follows."""
    said = normalise(text[:MAX_TEXT], language)
    if is_chinese(language):
        said = said.replace(" ", "")
        ends = [said.rfind(w) + len(w) for w in _words(True).instead if w in said]
    else:
        padded = f" {said} "
        ends = [padded.rfind(f" {w} ") + len(w) + 1 for w in _words(False).instead if f" {w} " in padded]
        said = padded
    rest = said[max(ends) :].strip() if ends else ""
    return rest or _after_dismissed(text, language)


def _after_dismissed(text: str, language: str) -> str | None:
    """The clauses after the last one that sets a topic aside ("actually forget the bill, my internet's
    down" -> "my internet's down", 先别管账单了，网断了 -> 网断了); None when none does or nothing follows."""
    parts = [p for p in CLAUSE_BREAKS.split(text[:MAX_TEXT]) if p.strip()]
    words = _words(is_chinese(language))
    for i in range(len(parts) - 1, -1, -1):
        if _found(parts[i], language, words.dismissing)[0]:
            after = ("" if is_chinese(language) else ", ").join(parts[i + 1 :]).strip()
            return after or (None if is_chinese(language) else _unbroken_rest(parts[i], words))
    return None


def _unbroken_rest(clause: str, words: _Words) -> str | None:
    """What follows the topic set aside in a clause said without a break, from the first word after it
    that opens a clause ("forget the password i'd rather sort out a plan" -> "id rather sort out a plan")."""
    said = normalise(clause, "en").split()
    padded = " ".join(said)
    for phrase in words.dismissing:
        at = f" {padded} ".find(f" {phrase} ")
        if at < 0:
            continue
        before = padded[:at].split()
        if any(w not in words.dismissing_leads for w in before):
            return None  # "I forget the password I set": the verb, no topic set aside
        start = len(before) + len(phrase.split()) + 1  # at least one word of the topic
        opener = next((n for n in range(start, len(said)) if said[n] in words.clause_openers), None)
        return " ".join(said[opener:]) if opener is not None else None
    return None


def needs_nothing(text: str, language: str) -> bool:
    """Every part of the turn says the caller needs nothing after all, or is courtesy ("um, actually
    never mind, thanks", "no, I'm fine, I don't need anything", 没事了，谢谢); one part at least says so."""
    said = False
    for part in CLAUSE_BREAKS.split(text[:MAX_TEXT]):
        if _whole_turn(part, language, "never_mind", NEVER_MIND_SPARE, NEVER_MIND_SPARE_ZH):
            said = True
            continue
        finished = _whole_turn(part, language, "finished", NEVER_MIND_SPARE, NEVER_MIND_SPARE_ZH)
        if not finished and _without(part, language, NEVER_MIND_SPARE):
            return False  # a part that says something else: "never mind the bill, my internet is down"
    return said


def _without(part: str, language: str, spare: frozenset[str]) -> str:
    """The part without its spare words (English) or as it is (Chinese): what is left to read."""
    if is_chinese(language):
        return normalise(part, language).replace(" ", "").strip("啊呀吧嗯恩哦呢的谢")
    return " ".join(w for w in normalise(part, language).split() if w not in spare)


def _whole_turn(
    text: str, language: str, kind: str, spare: frozenset[str], spare_zh: tuple[str, ...]
) -> bool:
    """The turn, less `spare` words around it (`spare_zh` anywhere in Chinese), is a `kind` entry."""
    said = normalise(text[:MAX_TEXT], language)
    chinese = is_chinese(language)
    if chinese:
        said = said.replace(" ", "").strip("啊呀吧嗯恩哦呢的")
        for word in spare_zh:
            said = said.replace(word, "")
    else:
        units = said.split()
        while units and units[0] in spare:
            units.pop(0)
        while units and units[-1] in spare:
            units.pop()
        said = " ".join(units)
    return said in getattr(_words(chinese), kind)


def wants_what_was_told(text: str, language: str) -> bool:
    """Wanting what was just told of: "okay, I'd like to ask for one then", 那我要申请一个."""
    words = _words(is_chinese(language))
    said = normalise(text[:MAX_TEXT], language)
    if is_chinese(language):
        said = said.replace(" ", "")
        for want in (w for w in words.wanting if w in said):
            at = said.find(want)
            after = said[at + len(want) : at + len(want) + POINTING_REACH + 1]
            if not said[:at].endswith(("不", "没")) and any(back in after for back in words.points_back):
                return True
        return False
    units = said.split()
    for want in words.wanting:
        size = len(want.split())
        for at in range(len(units) - size + 1):
            after = units[at + size : at + size + POINTING_REACH]
            if " ".join(units[at : at + size]) != want or _negated_before(units, at, words.negators):
                continue  # "I don't want that"
            if any(u in words.points_back for u in after):
                return True
    return False


def continuation(text: str, language: str) -> str | None:
    """What follows "one more thing" (or 还有一个问题, "also") opening a clause; None when no clause opens so.

    Only at a clause's start, after fillers or a yes or no: "my bill is also wrong" goes on about the bill.
    """
    chinese = is_chinese(language)
    entries = _words(chinese).continues
    lead = acknowledgements(language) | set(_words(chinese).leads)
    clauses = [normalise(c, language) for c in CLAUSE_BREAKS.split(text[:MAX_TEXT])]
    for at, clause in enumerate(clauses):
        if chinese:
            said = clause.replace(" ", "")
            found = next((w for w in entries if said.startswith(w)), None)
            if found is not None:
                rest = "".join(c.replace(" ", "") for c in [said[len(found) :], *clauses[at + 1 :]])
                return rest if rest.strip("啊呀吧嗯恩哦呢的") else ""
            continue
        words = clause.split()
        start = 0
        while start < len(words) and words[start] in lead:
            start += 1
        opening = " ".join(words[start:]) + " "
        found = next((w for w in entries if opening.startswith(w + " ")), None)
        if found is not None:
            rest = [*words[start + len(found.split()) :], *(w for c in clauses[at + 1 :] for w in c.split())]
            filler = _courtesy(language) | {"actually", "yes", "yeah"}
            # "there is one more thing actually": nothing more said yet
            return " ".join(rest) if any(w not in filler for w in rest) else ""
    return None


def _negated_before(units: list[str], at: int, negators: tuple[str, ...]) -> bool:
    """A negator ends within LACKING_REACH words before `at` ("don't have", "don't actually have")."""
    before = " ".join(units[max(0, at - LACKING_REACH - 2) : at])
    return any(f" {n} " in f" {before} " for n in negators)


def _found(text: str, language: str, entries: tuple[str, ...]) -> tuple[list[str], str]:
    """The entries said, and the turn without them."""
    said = normalise(text[:MAX_TEXT], language)
    if is_chinese(language):
        said = said.replace(" ", "")
        found = [w for w in entries if w in said]
        for w in sorted(found, key=len, reverse=True):  # 在哪里能看到 whole, not its 在哪 with 里能看到 left
            said = said.replace(w, " ")
        return found, said
    found = [w for w in entries if f" {w} " in f" {said} "]
    rest = f" {said} "
    for w in sorted(found, key=len, reverse=True):
        rest = rest.replace(f" {w} ", " ")
    return found, rest


def _about(rest: str, language: str, question: str, pronoun: bool = False, strict: bool = False) -> bool:
    """The rest of the turn is courtesy (unless `strict`) or names what the question asks (or "it")."""
    if is_chinese(language):
        asked = set(ngrams(question, language))
        if any(g in asked for part in rest.split() for g in ngrams(part, language)):
            return True
        return not strict and not rest.strip()
    asked = {w for w in tokens(question, language) if len(w) > 3 and w not in STOPWORDS}
    words = rest.split()
    if any(w in asked for w in words) or (pronoun and "it" in words):
        return True
    return not strict and not [w for w in words if w not in _courtesy(language)]


def _only_about(rest: str, language: str, question: str) -> bool:
    """Nothing in the rest of the turn but courtesy and the question's own words ("my account number"):
    "where's my account number, I want to change my plan" says more than where."""
    if is_chinese(language):
        said = rest.replace(" ", "")
        for gram in sorted(set(ngrams(question, language)), key=len, reverse=True):
            said = said.replace(gram, "")
        return len(said.strip("啊呀吧嗯哦呢的我看找")) <= 2
    asked = set(tokens(question, language))
    return all(w in asked or w in _courtesy(language) for w in rest.split())


def _courtesy(language: str) -> frozenset[str]:
    """Words that say nothing of their own in a turn ("oh okay", "the", "please", "sorry")."""
    return acknowledgements(language) | STOPWORDS | {"please", "sorry"}
