"""What the session asks of a bot, and the simple echo bot that runs until the dialogue manager lands.

A bot is pure: the session tells it what happened (call start, a transcript, a keypad digit, silence)
and it answers with actions (say something, transfer, hang up). It never touches audio or sockets,
so it is tested at text level and the session stays the only owner of the call's tasks.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from asr.engine import Alternative
from ivr.vocabulary import TransferReason


@dataclass(frozen=True)
class PreviousCall:
    """One earlier call of the same caller number, for caller memory and the screen-pop."""

    call_uuid: str
    started_at: datetime
    language: str
    outcome: str | None
    intent: str | None = None
    open_issue: bool = False  # transferred or abandoned and not marked resolved


@dataclass(frozen=True)
class CallInfo:
    """What the bot knows about the caller when the call starts."""

    call_uuid: str
    caller_number: str | None
    caller_name: str | None
    language: str
    history: tuple[PreviousCall, ...] = ()  # newest first
    returning_to_bot: bool = False  # an agent sent the caller back to the bot (AMI Redirect)
    resume: dict[str, Any] | None = None  # with returning_to_bot: {mode, context, notes} (ivr.returning)


@dataclass(frozen=True)
class Say:
    """Speak a sentence; `barge_in`: may the caller interrupt it; `language` overrides the call's."""

    text: str
    barge_in: bool = True
    language: str | None = None


@dataclass(frozen=True)
class Transfer:
    """Hand the caller to a human queue, after speaking `notice` (never interruptible).

    `summary` (two lines) and `context` (intent, slots, answers tried, sentiment trend, reason...) are
    stored with the transfer for the agent's screen-pop.
    """

    queue: str
    reason: str
    notice: str
    priority: int = 0
    summary: str = ""
    context: dict[str, Any] = field(default_factory=dict)
    language: str | None = None


@dataclass(frozen=True)
class Callback:
    """The caller accepted a callback: speak `notice`, store the request (keeps their place), hang up."""

    queue: str
    reason: str
    notice: str
    number: str
    priority: int = 0
    summary: str = ""
    context: dict[str, Any] = field(default_factory=dict)
    language: str | None = None


@dataclass(frozen=True)
class Hangup:
    """End the call after `goodbye` has been spoken."""

    goodbye: str = ""
    reason: str = "goodbye"
    language: str | None = None
    survey_score: int | None = None  # an after-call survey's rating (1-5), kept with the call rated


Action = Say | Transfer | Callback | Hangup


class Bot(Protocol):
    """The dialogue side of a call: events in, actions out."""

    def start(self, call: CallInfo) -> list[Action]:
        """Actions to run when the caller is connected (the greeting)."""

    def on_transcript(
        self, text: str, confidence: float, alternatives: Sequence[Alternative] = ()
    ) -> list[Action]:
        """Actions after the caller said `text` (the recogniser's best; `alternatives` are its n-best)."""

    def on_dtmf(self, digit: str) -> list[Action]:
        """Actions after the caller pressed a key."""

    def on_no_input(self) -> list[Action]:
        """Actions after the caller stayed silent for the no-input time."""

    def grammar(self) -> list[str] | None:
        """Phrases the current step expects (a Vosk grammar), or None for free speech."""

    def hints(self) -> list[str] | None:
        """Words the caller is likely to say now, most important first (biases Whisper), or None."""


_PERSON_WORDS = re.compile(r"\b(agent|human|operator|person|representative|someone)\b|人工|转人工|客服")
_GOODBYE_WORDS = re.compile(r"\b(goodbye|bye|hang up|that's all|nothing else)\b|再见")


@dataclass
class EchoBot:
    """Greets, repeats what it heard, and hands over to a person on request or after repeated trouble."""

    greeting: str
    fallback_queue: str
    max_no_input: int = 2
    max_no_match: int = 3
    no_input_count: int = field(default=0, init=False)
    no_match_count: int = field(default=0, init=False)

    def start(self, call: CallInfo) -> list[Action]:
        """Greet the caller."""
        return [Say(self.greeting)]

    def on_transcript(
        self, text: str, confidence: float, alternatives: Sequence[Alternative] = ()
    ) -> list[Action]:
        """Echo the transcript, or act on a request for a person or a goodbye."""
        self.no_input_count = 0
        said = text.strip()
        if not said:
            self.no_match_count += 1
            if self.no_match_count >= self.max_no_match:
                return [self._transfer("no-match")]
            return [Say("Sorry, I didn't catch that. Could you say it again?")]
        self.no_match_count = 0
        lowered = said.lower()
        if _PERSON_WORDS.search(lowered):
            return [self._transfer("caller-request")]
        if _GOODBYE_WORDS.search(lowered):
            return [Hangup("Thank you for calling. Goodbye.")]
        return [Say(f"You said: {said}.")]

    def on_dtmf(self, digit: str) -> list[Action]:
        """Keypad 0 asks for a person; other keys are read back."""
        self.no_input_count = 0
        if digit == "0":
            return [self._transfer(TransferReason.KEYPAD_0)]
        return [Say(f"You pressed {_spoken_key(digit)}.")]

    def on_no_input(self) -> list[Action]:
        """Prompt again, then hand over after too much silence."""
        self.no_input_count += 1
        if self.no_input_count >= self.max_no_input:
            return [self._transfer(TransferReason.NO_INPUT)]
        return [Say("Are you still there? How can I help you?")]

    def grammar(self) -> list[str] | None:
        """The echo bot takes free speech."""
        return None

    def hints(self) -> list[str] | None:
        """The echo bot expects nothing in particular."""
        return None

    def _transfer(self, reason: str) -> Transfer:
        """A transfer to the fallback queue with the standard notice."""
        return Transfer(
            queue=self.fallback_queue,
            reason=reason,
            notice="To help you better, I'm connecting you to an agent. Please hold.",
        )


def _spoken_key(digit: str) -> str:
    """How a keypad key is read aloud."""
    return {"*": "star", "#": "pound"}.get(digit, digit)
