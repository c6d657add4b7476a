"""Collect steps: a value said or keyed in, read back for the caller's yes or no, and corrected.

How this works: a collect step's value comes from the turn (ivr.dialogue.slots) or from keypad digits
(# ends, * starts again). A step with `confirm` reads the value back and waits (`ReadBack`): yes keeps it,
no asks again, and a turn that holds a new full value instead ("no, it's six two eight one") is read back
in its place, so the caller who corrects a number is not asked for all of it again. Digits said in pieces,
a pause between groups ("one two three" ... "four five six"), are joined: a turn of nothing but digits,
too few for the step, gets "Go on." and the next such turn adds to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ivr.bot import Action
from ivr.dialogue import asides, slots, yes_no
from ivr.dialogue.handoff_context import fill
from ivr.dialogue.schema import CollectStep, asks_yes_no
from ivr.dialogue.text import CLAUSE_BREAKS, is_chinese


@dataclass(frozen=True)
class ReadBack:
    """A collected value waiting for the caller's yes or no."""

    value: Any
    question: str = ""
    pieced: bool = False  # joined from pieces: more digits said now still belong to it


@dataclass(frozen=True)
class Piece:
    """The start of a number said in pieces ("one two three" ... "four five six"): "Go on."."""

    digits: str


@dataclass(frozen=True)
class Corrected:
    """A new value said to a read-back instead of yes or no: it is read back in turn."""

    value: Any


class CollectingMixin:
    """Collected values, their read-back and the caller's corrections, for FlowBot."""

    spec: Any
    language: str
    slots: dict[str, Any]
    policy: Any
    pending: Any
    now: Callable[[], datetime]
    _last_said: list[Action]
    acted: str | None
    _t: Callable[[dict[str, str]], str]
    _step: Callable[[], Any]
    _enter: Callable[[str], list[Action]]
    _reprompt: Callable[[], list[Action]]
    _no_match: Callable[..., list[Action]]
    _say: Callable[..., Action]
    _spoken_values: Callable[[], dict[str, Any]]
    _msg: Callable[..., str]
    _fresh: Callable[[Any, list[list[str]]], list[Action]]
    _rephrase: Callable[[Any], str]
    _said_last: Callable[[], list[str]]
    last_text: str
    _pieces: str  # digits said so far of a number said in pieces
    _pieced: bool  # the value just collected was joined from pieces

    def _aside_reply(self, step: Any, aside: str) -> str:
        """What to say to an aside: the step's help where it tells what the caller lacks, if it has one."""
        help_text = getattr(step, "help", None)
        asked_yes_no = asks_yes_no(step)
        if help_text and (aside == "where" or (aside == "missing" and asked_yes_no)):
            self.acted = "help"  # a request for help in other words
            return self._t(help_text)  # at a yes/no question, "I don't remember" asks what it is about
        return self._msg("missing" if aside == "where" else aside)

    def _collected(self, value: Any) -> list[Action]:
        """A value for the collect step (or the caller's yes/no about it)."""
        step = self._step()
        assert isinstance(step, CollectStep)
        self.policy.understood()
        if isinstance(value, Piece):  # more to come: the caller pauses between groups of digits
            return [self._say(self._msg("go_on_digits"), step)]
        if isinstance(self.pending, ReadBack):
            confirmed, self.pending = self.pending, None
            if value is True:
                self.slots[step.slot] = confirmed.value
                return self._enter(step.next)
            if not isinstance(value, Corrected):
                return self._reprompt()
            value = value.value
        if step.confirm is not None:
            # digit by digit in every language: a TTS reads "123456" as a quantity (一十二万三千...)
            spoken = " ".join(value) if step.kind == "digits" else value
            template = step.confirm.get(self.language) or step.confirm[self.spec.default_language]
            text = fill(template, {**self._spoken_values(), "value": spoken})
            self.pending = ReadBack(value, text, pieced=self._pieced)
            question = [self._say(text, step)]
            self._last_said = question
            return question
        self.slots[step.slot] = value
        return self._said_ahead(step, self._enter(step.next))

    def _said_ahead(self, answered: CollectStep, entered: list[Action]) -> list[Action]:
        """A number the next step asks for, said with this answer ("yes, and the postcode is 2010"):
        read back instead of asked for."""
        step = self._step()
        if answered.kind == "digits" or not isinstance(step, CollectStep) or step.kind != "digits":
            return entered
        if self.pending is not None or not entered:
            return entered
        prompt = self._asked(step)
        # the clause that names the number: "yes, the neighbours too, postcode is 2010" (not "yes, all of
        # them, since 2023", nor an account number said to a postcode question)
        named = (
            c for c in CLAUSE_BREAKS.split(self.last_text) if slots.names_and_digits(c, self.language, prompt)
        )
        clause = next(named, "")
        said = (slots.parse_digits(clause, self.language) or "") if clause else ""
        if not step.min_digits <= len(said) <= step.max_digits:
            return entered
        return [a for a in entered if getattr(a, "text", None) != prompt] + self._collected(said)

    def _keyed_digit(self, step: CollectStep, digit: str) -> list[Action]:
        """Keypad digits build a number; # ends it, * starts again."""
        if digit == "*":
            self._digits = ""
            return self._reprompt()
        if digit != "#":
            self._digits += digit
            if len(self._digits) < step.max_digits:
                return []
        entered, self._digits = self._digits, ""
        if len(entered) < step.min_digits:
            return self._no_match()
        return self._collected(entered if step.kind == "digits" else int(entered))

    def _answer_of(self, text: str) -> Any:
        """`_answer` of a hypothesis only weighed, not acted on: a number said in pieces stays as it was.

        Weighing "three one five" and then its alternative "three one five," must not join the two."""
        pieces = self._pieces, self._pieced
        try:
            return self._answer(text)
        finally:
            self._pieces, self._pieced = pieces

    def _answer(self, text: str) -> Any:
        """The answer the step waits for in `text`: yes/no to a read-back, the collected value, or None."""
        if isinstance(self.pending, ReadBack):
            return self._read_back_answer(text, self.pending)
        return self._extract(text) if isinstance(self._step(), CollectStep) else None

    def _read_back_answer(self, text: str, pending: ReadBack) -> Any:
        """Yes, no, or a new full value said instead ("no, it's six two eight one"): `Corrected`."""
        said = self._yes(text)
        step = self._step()
        part = slots.corrected_part(text, self.language, pending.value) if step.kind == "digits" else None
        # "no, the last bit is six eight", 开头是九九 (its 是 is no yes): the rest stays as read back; not
        # after a yes ("对，我的手机尾号是5678") nor where pieces are still coming ("and the last bit is...")
        if (
            part is not None
            and self._yes(text[: part[0]]) is not True
            and not (pending.pieced and said is not False)
        ):
            if part[1] != pending.value:
                return Corrected(part[1])
            return said is not False  # "no, it ends in four five six" (as read back) stays a no
        if said is True or step.kind == "yes_no":
            return said
        # "one two three", "four five six" (read back), "seven eight": the number goes on
        more = slots.parse_digits(text, self.language) if pending.pieced else None
        if more and slots.only_digits(text, self.language) and len(pending.value + more) <= step.max_digits:
            return Corrected(pending.value + more)
        value = self._extract(text)
        if isinstance(value, Piece):  # a few digits are no new number here
            self._pieces, value = "", None
        return Corrected(value) if value is not None and value != pending.value else said

    def _note_no_to_the_last_call(self, text: str) -> None:
        """A no to "the same issue as last time?" (a question `about` the last call) before a request for a
        person: the agent sees it is new. Not at other yes/no steps: "no, I want a person" to "all your
        devices?" says nothing about the devices."""
        step = self._step()
        about = isinstance(step, CollectStep) and getattr(step, "about", None) and self.pending is None
        if about and self._said_no_first(step, text, self._value_in(step, text)):
            self.slots.setdefault(step.slot, False)

    def _said_no_first(self, step: Any, text: str, value: Any) -> bool:
        """A no opening a turn that goes on to something else answers the yes/no step too, when the whole
        turn reads as that no (`value`): "no, that was fixed, can I speak to someone"; not "no, it's the
        same thing, I want an agent". Not at a read-back, whose no is about the number."""
        yes_no_step = isinstance(step, CollectStep) and asks_yes_no(step)
        if not yes_no_step or isinstance(self.pending, ReadBack) or value is not False:
            return False
        return self._opens_with_no(step, text)

    def _opens_with_no(self, step: CollectStep, text: str) -> bool:
        """The turn opens with a no to the yes/no step: a bare no ("no, I want my balance"), or, in English,
        a first clause that is the step's own no in several words ("different problem. my account's
        blocked"; not "my bill's wrong again", nor 说已经解决了，结果又断了: told it was fixed)."""
        if slots.opens_with_no(text, self.language):
            return True
        if is_chinese(self.language):
            return False
        first = CLAUSE_BREAKS.split(text, maxsplit=1)[0]
        own = step.own_answers(self.language)
        return first.strip() != text.strip() and yes_no.own_no(first, self.language, own)

    def _value_in(self, step: CollectStep, text: str) -> Any:
        """The value of the step's kind in `text` (its own yes and no words counted), or None."""
        own = step.own_answers(self.language)
        return slots.extract(step.kind, text, self.language, today=self.now().date(), own=own)

    def _extract(self, text: str) -> Any:
        step = self._step()
        assert isinstance(step, CollectStep)
        own = step.own_answers(self.language)
        value = self._value_in(step, text)
        if step.kind == "yes_no" and yes_no.only_acknowledged(text, self.language, own):
            return None  # "okay, I'll check" to "is it on all your devices?" answers nothing
        if step.kind != "digits":
            return value
        return self._joined_pieces(step, text, value)

    def _joined_pieces(self, step: CollectStep, text: str, value: str | None) -> Any:
        """A whole number, a `Piece` of one said over several turns ("one two three" ... "four five six"),
        or None. Only turns of nothing but digits join; anything else starts again."""
        earlier = self._pieces
        self._pieces, self._pieced = "", False
        text = asides.without_waits(text, self.language)  # "hang on... it's 4 5 6" is a piece too
        if value is None or not slots.only_digits(text, self.language):
            earlier = ""  # "my account number is 123456" is whole by itself, and anything else starts again
        whole = value is not None and step.min_digits <= len(value) <= step.max_digits
        if whole:
            return value  # whole by itself: the number said again from its start
        once = slots.said_twice(value or "")
        if once is not None and step.min_digits <= len(once) <= step.max_digits:
            return once  # "seven four oh one, seven four oh one": one number said twice to be sure
        joined = earlier + (value or "")
        if value is not None and step.min_digits <= len(joined) <= step.max_digits:
            self._pieced = bool(earlier)
            return joined
        if value is not None and len(joined) < step.min_digits and slots.only_digits(text, self.language):
            self._pieces = joined
            return Piece(joined)
        return None

    def _too_many_digits(self, step: Any) -> list[Action] | None:
        """A number longer than the step takes ("one two ... one two" for six to ten digits): say so."""
        if not isinstance(step, CollectStep) or step.kind != "digits" or self.pending is not None:
            return None
        said = slots.parse_digits(self.last_text, self.language) or ""
        if len(said) <= step.max_digits or not slots.only_digits(self.last_text, self.language):
            return None  # "I've called 3 times, account 1 2 ... 0": other numbers in the turn
        too_many = self._msg("too_many_digits", count=len(said))
        if too_many in self._said_last():
            return None  # said once: the usual escalation (keypad choices) follows
        return self._fresh(step, [[too_many, self._rephrase(step)]])

    def _yes(self, text: str) -> bool | None:
        return slots.parse_yes_no(text, self.language)
