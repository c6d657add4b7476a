"""The knowledge-base half of FlowBot: answer steps, answers to free questions, and the answers tried."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ivr.bot import Action, Say
from ivr.dialogue import asides, slots
from ivr.dialogue.schema import AnswerStep, AskStep


class AnswersMixin:
    """Knowledge-base answers for FlowBot (which provides the state and the helpers used here)."""

    # Provided by FlowBot and its other mixins; annotations only, so no stub shadows a real method.
    spec: Any
    flow: Any
    language: str
    last_text: str
    policy: Any
    answers_tried: list[str]
    answered_last: str | None
    _kb: Any
    _last_said: list[Action]
    _say: Callable[..., Say]
    _fill: Callable[[str], str]
    _msg: Callable[..., str]
    _enter: Callable[[str | None], list[Action]]
    _transfer: Callable[..., list[Action]]
    _step: Callable[[], Any]

    def _run_answer(self, step: AnswerStep, actions: list[Action]) -> str:
        """Say a knowledge-base answer (a fixed entry, or the best for the last utterance); the next step."""
        answer: str | None = None
        if step.entry is not None:
            entry = next(e for e in self.spec.knowledge if e.id == step.entry)
            answer, entry_id = entry.answer.get(self.language), entry.id
        elif self.last_text and (kb := self._knowledge()) is not None:
            found = kb.best(self.last_text, self.language)
            if found is not None:
                answer, entry_id = found.entry.answer, found.entry.id
        if answer is None:
            return step.else_ or step.next
        actions.append(self._say(self._fill(answer), step))
        self._note_answer(entry_id)
        self.answered_last = entry_id
        return step.next

    def _kb_hit(self, step: Any, text: str) -> Any:
        """The knowledge base's best answer when the step allows answers from it."""
        kb = self._knowledge() if isinstance(step, AskStep) and step.knowledge else None
        return kb.best(text, self.language) if kb is not None else None

    def _asked_with_no(self, text: str, value: Any, entered: list[Action]) -> list[Action]:
        """ "no, I'm calling to ask what time your agents finish" at a yes/no step: the knowledge answer
        instead of the open question the no leads to."""
        step = self._step()
        if (
            value is not False
            or not isinstance(step, AskStep)
            or not all(isinstance(a, Say) for a in entered)
        ):
            return entered
        hit = self._kb_hit(step, self._beside_the_no(text))
        if hit is None or hit.score < self.spec.policy.clear_intent:
            return entered
        return self._answer_from_kb(step, hit)

    def _beside_the_no(self, text: str) -> str:
        """The one clause beside a bare no and hellos ("oh, hello again, no, how long does a refund take?"),
        else the whole turn: what the knowledge base is asked, here and in _answered_after_no alike."""
        beside = slots.beside_the_answer(text, self.language)
        return beside[0] if len(beside) == 1 else text

    def _answered_after_no(self, match: Any, text: str) -> bool:
        """A no with a question the knowledge base answers better than the intent heard beside it ("no,
        how long does a refund take?"): the no is kept and the question answered (_asked_with_no). Not at
        a read-back, where a no leads to the number again and the question would be lost."""
        kb = self._knowledge()
        if kb is None or self.pending is not None:
            return False
        beside = slots.beside_the_answer(text, self.language)
        if len(beside) != 1:
            return False  # "no, can I get a refund? how long does it take": the request
        question = beside[0]  # as _beside_the_no gives it to _asked_with_no
        hit = kb.best(question, self.language)
        if hit is None or hit.score < self.spec.policy.clear_intent:
            return False  # not clear enough for _asked_with_no to answer: the intent, not silence
        return self._knowledge_first(hit, match, question)

    def _answer_from_kb(self, step: AskStep, hit: Any) -> list[Action]:
        """Say a knowledge-base answer, then ask again ("anything else?") or go on."""
        self.policy.understood()
        if self.policy.on_request(f"kb:{hit.entry.id}"):
            return self._transfer("repeated-request")
        self._note_answer(hit.entry.id)
        self.answered_last = hit.entry.id
        answer = self._say(self._fill(hit.entry.answer), step)
        if step.after_answer:
            then = self._enter(step.after_answer)
            self._last_said = [answer, *then]  # "sorry, what was the number again?" hears the answer again
            return [answer, *then]
        follow = [self._say(self._msg("anything_else"), step)]
        self._last_said = [answer, *follow]
        return [answer, *follow]

    def _knowledge(self) -> Any:
        """The knowledge base in use, built from the flow on first need; None when the flow has none."""
        if self._kb is None and self.spec.knowledge:
            self._kb = self.flow.knowledge()
        return self._kb

    def _wanted_after_answer(self, told: str | None, heard: Any) -> str | None:
        """The intent of the entry just answered when the caller now wants what it told of ("I'd like one
        then" after the refund policy), unless the turn clearly asks for something else."""
        entry = next((e for e in self.spec.knowledge if e.id == told), None) if told else None
        if entry is None or entry.intent is None:
            return None
        if heard.match is not None and heard.match.score >= self.spec.policy.clear_intent:
            return None
        return entry.intent if asides.wants_what_was_told(heard.text, self.language) else None

    def _note_answer(self, entry_id: str) -> None:
        """Remember an answer for the agent: its title when the flow gives one."""
        entry = next((e for e in self.spec.knowledge if e.id == entry_id), None)
        label = entry.title if entry is not None and entry.title else entry_id
        if label not in self.answers_tried:
            self.answers_tried.append(label)
