"""The flow YAML schema (dialplan/*.yaml): strict, frozen pydantic models, one file per hotline.

Every text the caller hears is a mapping language -> sentence, so one file holds all the languages of
a hotline and `ivr check` can tell which language lacks a prompt; what callers say (`Phrases`) is kept in
simplified characters when Chinese (ivr.dialogue.hanzi). Steps are a tagged union on `type`.
Cross-references (goto targets, intents, skills, languages) are checked by ivr.dialogue.loader, which
knows the lines of the keys.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, ConfigDict, Field, field_validator, model_validator

from ivr.dialogue.hanzi import as_read
from ivr.yamlconf import StrictModel

Lang = Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]+)*$")]
Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Key = Annotated[str, Field(pattern=r"^[0-9*#]$")]
Text = Annotated[str, Field(min_length=1, max_length=2000)]
Texts = dict[Lang, Text]


def _in_simplified(phrases: dict[str, list[str]]) -> dict[str, list[str]]:
    """Chinese phrases in simplified characters, as callers' words are read (ivr.dialogue.hanzi)."""
    return {lang: [as_read(p, lang) for p in said] for lang, said in phrases.items()}


# what callers say (examples, keywords, answers, team names): Chinese kept in one script
Phrases = Annotated[dict[Lang, Annotated[list[Text], Field(min_length=1)]], AfterValidator(_in_simplified)]
Limit = Annotated[int, Field(ge=1, le=10)]
VarRef = Annotated[str, Field(pattern=r"^(slots|vars|caller)\.[a-z][a-z0-9_]*$|^intent$|^language$")]
Scalar = str | int | bool

SLOT_KINDS = ("digits", "number", "yes_no", "date", "text")

# Reasons a transfer can have; each has a spoken phrase per language (ivr.dialogue.catalog).
REASONS = (
    "caller-request",
    "keypad-0",
    "no-match",
    "no-input",
    "repeated-request",
    "sentiment",
    "sensitive",
    "vip",
    "flow",
    "flow-error",
)
# Intents that work in every step; their example phrases are built in for en and zh.
GLOBAL_INTENTS = ("agent", "repeat", "help", "goodbye")
MESSAGE_KEYS = (
    "no_match",
    "no_input",
    "help",
    "goodbye",
    "anything_else",
    "say_yes_or_no",
    "transfer_notice",
    "wait_position",
    "wait_time",
    "callback_offer",
    "callback_accepted",
    "hold",
    "closed",
    "closed_callback_offer",
    "closed_goodbye",
    "briefing",
    "briefing_keys",
    "back_from_agent",
    "back_declined",
    "no_match_again",
    "examples",
    "keypad_digits",
    "confirm_intent",
    "choose_intent",
    "not_that",
    "welcome",
    "hello",
    "go_on_digits",
    "sorry_to_hear",
    "wait",
    "missing",
    "go_on",
)


class _Step(StrictModel):
    """What every step may set."""

    barge_in: bool | None = None  # None: the flow's default


class _Listening(_Step):
    """A step that waits for the caller: prompt, re-prompt, limits."""

    prompt: Texts
    reprompt: Texts | None = None
    help: Texts | None = None
    no_input_limit: Limit | None = None
    no_match_limit: Limit | None = None
    on_no_input: Name | None = None  # where to go at the limit instead of a transfer
    on_no_match: Name | None = None
    # False: only the step's own answers (plus a person, goodbye and strong emotion) are heard here;
    # None: the flow's `mixed_initiative`.
    mixed_initiative: bool | None = None
    choices: Texts | None = None  # keypad choices offered after the second miss ("Press 1 for ...")


class SayStep(_Step):
    """Say a sentence and go on."""

    type: Literal["say"]
    text: Texts
    next: Name


class AskStep(_Listening):
    """Ask an open question and route by intent, keypad key or knowledge-base answer."""

    type: Literal["ask"]
    routes: dict[Name, Name] = Field(default_factory=dict)  # intent -> step
    keypad: dict[Key, Name] = Field(default_factory=dict)  # key -> step
    knowledge: bool = False  # answer from the knowledge base when no intent matches
    after_answer: Name | None = None  # where to go after a KB answer; None: ask again ("anything else?")


class MenuOption(StrictModel):
    """One menu choice: a key, the words that pick it, and where it goes."""

    key: Key
    words: Phrases = Field(default_factory=dict)
    goto: Name
    language: Lang | None = None  # picking this option switches the call to that language
    intent: Name | None = None  # recorded as the caller's intent


class MenuStep(_Listening):
    """A keypad/speech menu of fixed options."""

    type: Literal["menu"]
    options: Annotated[list[MenuOption], Field(min_length=1, max_length=12)]

    @model_validator(mode="after")
    def _unique_keys(self) -> MenuStep:
        keys = [o.key for o in self.options]
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            raise ValueError(f"menu keys must be unique: {', '.join(duplicates)} used twice")
        return self


class CollectStep(_Listening):
    """Collect one detail (digits, number, yes/no, date, free text), optionally confirmed."""

    type: Literal["collect"]
    slot: Name
    kind: Literal["digits", "number", "yes_no", "date", "text"]
    confirm: Texts | None = None  # read back with {value}; the caller says yes or no
    min_digits: Annotated[int, Field(ge=1, le=32)] = 1
    max_digits: Annotated[int, Field(ge=1, le=32)] = 20
    # yes_no only: words that answer this question in its own terms ("only my phone" is a no to
    # "is it on all your devices?"); a leading yes or no still comes first
    answers: dict[Literal["yes", "no"], Phrases] = Field(default_factory=dict)
    # yes_no only: the intent the question asks about ("same issue as last time?": caller.last_intent);
    # a clear request for another topic said with a yes ("yes, I forgot my password") is that topic
    about: VarRef | None = None
    next: Name

    @model_validator(mode="after")
    def _digit_range(self) -> CollectStep:
        if self.min_digits > self.max_digits:
            raise ValueError(f"min_digits ({self.min_digits}) is above max_digits ({self.max_digits})")
        if self.answers and self.kind != "yes_no":
            raise ValueError(f"answers are for yes_no steps, not {self.kind}")
        if self.about and self.kind != "yes_no":
            raise ValueError(f"about is for yes_no steps, not {self.kind}")
        return self

    def own_answers(self, language: str) -> dict[bool, list[str]]:
        """This step's own yes and no words in `language` (True: yes), as `answers` lists them."""
        return {answer == "yes": words.get(language, []) for answer, words in self.answers.items()}


def asks_yes_no(step: object) -> bool:
    """The step is a collect step that asks a yes/no question."""
    return isinstance(step, CollectStep) and step.kind == "yes_no"


class AnswerStep(_Step):
    """Answer from the knowledge base: a fixed entry, or the best match for what the caller said."""

    type: Literal["answer"]
    entry: Name | None = None
    next: Name
    else_: Name | None = Field(default=None, alias="else")  # no answer found; None: go to `next`

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class SetStep(_Step):
    """Set flow variables ({vars.name} in prompts, `vars.name` in branches)."""

    type: Literal["set"]
    values: Annotated[dict[Name, Scalar], Field(min_length=1)]
    next: Name


class Condition(StrictModel):
    """A test on a variable: equal to a value, or set at all."""

    var: VarRef
    equals: Scalar | None = None
    is_set: bool | None = None

    @model_validator(mode="after")
    def _one_test(self) -> Condition:
        if (self.equals is None) == (self.is_set is None):
            raise ValueError("give exactly one of `equals` or `is_set`")
        return self


class BranchCase(StrictModel):
    """`if` the condition holds, `goto` that step."""

    if_: Condition = Field(alias="if")
    goto: Name

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class BranchStep(_Step):
    """Go to the first case whose condition holds, else to `else`."""

    type: Literal["branch"]
    cases: Annotated[list[BranchCase], Field(min_length=1)]
    else_: Name = Field(alias="else")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class TransferStep(_Step):
    """Hand the caller to a person with this skill."""

    type: Literal["transfer"]
    skill: Name
    priority: Annotated[int, Field(ge=0, le=10)] = 0
    reason: Literal[REASONS] = "flow"  # type: ignore[valid-type]


class GoodbyeStep(_Step):
    """Say goodbye and hang up."""

    type: Literal["goodbye"]
    text: Texts | None = None  # None: the flow's goodbye message


class GotoStep(_Step):
    """Continue at another step."""

    type: Literal["goto"]
    goto: Name


Step = Annotated[
    SayStep
    | AskStep
    | MenuStep
    | CollectStep
    | AnswerStep
    | SetStep
    | BranchStep
    | TransferStep
    | GoodbyeStep
    | GotoStep,
    Field(discriminator="type"),
]
WAITING_STEPS = (AskStep, MenuStep, CollectStep)


class IntentDef(StrictModel):
    """An intent: example phrases and keywords per language, its skill and its default step."""

    title: Texts = Field(default_factory=dict)  # how the bot and the agent's summary name it
    label: Texts = Field(default_factory=dict)  # how the bot names it to the caller ("your bill")
    examples: Phrases = Field(default_factory=dict)
    keywords: Phrases = Field(default_factory=dict)
    skill: Name | None = None
    goto: Name | None = None  # the step any ask without its own route goes to
    topic: bool = True  # false for intents that only steer ("no thanks"): they keep the caller's topic


class KnowledgeDef(StrictModel):
    """One knowledge-base entry: question variants and the answer, per language."""

    id: Name
    title: Text | None = None
    questions: Phrases
    answer: Texts
    keywords: Phrases = Field(default_factory=dict)
    intent: Name | None = None  # where a caller goes who then wants it ("okay, I'd like one then")


class SentimentPolicy(StrictModel):
    """Transfer when the caller sounds upset: `turns` negative turns in a row below `threshold`."""

    threshold: Annotated[float, Field(ge=-1, le=0)] = -0.5
    turns: Annotated[int, Field(ge=0, le=10)] = 2  # 0 turns the trigger off
    # One turn this negative, or with a word of the lexicon's strong list, hands over at once (None: off).
    strong: Annotated[float, Field(ge=-1, le=0)] | None = -0.75


class Policy(StrictModel):
    """When the bot hands the caller to a person."""

    default_skill: Name
    no_match_limit: Limit = 3
    no_input_limit: Limit = 2
    repeat_limit: Annotated[int, Field(ge=0, le=10)] = 3  # same request this many times (0: off)
    sentiment: SentimentPolicy = Field(default_factory=SentimentPolicy)
    sensitive_intents: list[Name] = Field(default_factory=list)
    sensitive_skill: Name | None = None  # None: the intent's own skill
    vip_direct: bool = False
    intent_threshold: Annotated[float, Field(gt=0, le=1)] = 0.6
    # An intent this sure overrides the answer a collect step or confirmation expected (mixed initiative).
    clear_intent: Annotated[float, Field(gt=0, le=1)] = 0.75
    # Between this and intent_threshold the bot asks back ("Is this about your bill or a refund?").
    repair_threshold: Annotated[float, Field(gt=0, le=1)] = 0.45
    # Below this recogniser confidence a matched intent is confirmed before it is acted on (0: never).
    confirm_below_confidence: Annotated[float, Field(ge=0, le=1)] = 0.0
    # Match intents, knowledge questions and complaints by meaning too (ivr/dialogue/semantic.py).
    semantic: bool = True


class FlowSpec(StrictModel):
    """One hotline's whole call flow, as written in dialplan/<name>.yaml."""

    name: Name
    description: str = ""
    hotlines: list[Annotated[str, Field(min_length=1, max_length=80)]] = Field(default_factory=list)
    default: bool = False
    languages: Annotated[list[Lang], Field(min_length=1)]
    start: Name
    barge_in: bool = True
    mixed_initiative: bool = True  # every listening step also hears the flow's intents (see the README)
    policy: Policy
    skills: Annotated[dict[Name, Texts], Field(min_length=1)]
    # what callers call each skill's team ("billing", "tech support"): a request naming one goes there
    departments: dict[Name, Phrases] = Field(default_factory=dict)
    language_keys: dict[Key, Lang] = Field(default_factory=dict)  # keypad language switch in asks/menus
    messages: dict[Literal[MESSAGE_KEYS], Texts] = Field(default_factory=dict)  # type: ignore[valid-type]
    reasons: dict[Literal[REASONS], Texts] = Field(default_factory=dict)  # type: ignore[valid-type]
    intents: dict[Name, IntentDef] = Field(default_factory=dict)
    knowledge: list[KnowledgeDef] = Field(default_factory=list)
    steps: Annotated[dict[Name, Step], Field(min_length=1)]

    @field_validator("languages")
    @classmethod
    def _unique_languages(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("list each language once")
        return value

    @property
    def default_language(self) -> str:
        """The first declared language."""
        return self.languages[0]
