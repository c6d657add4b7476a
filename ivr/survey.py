"""After-call survey: the caller rates the call 1-5 on the keypad (or says the number).

How this works: when the agent hangs up, the dialplan sends the caller to the FastAGI script `survey`,
which runs a CallSession with a SurveyBot. The bot asks once; a digit 1-5 (or "four" / "四") ends the
call with reason `survey-<n>` and a thank-you; any other key or words re-ask once, after which the call
ends unrated; silence twice ends it unrated (`survey-none`). The score goes to the ORIGINAL call's row
(its uuid arrives in the IVR_CALL_UUID channel variable) through store_survey_score, which rides the
store's outbox so a database outage does not lose it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from asr.engine import Alternative
from ivr.bot import Action, CallInfo, Hangup, Say
from ivr.storage.store import CallStore
from ivr.storage.survey_ops import SetSurveyScore

QUESTION = {
    "en": "Please rate this call from 1 to 5 on your keypad, 5 being excellent.",
    "zh": "请在电话按键上为本次通话打分，1到5分，5分表示非常满意。",
}
THANKS = {
    "en": "Thank you for your feedback. Goodbye.",
    "zh": "感谢您的评价，再见。",
}
SORRY = {
    "en": "Sorry, please press a number from 1 to 5.",
    "zh": "抱歉，请按1到5之间的数字。",
}
GOODBYE = {"en": "Thank you for calling. Goodbye.", "zh": "感谢您的来电，再见。"}

_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
}  # fmt: skip
_TOKEN = re.compile(r"[a-z]+|\d+|[一二两三四五]")


def survey_language(language: str) -> str:
    """The prompt language for a call language such as 'zh-CN' (English when we have no prompts)."""
    base = (language or "en").split("-", 1)[0].split("_", 1)[0].lower()
    return base if base in QUESTION else "en"


def spoken_score(text: str, language: str = "en") -> int | None:
    """The 1-5 score in a transcript ("four", "4", "四分"), or None if there is not exactly one."""
    tokens = _TOKEN.findall(text.lower())
    found = {_WORDS.get(tok, int(tok) if tok.isdigit() else 0) for tok in tokens}
    found = {n for n in found if 1 <= n <= 5}
    if found:
        return found.pop() if len(found) == 1 else None
    # The dialogue manager's parser knows more spoken forms; it reads the first number only, so it
    # is asked only when our own scan found no candidate (an ambiguous answer stays unrated).
    try:
        from ivr.dialogue.slots import parse_number
    except ImportError:
        return None
    try:
        value = parse_number(text, language)
    except Exception:  # a parser bug must not end the survey
        return None
    return value if isinstance(value, int) and 1 <= value <= 5 else None


@dataclass
class SurveyBot:
    """Asks for a 1-5 rating; ends the call with reason survey-<n> or survey-none."""

    for_call: str | None = None  # uuid of the call being rated, kept in this leg's meta for audits
    max_retries: int = 1
    max_no_input: int = 2
    score: int | None = field(default=None, init=False)
    language: str = field(default="en", init=False)
    _retries: int = field(default=0, init=False)
    _no_input: int = field(default=0, init=False)

    def start(self, call: CallInfo) -> list[Action]:
        """Ask the question in the call's language."""
        self.language = survey_language(call.language)
        return [self._ask(QUESTION)]

    def on_transcript(
        self, text: str, confidence: float, alternatives: Sequence[Alternative] = ()
    ) -> list[Action]:
        """Accept a spoken number; anything else counts as a wrong answer."""
        if not text.strip():
            return self.on_no_input()
        score = spoken_score(text, self.language)
        return self._rated(score) if score is not None else self._wrong()

    def on_dtmf(self, digit: str) -> list[Action]:
        """1-5 rates the call; other keys re-ask once."""
        if digit in "12345" and len(digit) == 1:
            return self._rated(int(digit))
        return self._wrong()

    def on_no_input(self) -> list[Action]:
        """Ask again after the first silence, give up after the second."""
        self._no_input += 1
        if self._no_input >= self.max_no_input:
            return [Hangup(GOODBYE[self.language], reason="survey-none", language=self.language)]
        return [self._ask(QUESTION)]

    def grammar(self) -> list[str] | None:
        """The words a streaming recogniser should expect."""
        if self.language == "zh":
            return ["一", "二", "三", "四", "五", "[unk]"]
        return ["one", "two", "three", "four", "five", "[unk]"]

    def hints(self) -> list[str] | None:
        """The ratings (a Whisper prompt): the same words without Vosk's unknown-word marker."""
        return [w for w in self.grammar() or [] if w != "[unk]"]

    def call_meta(self) -> dict[str, Any]:
        """This leg's calls.meta: marked as a survey (figures skip it as a new call), with the score."""
        meta: dict[str, Any] = {"kind": "survey"}
        if self.for_call:
            meta["survey_for"] = self.for_call
        if self.score is not None:
            meta["survey_score"] = self.score
        return meta

    def _rated(self, score: int) -> list[Action]:
        """Thank the caller and end with the score as the reason."""
        self.score = score
        return [
            Hangup(
                THANKS[self.language], reason=f"survey-{score}", language=self.language, survey_score=score
            )
        ]

    def _wrong(self) -> list[Action]:
        """Re-ask once, then end unrated."""
        self._retries += 1
        if self._retries > self.max_retries:
            return [Hangup(GOODBYE[self.language], reason="survey-none", language=self.language)]
        return [self._ask(SORRY), self._ask(QUESTION)]

    def _ask(self, prompts: dict[str, str]) -> Say:
        """A prompt the caller may cut short with a key.

        Say.barge_in covers speech and keypad alike; we keep it on so a keypad press stops the
        question at once (a caller who already knows the drill should not wait for it to end).
        """
        return Say(prompts[self.language], barge_in=True, language=self.language)


async def store_survey_score(store: CallStore, call_uuid: str, score: int) -> None:
    """Record `score` (1-5) on the call `call_uuid`; ValueError for another score, never a DB error."""
    await store.submit(SetSurveyScore.for_call(call_uuid, score))
