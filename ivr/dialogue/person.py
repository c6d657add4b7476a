"""Is the caller asking for a person? Read at word level, so a mention is not a request.

How this works: the turn is cut into clauses at punctuation. In each clause the patterns of
lexicons/person.yaml are found (English as whole words, Chinese as character substrings): person words
("agent", "somebody", 人工, 领导), machine words ("robot", 机器人), request verbs just before a person
("can I *get* a human", 叫你们领导), requests that need no person ("transfer me", 找个人), negators,
questions about the bot or a procedure ("are you a real person?", "do I have to talk to someone to...")
and markers of the past ("the agent I spoke to yesterday"). A clause asks for a person when it refuses a
machine ("I'm not talking to a robot"), has a direct request or a request verb before a person that is
not negated, or is nothing but person words and fillers ("agent agent agent", "a human please"). It does
not when the request is negated ("I don't need an agent", 不用转人工), when it is a question about the
bot or a procedure (in Chinese also a clause about a machine that ends in 吗), when the person is to do
work rather than talk ("send somebody out to fix my line", 找个人来修一下: a visit or a repair, the flow's
intents decide), or when a person is only mentioned (in the past, or in English after a possessive: "my
mobile agent", with no request verb). `verdict()` is True when any clause asks, False when none asks and
one says no, and None (no opinion: the intent matcher decides) otherwise. In English also: a person and a
machine joined by "or" is a question about the bot (a clause "or a machine" joins the one before it); a
machine is refused only with the negator just before it or a verb of talking or wanting between; "the
<person>" opening a clause, then what they did or a clause of the past, is a mention; a negated question
that demands ("can I not just speak to someone?") asks; a clause-opening "not" right before a request
verb is the recogniser's "just"; and advice somebody gave, set aside with "but I only/just want..." ("my son
said to ask for a human, but I only want my balance"), leaves what follows the "but" to decide.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ivr.dialogue.person_teams import is_team
from ivr.dialogue.person_words import MAX_TEXT, PersonWords, find, person_words, units_of
from ivr.dialogue.text import CLAUSE_BREAKS, is_chinese

VERB_WINDOW = 6  # words (characters in Chinese) a request verb may stand before the person
NEGATOR_REACH = 2  # units a negator may stand before the verb or direct request it takes back
MACHINE_REACH = 6  # units a negator may stand before a machine it refuses ("don't want to talk to a robot")
EXPERIENCED = frozenset("找问打转叫接说讲聊试询映系")  # before 过: asked, called, transferred once
PAST_MARK_REACH = 2  # characters after a Chinese person word to a 过 that puts the request in the past
OWNER_REACH = 2  # words from a possessive to the person it owns ("my mobile agent")
# not "your" or "our": "I'd like your supervisor", "can one of your agents help me" ask for the company's
POSSESSIVES = frozenset({"my", "his", "her", "their"})
PAST_NEEDS = (["had", "to"], ["used", "to"])  # before a request verb: something once done, not asked now
PAST_GOES = (["came", "to"], ["went", "to"])  # ... in a clause of the past: "last time I came to talk to"
SUPPOSED_TALKS = frozenset({"talk", "speak", "chat"})  # a supposed call is to talk to somebody
ERRAND_REACH = 2  # units from a person to the work they are to do ("someone to fix", not "to help me fix")
ALTERNATIVE_GAP = 2  # units between a person and a machine joined by "or" ("person, or a machine")
REFUSAL_REACH = 3  # units a negator may stand before a machine it refuses on its own ("not a robot")
# "my son said to ask for a human, but honestly I only want to know what I owe": advice somebody gave, set
# aside for what the caller wants, which follows ("they told me to speak to someone but I just want my bill")
ADVICE_SET_ASIDE = re.compile(
    r"\b(?:said|says|told|tells|thinks|reckons|suggested|advised)\b"
    r"[^.?!]*?\bbut\b(?=(?:\W+\w+){0,5}?\W+(?:only|just)\W+(?:want|need|wanted|needed)\b)",
    re.IGNORECASE,
)


def _question(units: list[str], words: PersonWords, chinese: bool) -> bool:
    """A question about the bot or a procedure: anywhere in Chinese, after leading fillers in English."""
    if chinese:  # ... unless a request verb follows it: 周末有人工吗我要转 (no punctuation between) asks
        text = "".join(units)
        found = [text.find(q) + len(q) for q in words.questions if q in text]
        rest = text[min(found) :] if found else ""
        return bool(found) and not any(v in rest for v in words.verbs)
    text = " " + " ".join(units[_lead(units, words) :]) + " "
    return any(text.startswith(f" {q} ") for q in words.questions)


def _clause(
    units: list[str],
    words: PersonWords,
    chinese: bool,
    followed: bool = False,
    whole: bool = False,
    teams: tuple[str, ...] = (),
) -> bool | None:
    """One clause: True asks for a person, False says it does not, None has no opinion.

    `followed`: the next clause tells of the past ("the agent, I spoke to last week"). `whole`: the clause
    is the whole turn. `teams`: the flow's department names, somebody to talk to where `is_team` says so.
    """
    if _question(units, words, chinese):
        return False  # "are you a real person?", "who am I speaking to", "do I have to talk to someone to"
    spans = {k: find(units, getattr(words, k), chinese) for k in ("machines", "direct", "verbs", "negators")}
    # a verb inside a negator is part of it (要 in 不需要)
    spans["verbs"] = [v for v in spans["verbs"] if not any(s <= v[0] < e for s, e in spans["negators"])]
    blocked = find(units, words.not_persons, chinese)
    persons = [p for p in find(units, words.persons, chinese) if not any(s <= p[0] < e for s, e in blocked)]
    persons = sorted(
        persons
        + [
            t
            for t in find(units, teams, chinese)
            if not any(s < t[1] and t[0] < e for s, e in persons)
            and is_team(units, t, persons, words, chinese)
        ]
    )
    errands = find(units, words.errands, chinese)
    talks = find(units, words.talk, chinese)

    def errand(span: tuple[int, int]) -> bool:  # "send somebody out to fix my line": a visit, not a talk
        talked = any(start <= span[0] and span[0] - end <= ERRAND_REACH for start, end in talks)
        return not talked and any(0 <= start - span[1] <= ERRAND_REACH for start, _ in errands)

    sent = [p for p in [*persons, *spans["direct"]] if errand(p)]
    persons = [p for p in persons if p not in sent]
    spans["direct"] = [d for d in spans["direct"] if d not in sent]
    if not persons and not spans["machines"] and not spans["direct"]:
        return False if sent else None

    # "why won't you let me talk to a person", "can I not just speak to someone?", 为什么不让我找人工: a
    # demand, its negation is rhetorical
    opening = " ".join(units) + " "
    rhetorical = (
        "".join(units).startswith(("为什么", "为啥"))
        if chinese
        else units[0] == "why" or opening.startswith(tuple(d + " " for d in words.demands))
    )
    # A "not" opening the clause right before a request is the recogniser's "just" ("not put me through to
    # a person", "not give me a human"): nobody says it so, and read as a negation it loses the request.
    # Only a turn of one clause, with a person after the verb and no other negator: "Not give me a human."
    misheard = {
        (s, e)
        for s, e in spans["negators"]
        if whole
        and not chinese
        and s == 0
        and units[s:e] == ["not"]
        and len(spans["negators"]) == 1
        and any(v[0] == e for v in spans["verbs"])
        and any(p[0] > e for p in persons)
    }

    def negated(at: int, reach: int) -> bool:
        return not rhetorical and said_no(at, reach)

    def said_no(at: int, reach: int) -> bool:  # a machine refused stays refused in a demand
        return any(
            0 <= at - end <= reach - 1 for start, end in spans["negators"] if (start, end) not in misheard
        )

    if not chinese and _asks_hours(units, persons, spans["verbs"], words):
        return False  # "what time do your agents finish": the opening hours, not a request
    if not chinese and _alternative(units, persons, spans["machines"]):
        return False  # "a real person or a machine?" (the question's "is this" often misheard): about the bot
    if any(_refused(units, start, words, chinese, said_no) for start, _ in spans["machines"]):
        return True  # "I'm not talking to a robot", 我不想跟机器说话
    if spans["machines"] and not persons and not spans["direct"] and units[-1] in words.question_ends:
        return False  # 我是在跟电脑说话吗: a question about the bot
    if spans["direct"]:
        return not negated(spans["direct"][0][0], NEGATOR_REACH)
    if not persons:
        return None
    if not chinese and all(_self_described(units, start, words) for start, _ in persons):
        return False  # "I'm an agent for a property company", "I work as an insurance agent": what they are
    said: list[bool] = []  # every person word: "I spoke to an agent and I want a supervisor" asks
    # "last time I had to talk to an agent": what the caller once had to do, not a request
    once = PAST_NEEDS + PAST_GOES if not chinese and find(units, words.past_times, False) else PAST_NEEDS
    for start, end in persons:
        # measured from the verb's last word: "explain the whole thing to one of the technicians"
        verbs = [v for v in spans["verbs"] if start - VERB_WINDOW <= v[1] - 1 and v[0] < start]
        verbs = [v for v in verbs if chinese or units[max(0, v[0] - 2) : v[0]] not in once]
        # 上周找客服问过: a past time, then 过 marks something once done ("had asked an agent"), not a request
        verbs = [v for v in verbs if not chinese or not _done_before(units, v[0], end, words)]
        if verbs:
            said.append(not any(negated(v[0], NEGATOR_REACH) for v in verbs))
        elif negated(start, NEGATOR_REACH + 1):
            said.append(False)  # "not an agent", 不要人工
    if said:
        return any(said)
    rest = [u for i, u in enumerate(units) if not any(s <= i < e for s, e in persons)]
    if chinese:
        rest_text = "".join(rest)
        for filler in sorted(words.fillers, key=len, reverse=True):
            rest_text = rest_text.replace(filler, "")
        bare = not rest_text
    else:
        bare = all(u in words.fillers for u in rest)
    if not chinese and _subject(units, persons, words, followed):
        # "the agent was rude", "The Agent, I spoke to last week": someone who did something
        return False
    if bare:
        return True  # "agent agent agent", "a real person please", 人工人工
    if find(units, words.past, chinese):
        return False  # "the agent I spoke to yesterday was helpful", 上次那个客服
    if not chinese and any(_owned(units, start) for start, _ in persons):
        # "my mobile agent being touched" (misheard "my mobile data's been patchy"), "my brother's agent":
        # someone's person, not one asked for. Left to the intent matcher, the keyword alone
        # handed such callers over. Other clauses keep no opinion: many requests have no verb before the
        # person ("operator for billing please", "is an agent available").
        return False
    return None


def _alternative(units: list[str], persons: list[tuple[int, int]], machines: list[tuple[int, int]]) -> bool:
    """A person and a machine joined by "or" ("a person or a machine", "a bot or a human"): a question."""
    pairs = [(a, b) for a in persons for b in machines] + [(b, a) for a in persons for b in machines]
    return any(
        0 <= second[0] - first[1] <= ALTERNATIVE_GAP and "or" in units[first[1] : second[0]]
        for first, second in pairs
    )


def _asks_hours(
    units: list[str], persons: list[tuple[int, int]], verbs: list[tuple[int, int]], words: PersonWords
) -> bool:
    """A question when they work (English): "what time do your agents finish", "are they in on Sundays"."""
    if not persons or find(units[persons[0][1] :], words.impatient, False):
        return False  # "when are your agents going to answer": wanted now
    first = persons[0][0]
    for _, end in find(units[:first], words.asks_when, False):
        if not any(end <= v < first for v, _ in verbs):  # "when can I speak to someone" asks (a verb between)
            return True
    lead = _lead(units, words)
    opens = lead < len(units) and units[lead] in words.hours_leads
    # "do you work weekends because I need an agent" asks; "is there anyone in on Sundays" does not
    asking = [v for v, e in verbs if " ".join(units[v:e]) not in ("is there", "are there")]
    return opens and not asking and bool(find(units, words.off_hours, False))


def _lead(units: list[str], words: PersonWords) -> int:
    """Where the clause starts after its fillers ("um, so what time...")."""
    lead = 0
    while lead < len(units) and units[lead] in words.fillers:
        lead += 1
    return lead


def _refused(
    units: list[str], at: int, words: PersonWords, chinese: bool, negated: Callable[[int, int], bool]
) -> bool:
    """A machine the caller refuses: "not a robot", "I won't talk to a machine", not "not good with it"."""
    if not negated(at, MACHINE_REACH):
        return False
    between = range(at - MACHINE_REACH, at)
    refusing = any(v in between for v, _ in find(units, words.refusing, chinese))
    if not refusing and any(h in between for h, _ in find(units, words.having, chinese)):
        return False  # "I don't have a computer": something the caller lacks
    if negated(at, REFUSAL_REACH):
        return True  # "not a robot", 不要机器
    # further away, a verb of talking or wanting must stand between: "I don't want to talk to a machine"
    return refusing


def _subject(units: list[str], persons: list[tuple[int, int]], words: PersonWords, followed: bool) -> bool:
    """ "The <person>" opening the clause, then what they did: "the agent was rude", "the agent, I spoke"."""
    if len(units) < 2 or units[0] != "the" or not persons or persons[0][0] != 1:
        return False
    after = units[persons[0][1] :]
    if not after:
        return followed
    return bool(find(after, words.did, False) or find(after, words.past, False))


def _self_described(units: list[str], start: int, words: PersonWords) -> bool:
    """ "I'm an agent", "I work as an insurance agent": the caller says what they are (English)."""
    for article in (start - 1, start - 2):  # perhaps one word ("insurance") between
        if article >= 1 and units[article] in ("a", "an"):
            return any(" ".join(units[max(0, article - n) : article]) in words.being for n in (1, 2))
    return False


def _done_before(units: list[str], verb: int, person_end: int, words: PersonWords) -> bool:
    """A Chinese request once made: a past time before the verb, then 过 of experience after a verb of
    asking (找过, 问过); not 过 of direction (转过来), of time passing (过了十分钟), nor in a word (过户)."""
    if not find(units[:verb], words.past_times, True):
        return False
    near = units[verb : person_end + PAST_MARK_REACH]
    return any(
        u == "过"
        and i > 0
        and near[i - 1] in EXPERIENCED
        and near[i + 1 : i + 2] not in (["来"], ["去"], ["户"])
        for i, u in enumerate(near)
    )


def _owned(units: list[str], start: int) -> bool:
    """A caller's possessive just before the person (English): "my mobile agent", "his agent"."""
    return any(u in POSSESSIVES for u in units[max(0, start - OWNER_REACH) : start])


def _join_alternatives(clauses: list[list[str]], words: PersonWords) -> list[list[str]]:
    """A clause "or <a machine>" joined to the one before it."""
    joined: list[list[str]] = []
    for units in clauses:
        if joined and units[0] == "or" and find(units, words.machines, False):
            joined[-1] = joined[-1] + units
        else:
            joined.append(units)
    return joined


def _tells_of_past(rest: list[list[str]], words: PersonWords, chinese: bool) -> bool:
    """The next clause tells of the past: "the agent, I spoke to last week" (not "it is urgent")."""
    return bool(rest) and bool(find(rest[0], words.past, chinese))


def _supposes_call(units: list[str], rest: list[list[str]], words: PersonWords) -> bool:
    """A clause supposing a later call before one asking when (English): an opening-hours question."""
    if not rest or not find(units[: _lead(units, words) + 4], words.supposing, False):
        return False
    if not any(u in SUPPOSED_TALKS for u in units):  # "if I need an engineer, when can they come" asks
        return False
    lead = _lead(rest[0], words)
    if rest[0][lead : lead + 1] in (["when"], ["whens"]):  # "when the next time to call" (misheard) too
        return True
    asked = find(rest[0], words.asks_when, False)
    return bool(asked) and asked[0][0] == lead


def verdict(text: str, language: str, teams: tuple[str, ...] = ()) -> bool | None:
    """True: the turn asks for a person; False: it mentions one without asking; None: no opinion.

    `teams`: the flow's department names, normalised (ivr.dialogue.departments).
    """
    chinese = is_chinese(language)
    words = person_words(chinese)
    if not chinese and (advice := ADVICE_SET_ASIDE.search(text[:MAX_TEXT])):
        return verdict(text[advice.end() :], language, teams) or False
    found: list[bool] = []
    clauses = [units_of(part, language, chinese) for part in CLAUSE_BREAKS.split(text[:MAX_TEXT])]
    clauses = [units for units in clauses if units]
    if not chinese:  # "a real person, or a machine": one alternative, however the comma fell
        clauses = _join_alternatives(clauses, words)
    for at, units in enumerate(clauses):
        if not chinese and _supposes_call(units, clauses[at + 1 :], words):
            found.append(False)  # "if I wanted to chat to a real person later on, when's the best time?"
            continue
        followed = _tells_of_past(clauses[at + 1 :], words, chinese)
        said = _clause(units, words, chinese, followed=followed, whole=len(clauses) == 1, teams=teams)
        if said is not None:
            found.append(said)
    if any(found):
        return True
    return False if found else None
