"""The warm hand-off briefing: what the agent hears before the caller is connected, at most ~6 s.

How this works: at transfer time the dialogue fills the flow's `briefing` message (a template per
language, built in for en and zh, changeable in the flow YAML) from the hand-off facts: skill, language,
VIP tier, what the caller wants, the collected details and the mood. Speech time is estimated from the
text (espeak-ng at the service's rates speaks about 2.9 English words or 2.6 Chinese characters a second;
a digit string is read digit by digit); when the estimate is above the budget the least important parts
go first: details, then the mood, then the VIP tag. The result is stored in the transfer's context.
"""

from __future__ import annotations

import re
from typing import Any

from ivr.dialogue import catalog
from ivr.dialogue.handoff_context import REASON_DESCRIPTIONS, HandoffFacts, fill
from ivr.dialogue.text import is_chinese

MAX_SECONDS = 6.0
_EN_WORDS_PER_SECOND = 2.9
_ZH_CHARS_PER_SECOND = 2.6  # espeak-ng's cmn voice is slow (measured: 19 characters in 7.2 s)
_ZH_LATIN_WORD_SECONDS = 0.7  # "VIP gold" inside Chinese is spelled out
_LANGUAGE_NAMES = {
    "en": {"en": "English", "zh": "Chinese", "yue": "Cantonese"},
    "zh": {"en": "英语", "zh": "中文", "yue": "粤语"},
}
_UPSET = {"en": "The caller sounds upset.", "zh": "情绪不佳。"}
_WANTS = {"en": "Wants {intent}", "zh": "要{intent}"}
_UPSET_SCORE = -0.3


def spoken_seconds(text: str, language: str) -> float:
    """A rough speaking time of `text` for the length budget (no synthesis needed)."""
    if is_chinese(language):
        latin = re.findall(r"[A-Za-z]+|\d", text)
        chars = re.sub(r"[\s，。；、,.;A-Za-z0-9]", "", text)
        return len(chars) / _ZH_CHARS_PER_SECOND + len(latin) * _ZH_LATIN_WORD_SECONDS
    words = re.findall(r"[A-Za-z']+|\d", text)  # every digit is a word: "12345678" is read digit by digit
    return len(words) / _EN_WORDS_PER_SECOND


def briefing_text(spec: Any, facts: HandoffFacts, skill: str | None) -> str:
    """The briefing in the call's language, within MAX_SECONDS (least important parts dropped first)."""
    language = facts.language if catalog.message(spec, "briefing", facts.language) else spec.default_language
    parts = _parts(spec, facts, skill, language)
    template = catalog.message(spec, "briefing", language) or ""
    text = _tidy(fill(template, parts), language)
    for optional in ("details", "mood", "vip"):
        if spoken_seconds(text, language) <= MAX_SECONDS:
            break
        parts[optional] = ""
        text = _tidy(fill(template, parts), language)
    return text


def briefing_context(spec: Any, facts: HandoffFacts, skill: str | None) -> dict[str, Any]:
    """The `briefing` entry of a transfer's context: text and language."""
    language = facts.language if catalog.message(spec, "briefing", facts.language) else spec.default_language
    return {"text": briefing_text(spec, facts, skill), "language": language}


def _parts(spec: Any, facts: HandoffFacts, skill: str | None, language: str) -> dict[str, str]:
    """The placeholders of the briefing template."""
    zh = is_chinese(language)
    names = _LANGUAGE_NAMES.get("zh" if zh else "en", {})
    skill_words = (spec.skills.get(skill) or {}).get(language) if zh else None
    tier = facts.tier or ""
    vip = ("，贵宾" if zh else f", VIP {tier}") if tier else ""  # tier names are English config words
    if facts.intent_title:
        topic = fill(_WANTS["zh" if zh else "en"], {"intent": _intent_words(spec, facts, language)})
    else:
        topic = REASON_DESCRIPTIONS.get(facts.reason, facts.reason)
        topic = topic[:1].upper() + topic[1:]
    listed = ", ".join(_detail(k, v, zh) for k, v in facts.slots.items())
    details = (("；" if zh else "; ") + listed) if listed else ""
    upset = facts.sentiment_trend == "worsening" or min(facts.sentiment_scores, default=0.0) <= _UPSET_SCORE
    return {
        "skill": skill_words or (skill or "support").replace("_", " ").capitalize(),
        "language_name": names.get(facts.language.split("-")[0], facts.language),
        "vip": vip,
        "topic": topic,
        "details": details,
        "mood": _UPSET["zh" if zh else "en"] if upset else "",
    }


def _detail(name: str, value: Any, zh: bool) -> str:
    """One collected detail; a long number is only said to be there (the screen-pop shows it)."""
    words = name.replace("_", " ")
    if isinstance(value, str) and value.isdigit() and len(value) > 4:
        return f"{words}已提供" if zh else f"{words} given"
    return f"{words} {value}"


def _intent_words(spec: Any, facts: HandoffFacts, language: str) -> str:
    """The intent's title in the briefing language (the English one otherwise)."""
    own = spec.intents.get(facts.intent) if facts.intent else None
    titles = own.title if own is not None else {}
    return titles.get(language) or facts.intent_title or ""


def _tidy(text: str, language: str) -> str:
    """Collapse the gaps empty placeholders leave ("x. ." or trailing spaces)."""
    if is_chinese(language):
        text = re.sub(r"\s*([，。；])\s*", r"\1", text)
        return re.sub(r"。+", "。", text).strip("，； ")
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\s+([.,;])", r"\1", text)
    text = re.sub(r"\.(\s*\.)+", ".", text)
    return text.strip()
