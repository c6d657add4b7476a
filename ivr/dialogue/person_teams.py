"""Departments named as somebody to talk to ("put me through to billing", 转一下财务), not as a topic."""

from __future__ import annotations

from ivr.dialogue.person_words import MAX_TEXT, PersonWords, find, person_words, units_of
from ivr.dialogue.text import CLAUSE_BREAKS, is_chinese

TEAM_LEADS = frozenset(
    {"to", "onto"}
)  # before a team named as somebody to talk to ("get through to billing")
TEAM_VERBS_ZH = frozenset({"转", "找", "接", "叫"})  # just before a short Chinese team name (找财务)
TEAM_VERBS_ZH_MOMENT = frozenset(f"{v}一下" for v in TEAM_VERBS_ZH)  # 转一下财务
TEAM_TALKS = frozenset({"talk", "speak", "chat", "deal", "connect", "connected"})  # "speak with sales", not
# "help with billing"
TEAM_FOR_ME = frozenset({"get", "give"})  # before "me" and a team: "get me billing", not "tell me billing"
# ... ending the clause or before one of these: "get me billing please", not "give me billing for January"
TEAM_FOR_ME_ENDS = frozenset({"please", "now", "thanks", "mate", "love", "then", "asap", "quickly"})
TEAM_OF_PERSON = frozenset({"in", "from"})  # after a person word: "someone in billing", "somebody from sales"
TEAM_ARTICLES = frozenset({"the", "your", "a", "an"})  # may stand between ("through to the sales team")
# "through" without its "to" (the recogniser drops it: "can I get through the billing?") after a verb of
# putting through, not "talk me through the billing" or "go through the billing"
THROUGH_LEADS = frozenset({"get", "put", "straight"})
THROUGH_NEGATIONS = frozenset({"cant", "cannot", "couldnt", "never", "not", "didnt", "wont"})
# a name ending in one of these is a team even right after a request verb or on its own ("I need the sales
# team", "billing department please"; not "I need billing information", not "billing" said alone, which the
# flow's intents answer)
TEAM_NOUNS = frozenset({"department", "team", "desk", "people", "dept"})
# what may follow a team named as somebody to talk to: the name ends its phrase ("to billing please", "to
# billing about my bill"), not "to the billing address", "to the accounts page"
TEAM_FOLLOWERS = frozenset(
    {"please", "about", "for", "regarding", "re", "now", "then", "thanks", "thank", "because", "as", "so",
     "and", "or", "asap", "urgently", "straight", "right", "today", "i", "im", "it", "if", "mate", "love",
     "too", "again", "instead", "cheers", "quickly", "directly"}
)  # fmt: skip


def is_team(
    units: list[str], span: tuple[int, int], persons: list[tuple[int, int]], words: PersonWords, chinese: bool
) -> bool:
    """A department named as somebody to talk to, not as a topic ("my billing is wrong", "help with billing")
    or a thing ("the billing address"): in Chinese always; in English ending its phrase, after "to" or "get
    me", after a verb of talking and "with", after a person and "in" or "from" ("someone in billing"), or, for
    a name ending in department or team, right after a request verb or as all of the clause ("I need the
    sales team", "billing department please")."""
    start, end = span
    if chinese:  # a short name only right after a verb of putting through: 找销售, not 和销售说的不一样
        before = "".join(units[max(0, start - 3) : start])  # 转一下财务: "a moment" may stand between
        return end - start >= 3 or before[-1:] in TEAM_VERBS_ZH or before in TEAM_VERBS_ZH_MOMENT
    if end < len(units) and units[end] not in TEAM_FOLLOWERS:
        return False
    if any(s < end and start < e for s, e in persons):
        return True  # a person word too ("tech support", "engineer"): the clause's reading decides
    lead = start - 1
    while lead >= 0 and units[lead] in TEAM_ARTICLES:
        lead -= 1
    before = units[lead] if lead >= 0 else ""
    if before in TEAM_LEADS or (before == "with" and lead >= 1 and units[lead - 1] in TEAM_TALKS):
        return True
    if before == "me" and lead >= 1 and units[lead - 1] in TEAM_FOR_ME:
        if units[start - 1] in ("a", "an"):
            return False  # "give me a cancellation": a thing
        return end == len(units) or units[end] in TEAM_FOR_ME_ENDS
    if before == "through" and _put_through(units[max(0, lead - 3) : lead]):
        return True
    if before in TEAM_OF_PERSON and any(e == lead for _, e in persons):
        return True
    if units[end - 1] not in TEAM_NOUNS:
        return False
    if any(e == lead + 1 for _, e in find(units, words.verbs, False)):
        return True
    return all(u in words.fillers for u in units[:start] + units[end:])


def _put_through(before: list[str]) -> bool:
    """The (up to three) words before a "through" put the caller through: "get", "put", "straight", "get
    me", "put us"; not after a negation ("I couldn't get through the billing": they tried to read it)."""
    if any(w in THROUGH_NEGATIONS for w in before):
        return False
    if before[-1:] and before[-1] in THROUGH_LEADS:
        return True
    return len(before) >= 2 and before[-1] in ("me", "us") and before[-2] in THROUGH_LEADS


def named_teams(text: str, language: str, teams: tuple[str, ...]) -> list[str]:
    """The flow's department names said as somebody to talk to, in the order said (`is_team`)."""
    chinese = is_chinese(language)
    words = person_words(chinese)
    found: list[tuple[int, int, str]] = []
    for at, part in enumerate(CLAUSE_BREAKS.split(text[:MAX_TEXT])):
        units = units_of(part, language, chinese)
        persons = find(units, words.persons, chinese)
        glue = "" if chinese else " "
        for start, end in find(units, teams, chinese):
            negated = start > 0 and units[start - 1] in ("not", "no")  # "about my bill, not sales"
            if not negated and is_team(units, (start, end), persons, words, chinese):
                found.append((at, start, glue.join(units[start:end])))
    return [name for *_, name in sorted(found)]
