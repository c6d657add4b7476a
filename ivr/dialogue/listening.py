"""The listening half of FlowBot: mixed initiative and escalating re-prompts (repair: ivr.dialogue.repair).

How this works
--------------
Every caller turn is read once (`_hear`; in Chinese in simplified characters, ivr.dialogue.hanzi): the
flow's intents ranked (a request for a person read at word level, ivr.dialogue.person, puts `agent` first
or, for a mere mention, takes it out), the best match over the threshold, and the sentiment reading (at a
collect step, a strong word inside one of the step's own answers is read as the answer: 一点用都没有 to "tried
that already?"). At a step that expects an answer (a collect step, a confirmation), an intent matched with
at least `policy.clear_intent` (by meaning alone, with none of its words said: MEANING_OVERRIDE) wins over
the answer unless the answer is a plain "yes" (the caller answered) or the intent is the topic the step
already serves (mixed initiative; a step with `mixed_initiative: false` hears only its answers). A turn
that is half understood (the best intents score between `policy.repair_threshold` and the threshold) gets a
targeted question: "Is this about your bill or a refund?" when two are close, else "You'd like help with a
refund, is that right?". Misses escalate: the first rephrases with examples, the second offers keypad
choices, the limit hands over; a sentence is never said twice in a row. Hints (short phrases, most
important first) bias the recogniser per step.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from asr.engine import Alternative
from ivr.bot import Action
from ivr.dialogue import asides, courtesy, nbest, person, yes_no
from ivr.dialogue.catalog import REPEAT_CUES
from ivr.dialogue.hanzi import as_read
from ivr.dialogue.intents import IntentMatch
from ivr.dialogue.repair import AskedIntent
from ivr.dialogue.schema import GLOBAL_INTENTS, AskStep, CollectStep, MenuStep
from ivr.dialogue.semantic import with_complaint
from ivr.dialogue.sentiment import Reading, read
from ivr.dialogue.text import CLAUSE_BREAKS, is_chinese, normalise
from ivr.dialogue.transfers import CallbackOffer

PERSON = "agent"  # the global intent of a request for a person
GOODBYE = "goodbye"
REPEAT = "repeat"
SHORT_AGAIN = 3  # words: a turn this short with "again" in it asks to hear the bot again
REQUEST_SCORE = 0.9  # a request for a person read at word level is as sure as a keyword
MEANING_OVERRIDE = 0.85  # a match by meaning alone overrides an expected answer only this clearly


@dataclass(frozen=True)
class Heard:
    """One caller turn as understood: ranked intents, the accepted match, and the sentiment."""

    text: str
    ranked: tuple[IntentMatch, ...]
    match: IntentMatch | None
    mood: Reading
    courtesy: bool = False  # thanks and "okay" only ("oh okay, thanks very much"): no request, no goodbye
    greeting: bool = False  # the courtesy greets without thanks ("hi there", "hello?")
    asks: bool | None = None  # the word-level reading of a request for a person (ivr.dialogue.person)

    @property
    def intent(self) -> str | None:
        """The accepted intent (over the flow's threshold), or None."""
        return self.match.intent if self.match else None


class ListeningMixin:
    """Understanding and re-prompting for FlowBot (which provides the state and helpers used here)."""

    spec: Any
    flow: Any
    language: str
    intent: str | None
    pending: Any
    policy: Any
    step_name: str | None
    _last_said: list[Action]
    _step: Callable[[], Any]
    _values: Callable[[], dict[str, Any]]
    _say: Callable[..., Any]
    _t: Callable[[dict[str, str]], str]
    _msg: Callable[..., str]
    _answer_of: Callable[[str], Any]
    _yes: Callable[[str], bool | None]
    _kb_hit: Callable[[Any, str], Any]
    _closes: Callable[[AskStep, str], bool]
    _chosen: Callable[..., str | bool | None]  # ivr.dialogue.repair
    _route: Callable[..., list[Action] | None]
    _transfer: Callable[..., list[Action]]
    _enter: Callable[[str | None], list[Action]]
    intent_score: float | None
    acted: str | None
    _heard_now: dict[str, Heard]
    acted_on_alternative: bool = False  # the last turn was acted on as the recogniser's alternative

    # ----- reading a turn ------------------------------------------------------------------------------

    def _hear(self, text: str) -> Heard:
        """Rank the intents and read the sentiment of one turn (once per text and turn)."""
        known = getattr(self, "_heard_now", {}).get(text)
        if known is None:
            known = self._read_turn(text)
            self._heard_now = {**getattr(self, "_heard_now", {}), text: known}
        return known

    def _read_turn(self, text: str) -> Heard:
        matcher = self.flow.matcher(self.language)
        goodbye = next((s.keywords for s in matcher.intents if s.name == GOODBYE), ())
        polite = courtesy.read(text, self.language, goodbye)
        found = [] if polite.only_courtesy else matcher.ranked(text, limit=5)  # "oh okay, thanks": no request
        instead = asides.said_instead(text, self.language)  # "my bill, no sorry, my internet"
        if instead is not None and found:
            after = matcher.ranked(instead, limit=5)
            own = self.spec.intents.get(after[0].intent) if after else None
            if own is not None and own.topic and after[0].score >= matcher.threshold:
                found = after  # only a topic said instead: "no wait, that's all" takes back nothing
        found = self._today_first(found, text)
        # thanks is not a goodbye: the goodbye intent needs a word that ends a call ("bye", "that's all")
        found = [m for m in found if m.intent != GOODBYE or polite.closing]
        found = [m for m in found if m.intent != REPEAT or not m.matched.startswith("~") or self._cued(text)]
        asks = person.verdict(text, self.language, self.flow.teams(self.language).names)
        ranked = _asking_person(found, asks)
        ranked = self._step_answer_first(ranked)[:3]
        match = ranked[0] if ranked and ranked[0].score >= matcher.threshold else None
        mood = self._mood(text)
        if matcher.semantic is not None:  # anger said without the lexicon's words ("I've been treated badly")
            mood = with_complaint(mood, matcher.semantic.closest(text))
        greeting = (
            polite.only_courtesy and polite.greeted and not polite.thanked and not polite.beside_greetings
        )
        return Heard(text, ranked, match, mood, polite.only_courtesy, asks=asks, greeting=greeting)

    def _mood(self, text: str) -> Reading:
        """The turn's sentiment; when strong only by words inside the step's own answers (一点用都没有 to
        "already tried that? a technician?"), read again without them: the answer is no outburst."""
        mood = read(text, self.language)
        step, strong = self._step(), self.spec.policy.sentiment.strong
        if not mood.strong or self.pending is not None or not isinstance(step, CollectStep):
            return mood
        own = [w for words in step.own_answers(self.language).values() for w in words]
        outbursts = [w for w in own if any(self._answer_holds(w, s) for s in mood.strong)]
        if not outbursts or not mood.is_strong(strong):
            return mood
        return read(yes_no.without_own_answers(text, self.language, outbursts), self.language)

    def _answer_holds(self, answer: str, word: str) -> bool:
        """An answer phrase holds a normalised sentiment word (一点用都没有 itself; 全部 not 全部取消)."""
        if is_chinese(self.language):
            return word in answer
        return f" {word} " in f" {normalise(answer, self.language)} "

    def _cued(self, text: str) -> bool:
        """The turn has a word that asks to hear the bot again (catalog.REPEAT_CUES)."""
        if is_chinese(self.language):
            return any(c in text for c in REPEAT_CUES["zh"])
        words = normalise(text, self.language).split()
        if len(words) <= SHORT_AGAIN and "again" in words:
            return True  # "again?", "again please"
        padded = f" {' '.join(words)} "
        return any(f" {c} " in padded for c in REPEAT_CUES["en"])

    def _today_first(self, found: list[IntentMatch], text: str) -> list[IntentMatch]:
        """A topic only named about an earlier matter, or before a clause that moves on to another ("while
        I've got you, ..."), gives way to one the rest of the turn asks for now: "I got a refund back in
        January, but now I can't log into the app" is the login."""
        parts = asides.said_now(text, self.language) if found else None
        if parts is None:
            return found
        matcher = self.flow.matcher(self.language)
        now = matcher.ranked(parts[1], limit=5)
        own = self.spec.intents.get(now[0].intent) if now else None
        if own is None or not own.topic or now[0].score < matcher.threshold:
            # "..., today I just need the voicemail number": a knowledge question asked now, no topic
            hit = self._kb_hit(self._step(), parts[1])
            return [] if hit is not None and hit.score >= self.spec.policy.clear_intent else found
        if now[0].intent == found[0].intent:
            return found
        then = matcher.ranked(parts[0], limit=1)
        return now if then and then[0].intent == found[0].intent else found

    def _without_greeting(self, text: str) -> str:
        """ "hello? yes" is "yes": a greeting beside a yes, "okay" or the like answers as they do."""
        polite = courtesy.read(text, self.language)
        if polite.greeted and polite.only_courtesy and not polite.thanked and polite.beside_greetings:
            return polite.beside_greetings
        return text

    def _step_answer_first(self, ranked: tuple[IntentMatch, ...]) -> tuple[IntentMatch, ...]:
        """A goodbye that the step also routes ("no, that's all" at "anything else?"): the answer first."""
        step = self._step()
        if not ranked or ranked[0].intent != GOODBYE or not isinstance(step, AskStep):
            return ranked
        near = self.spec.policy.repair_threshold  # half matched is enough: the goodbye confirms it
        routed = next((m for m in ranked if m.intent in step.routes and m.score >= near), None)
        if routed is None:
            return ranked
        answer = IntentMatch(routed.intent, max(routed.score, ranked[0].score), routed.matched)
        return (answer, *(m for m in ranked if m is not routed))

    def _pick(self, text: str, confidence: float, alternatives: Sequence[Alternative]) -> tuple[str, float]:
        """The hypothesis to act on: the recogniser's best, or a clearer alternative (ivr.dialogue.nbest)."""
        hypotheses = [(text, confidence), *((a.text.strip(), a.confidence) for a in alternatives)]
        # 唔記得密碼 as 唔记得密码: the lexicons' script
        hypotheses = [(as_read(said, self.language), score) for said, score in hypotheses]
        index = nbest.choose(hypotheses, self._grade, self._urgent)
        self.acted_on_alternative = index > 0
        return hypotheses[index]

    def _grade(self, text: str) -> nbest.Grade:
        """How clearly this step understands `text`, with no effect on the call (ivr.dialogue.nbest)."""
        if not text:
            return nbest.Grade.NONE
        if isinstance(self.pending, CallbackOffer):  # a yes ends the call with a callback: never on a guess
            yes = self._yes(text)
            return nbest.Grade.NONE if yes is None else nbest.Grade.ENDS_CALL if yes else nbest.Grade.ANSWERED
        heard = self._hear(text)
        strong = self.spec.policy.sentiment.strong
        if strong is not None and heard.mood.is_strong(strong):
            return nbest.Grade.URGENT
        if heard.intent == "agent":  # not URGENT: hints put "agent" into misheard turns ("ages")
            return nbest.Grade.CLEAR
        if heard.courtesy:  # "okay, thanks" is understood: no alternative is wanted instead
            return nbest.Grade.ANSWERED
        step, clear = self._step(), self.spec.policy.clear_intent
        if isinstance(self.pending, AskedIntent):
            answered = self._chosen(self.pending, heard, self._yes(text)) is not None
        else:
            answered = self._answer_of(text) is not None
            answered = answered or (isinstance(step, MenuStep) and self._menu_option(step, text) is not None)
        if answered:  # "yes, that's right" to a read-back: no strongly negative alternative either
            return nbest.Grade.ANSWERED
        if heard.intent == "goodbye":  # as on_transcript: the step's answer first, then goodbye
            return nbest.Grade.ENDS_CALL
        hit = self._kb_hit(step, text)
        best = max([m.score for m in heard.ranked[:1]] + [hit.score if hit else 0.0])
        if best >= clear:  # a knowledge answer is as clear as an intent at the same score
            # a pleased request ("great, and my balance?") is heard as it is, never as an angry alternative
            return nbest.Grade.ANSWERED if heard.mood.score > 0 else nbest.Grade.CLEAR
        if heard.match is not None or hit is not None or best >= self.spec.policy.repair_threshold:
            return nbest.Grade.WEAK
        return nbest.Grade.NONE

    def _urgent(self, text: str) -> bool:
        """Strongly negative by its words alone (the cheap test asked of alternatives beside a request)."""
        strong = self.spec.policy.sentiment.strong
        return strong is not None and read(text, self.language).is_strong(strong)

    def _mixed(self, step: Any = None) -> bool:
        """Whether the step also hears the flow's intents (its own setting, else the flow's)."""
        step = step if step is not None else self._step()
        own = getattr(step, "mixed_initiative", None)
        return self.spec.mixed_initiative if own is None else own

    def _overriding(self, heard: Heard, answer: Any) -> IntentMatch | None:
        """An intent clear enough to win over the answer the step expected (mixed initiative)."""
        match = heard.match
        if match is None or not self._mixed() or (answer is True and not self._another_topic(match.intent)):
            return None
        if match.score < self.spec.policy.clear_intent:
            return None
        if vague_match(match):
            return None
        own = self.spec.intents.get(match.intent)
        if own is None or not own.topic or match.intent == self.intent:
            return None  # steering words ("no thanks") answer the question; the topic is already served
        if own.goto is not None and own.goto == self.step_name:
            return None
        if answer is False and self._answered_after_no(match, heard.text):
            return None  # "no, how long does a refund take?": the no, then the answer (_asked_with_no)
        return match

    def _another_topic(self, intent: str) -> bool:
        """The yes/no step asks about a topic (`about`) that is known and is not `intent`."""
        step = self._step()
        about = getattr(step, "about", None)
        asked = self._values().get(about) if about else None
        return asked in self.spec.intents and asked != intent

    def _aside(self, step: Any, heard: Heard, text: str) -> str | None:
        """ "missing", "where" or "wait" for a turn about a collect step's answer that is not it, else None.

        "I can't find my account number", "hang on, my husband has the account number": about the answer,
        whatever they sound like by meaning or by a word of another topic (ivr.dialogue.asides).
        """
        if not isinstance(step, CollectStep):
            return None
        question = self._asked(step)
        if asides.lacks_answer(text, self.language, question):
            return "missing"
        if asides.asks_where(text, self.language, question):
            return "where"
        if heard.intent not in GLOBAL_INTENTS and asides.asks_to_wait(text, self.language, question):
            return "wait"
        return None

    def _asks_beside_missing(self, step: Any, override: IntentMatch, text: str) -> bool:
        """Beside the answer the caller lacks, a clause of its own turns to another topic named by its words
        ("账号我不记得了，先帮我看看网络吧"): that topic is what the turn asks for now."""
        if override.matched.startswith("~"):
            return False  # by meaning only: "I can't find the account number on my bill" is still about it
        question = self._asked(step)
        clauses = [c for c in CLAUSE_BREAKS.split(text) if c.strip()]
        rest = [c for c in clauses if not asides.lacks_answer(c, self.language, question)]
        if not rest or len(rest) == len(clauses) or not any(asides.redirects(c, self.language) for c in rest):
            return False  # the lack is not said in a clause of its own, or the rest only explains it
        ranked = self.flow.matcher(self.language).ranked(" ".join(rest), limit=1)
        return bool(ranked) and ranked[0].intent == override.intent

    def _asked(self, step: Any) -> str:
        """The step's question as callers' words are compared with it (Chinese in simplified characters)."""
        return as_read(self._t(step.prompt), self.language)

    def _note_topic(self, heard: Heard) -> None:
        """A topic named by its keywords beside a request for a person: its team, and the agent sees it."""
        for match in heard.ranked:
            own = self.spec.intents.get(match.intent)
            # not by meaning alone: "nobody is helping me, get me a person" is near "nobody can call me"
            by_word = not match.matched.startswith("~")
            if own is not None and own.topic and by_word and match.score >= self.spec.policy.clear_intent:
                self.intent, self.intent_score = match.intent, match.score
                return

    def _menu_option(self, step: MenuStep, text: str) -> Any:
        """The menu option whose words the caller said, or None."""
        said = normalise(text, self.language)
        for option in step.options:
            for word in option.words.get(self.language, []):
                if normalise(word, self.language) in said:
                    return option
        return None

    def _choose(self, option: Any) -> list[Action]:
        """A menu option was picked."""
        self.policy.understood()
        if option.language:
            self.language = option.language
        if option.intent:
            self.intent, self.intent_score, self.acted = option.intent, 1.0, option.intent
            if self.policy.is_sensitive(option.intent):
                return self._transfer("sensitive")
        return self._enter(option.goto)

    def _acknowledged(self, greeting: bool = False) -> list[Action]:
        """Thanks alone: not a miss; "you're welcome" and the question again, or the call's end. A greeting
        alone: hello and the question again ("hello?" at "anything else?" does not end the call)."""
        step = self._step()
        if step is None:
            return []
        if greeting:  # at a read-back, its question again ("I heard 1 2 3. Is that right?")
            question = getattr(self.pending, "question", "") or self._t(step.reprompt or step.prompt)
            said = [self._say(self._msg("hello"), step), self._say(question, step)]
            self._last_said = said
            return said
        if isinstance(step, AskStep):  # "great, thank you" to "anything else?": the caller is done
            ending = [i for i in step.routes if self._closes(step, i)]  # (see _can_close)
            routed = self._route(step, ending[0], 1.0) if ending else None
            if routed is not None:
                return routed
        said = [self._say(self._msg("welcome"), step), self._say(self._t(step.reprompt or step.prompt), step)]
        self._last_said = said
        return said


def _asking_person(ranked: list[IntentMatch], asks: bool | None) -> tuple[IntentMatch, ...]:
    """The ranking with the word-level reading of a request for a person applied (ivr.dialogue.person)."""
    if asks is None:
        return tuple(ranked)
    others = [m for m in ranked if m.intent != PERSON]
    if not asks:
        return tuple(others)  # a mention ("are you a real person?") or a refusal ("I don't need an agent")
    said = next((m for m in ranked if m.intent == PERSON), None)
    score = max(said.score if said else 0.0, REQUEST_SCORE)
    return (IntentMatch(PERSON, score, said.matched if said else "request for a person"), *others)


def vague_match(match: IntentMatch) -> bool:
    """Matched by meaning alone and not clearly: "hang on, ..." is not "my account is on hold"."""
    return match.matched.startswith("~") and match.score < MEANING_OVERRIDE
