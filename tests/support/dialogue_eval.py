"""The dialogue evaluation set (tests/fixtures/dialogue_eval/*.yaml): load it, run a case, score the runs.

How this works: a case is one caller in one situation (first-time or returning, VIP or not) who speaks
`turns` at a step of the shipped telecom flow. `run_case` starts a FlowBot, brings it to that step with
scripted text turns, then gives it the case's turns one by one through `hear` (the text itself, or the
text spoken by espeak-ng and recognised by Whisper) and stops at a hand-off or a hang-up. As the set's
README says, the intent is judged on the case's turns only: the last intent the bot acted on in them (a
global one, or a flow intent it routed; None when the turns only answered the step's question). Slots
count once collected and confirmed; the hand-off is the state after the last turn.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from asr.engine import Alternative
from ivr.bot import Action, Callback, CallInfo, Hangup, PreviousCall, Transfer
from ivr.dialogue.engine import FlowBot
from ivr.dialogue.registry import Flow
from ivr.dialogue.schema import REASONS
from ivr.routing import RouteDecision, RouteRequest

EVAL_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "dialogue_eval"
NOW = datetime(2025, 9, 29, 10, 0, tzinfo=UTC)
VIP_NUMBER, CALLER_NUMBER = "+8613800138000", "5551234"
CASE_KEYS = {"id", "language", "returning", "vip", "at", "turns", "expect"}
EXPECT_KEYS = {"intent", "slots", "transfer", "reason"}

# Text turns that bring a caller from the start of the telecom flow to a step (after the main question).
PATHS: dict[str, dict[str, list[str]]] = {
    "en": {
        "main": [],
        "balance": ["I want to check my balance"],
        "password": ["I forgot my password"],
        "network": ["my internet is not working"],
        "postcode": ["my internet is not working", "yes"],
        "tip_tried": ["my internet is not working", "no"],
        "more": ["I want to check my balance", "one two three four five six", "yes"],
    },
    "zh": {
        "main": [],
        "balance": ["我要查询话费"],
        "password": ["我忘记密码了"],
        "network": ["网络坏了"],
        "postcode": ["网络坏了", "是的"],
        "tip_tried": ["网络坏了", "不是"],
        "more": ["我要查询话费", "一二三四五六", "对"],
    },
}


@dataclass(frozen=True)
class Expect:
    """What the bot should settle on after the case's turns."""

    intent: str | None
    slots: dict[str, Any]
    transfer: bool
    reason: str | None


@dataclass(frozen=True)
class Case:
    """One caller, one situation, the turns they say and what should come of them."""

    id: str
    language: str
    returning: bool
    vip: bool
    at: str
    turns: tuple[str, ...]
    expect: Expect
    split: str


@dataclass
class Run:
    """What the bot did with a case."""

    case: Case
    intent: str | None = None
    slots: dict[str, Any] = field(default_factory=dict)
    transfer: bool = False
    reason: str | None = None
    heard: list[str] = field(default_factory=list)  # what the recogniser made of each turn
    resolved_at: int | None = None  # the caller turn after which the outcome was the expected one

    @property
    def intent_ok(self) -> bool:
        """The settled intent is the expected one (None included)."""
        return self.intent == self.case.expect.intent

    @property
    def outcome_ok(self) -> bool:
        """Intent, slots, transfer and reason all as expected."""
        want = self.case.expect
        slots = all(str(self.slots.get(k)) == str(v) for k, v in want.slots.items())
        return self.intent_ok and slots and self.transfer == want.transfer and self.reason == want.reason


def load_cases(path: Path) -> list[Case]:
    """The cases of one split file; ValueError naming the case and the key when the format is wrong."""
    data = yaml.safe_load(path.read_text("utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise ValueError(f"{path}: expected a mapping with a `cases` list")
    split = path.stem
    cases, seen = [], set()
    for i, raw in enumerate(data["cases"]):
        where = f"{path}: cases[{i}]"
        if not isinstance(raw, dict) or set(raw) != CASE_KEYS:
            raise ValueError(f"{where}: keys must be exactly {sorted(CASE_KEYS)}")
        expect = raw["expect"]
        if not isinstance(expect, dict) or set(expect) != EXPECT_KEYS:
            raise ValueError(f"{where} ({raw.get('id')}): expect keys must be exactly {sorted(EXPECT_KEYS)}")
        if raw["id"] in seen or not str(raw["id"]).startswith(f"{split}-"):
            raise ValueError(f"{where}: id {raw['id']!r} must be unique and start with {split}-")
        if raw["language"] not in ("en", "zh") or not raw["turns"]:
            raise ValueError(f"{where} ({raw['id']}): language en|zh and at least one turn")
        if not all(isinstance(t, str) for t in raw["turns"]):  # a bare yes is YAML's True: "True" to the bot
            raise ValueError(f"{where} ({raw['id']}): every turn must be a string (quote yes, no, on, off)")
        if expect["reason"] is not None and expect["reason"] not in REASONS:
            raise ValueError(f"{where} ({raw['id']}): unknown transfer reason {expect['reason']!r}")
        seen.add(raw["id"])
        cases.append(
            Case(
                id=raw["id"],
                language=raw["language"],
                returning=bool(raw["returning"]),
                vip=bool(raw["vip"]),
                at=str(raw["at"]),
                turns=tuple(str(t) for t in raw["turns"]),
                expect=Expect(
                    expect["intent"], dict(expect["slots"] or {}), bool(expect["transfer"]), expect["reason"]
                ),
                split=split,
            )
        )
    return cases


@dataclass
class EvalRouter:
    """Every skill's queue is open with an agent free; one number is a gold VIP."""

    def tier_of(self, caller_number: str | None) -> str | None:
        """Gold for the VIP number."""
        return "gold" if caller_number == VIP_NUMBER else None

    def route(self, request: RouteRequest) -> RouteDecision:
        """The skill's own queue, open, no wait."""
        skill = request.skill or "support"
        return RouteDecision(queue=skill, priority=0, skill=skill, is_open=True)


# (bot, what the caller says) -> (text heard, its confidence, the recogniser's n-best alternatives)
Hear = Callable[[FlowBot, str], Awaitable[tuple[str, float, tuple[Alternative, ...]]]]


async def as_text(bot: FlowBot, text: str) -> tuple[str, float, tuple[Alternative, ...]]:
    """Text level: the bot reads exactly what the caller said."""
    return text, 1.0, ()


def _ended(actions: list[Action]) -> bool:
    return any(isinstance(a, Transfer | Hangup | Callback) for a in actions)


async def run_case(flow: Flow, case: Case, hear: Hear = as_text) -> Run:
    """Bring a bot to the case's step, say the case's turns, and record what it settled on."""
    earlier = PreviousCall("earlier", NOW, case.language, "transferred", open_issue=True)
    history = (earlier,) if case.returning else ()
    number = VIP_NUMBER if case.vip else CALLER_NUMBER
    bot = FlowBot(flow, router=EvalRouter(), now=lambda: NOW)
    actions = bot.start(CallInfo(f"eval-{case.id}", number, None, case.language, history=history))
    run = Run(case)
    if not _ended(actions) and case.at != "start" and case.at != bot.step_name:
        no = ["no" if case.language == "en" else "不是"] if case.returning else []
        path = no + PATHS[case.language][case.at]
        for text in path:
            actions = bot.on_transcript(text, 1.0)
        if bot.step_name != case.at:
            raise ValueError(f"{case.id}: the scripted path did not reach step {case.at!r}")
    _observe(run, bot, actions)
    for n, turn in enumerate(case.turns, 1):
        if _ended(actions):
            break
        text, confidence, alternatives = await hear(bot, turn)
        actions = bot.on_transcript(text, confidence, alternatives)
        run.heard.append(f"{text} => {bot.last_text}" if bot.acted_on_alternative else text)
        run.intent = bot.acted or run.intent
        _observe(run, bot, actions)
        if run.resolved_at is None and run.outcome_ok:
            run.resolved_at = n
    return run


def _observe(run: Run, bot: FlowBot, actions: list[Action]) -> None:
    """The slots and the hand-off so far."""
    run.slots = dict(bot.slots)
    transfer = next((a for a in actions if isinstance(a, Transfer)), None)
    if transfer is not None:
        run.transfer, run.reason = True, transfer.reason


@dataclass
class Scores:
    """The figures of one split (or one language of it)."""

    runs: list[Run]

    def line(self) -> dict[str, Any]:
        """Intent accuracy, outcome accuracy, false transfers and turns to resolution."""
        n = len(self.runs)
        no_transfer = [r for r in self.runs if not r.case.expect.transfer]
        false = [r for r in no_transfer if r.transfer]
        resolved = [r.resolved_at for r in self.runs if r.resolved_at is not None]
        return {
            "cases": n,
            "intent_accuracy": _share(sum(r.intent_ok for r in self.runs), n),
            "outcome_accuracy": _share(sum(r.outcome_ok for r in self.runs), n),
            "false_transfers": f"{len(false)}/{len(no_transfer)} ({_share(len(false), len(no_transfer))})",
            "turns_to_resolution": round(sum(resolved) / len(resolved), 2) if resolved else None,
        }

    def per_trigger(self) -> dict[str, dict[str, Any]]:
        """Transfer precision and recall per reason, plus how many expected hand-offs happened at all."""
        expected = Counter(r.case.expect.reason for r in self.runs if r.case.expect.transfer)
        predicted = Counter(r.reason for r in self.runs if r.transfer)
        hits = Counter(r.reason for r in self.runs if r.transfer and r.reason == r.case.expect.reason)
        anyway = Counter(r.case.expect.reason for r in self.runs if r.case.expect.transfer and r.transfer)
        out = {}
        for reason in sorted(set(expected) | set(predicted), key=str):
            out[str(reason)] = {
                "expected": expected[reason],
                "predicted": predicted[reason],
                "precision": _share(hits[reason], predicted[reason]),
                "recall": _share(hits[reason], expected[reason]),
                "transferred_at_all": _share(anyway[reason], expected[reason]) if expected[reason] else "-",
            }
        return out

    def misses(self) -> list[Run]:
        """Runs whose outcome was not the expected one."""
        return [r for r in self.runs if not r.outcome_ok]


def _share(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f} %" if whole else "-"
