"""The n-best rule: hypothesis lists in, the one the dialogue acts on out (text level, no model)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from asr.engine import Alternative
from ivr.bot import Callback, CallInfo, Hangup, Transfer
from ivr.dialogue import nbest
from ivr.dialogue.engine import FlowBot
from ivr.dialogue.nbest import Grade, choose
from ivr.dialogue.registry import FlowRegistry
from tests.unit.dialogue_flow.routers import FixedRouter

DIALPLAN = Path(__file__).resolve().parents[3] / "dialplan"
NOW = datetime(2024, 5, 6, 10, 0, tzinfo=UTC)

# ----- the rule alone ---------------------------------------------------------------------------------


def grades(**by_text: Grade):
    """A grade function over fixed texts that records what it was asked."""
    asked: list[str] = []

    def grade(text: str) -> Grade:
        asked.append(text)
        return by_text.get(text, Grade.NONE)

    return grade, asked


def urgent_in(grade):
    """The cheap test beside a request, read off the same fixed grades."""
    return lambda text: grade(text) is Grade.URGENT


def both(grade):
    return grade, urgent_in(grade)


def test_beside_a_request_the_alternatives_are_only_asked_whether_they_are_urgent() -> None:
    graded: list[str] = []
    urgent_asked: list[str] = []

    def grade(text: str) -> Grade:
        graded.append(text)
        return Grade.CLEAR

    def urgent(text: str) -> bool:
        urgent_asked.append(text)
        return False

    assert choose([("a", 0.6), ("b", 0.6), ("c", 0.6)], grade, urgent) == 0
    assert graded == ["a"] and urgent_asked == ["b", "c"]


@pytest.mark.parametrize("kept", [Grade.ANSWERED, Grade.URGENT, Grade.ENDS_CALL])
def test_an_answer_thanks_or_a_pleased_turn_is_kept_over_an_urgent_alternative(kept) -> None:
    """ "yes, that's perfect" to a read-back is never acted on as "yes, that's pathetic"."""
    grade, asked = grades(a=kept, b=Grade.URGENT)
    assert choose([("a", 0.8), ("b", 0.8)], grade, urgent_in(grade)) == 0
    assert asked == ["a"]


def test_a_clear_best_hypothesis_is_kept_over_alternatives_that_are_only_clear() -> None:
    grade, _ = grades(a=Grade.CLEAR, b=Grade.CLEAR)
    assert choose([("a", 0.6), ("b", 0.9)], grade, urgent_in(grade)) == 0


def test_an_urgent_alternative_wins_over_a_clear_best() -> None:
    """ "... three days and I am absolutely human" (a network fault) against "... absolutely fuming"."""
    grade, _ = grades(a=Grade.CLEAR, b=Grade.CLEAR, c=Grade.URGENT)
    assert choose([("a", 0.7), ("b", 0.7), ("c", 0.6)], grade, urgent_in(grade)) == 2


def test_an_urgent_best_hypothesis_is_kept_and_the_alternatives_are_not_even_read() -> None:
    grade, asked = grades(a=Grade.URGENT, b=Grade.ENDS_CALL)
    assert choose([("a", 0.6), ("b", 0.9)], grade, urgent_in(grade)) == 0
    assert asked == ["a"]


def test_an_urgent_alternative_also_wins_over_a_best_that_is_not_understood() -> None:
    grade, _ = grades(b=Grade.URGENT)
    assert choose([("a", 0.78), ("b", 0.62)], grade, urgent_in(grade)) == 1


def test_a_clear_alternative_wins_over_a_best_that_is_not_understood() -> None:
    grade, _ = grades(b=Grade.CLEAR)
    assert choose([("a", 0.78), ("b", 0.62)], grade, urgent_in(grade)) == 1


def test_a_clear_alternative_also_wins_over_a_weak_best() -> None:
    grade, _ = grades(a=Grade.WEAK, c=Grade.CLEAR)
    assert choose([("a", 0.7), ("b", 0.7), ("c", 0.6)], grade, urgent_in(grade)) == 2


def test_the_first_clear_alternative_in_the_recognisers_order_wins() -> None:
    grade, _ = grades(b=Grade.CLEAR, c=Grade.CLEAR)
    assert choose([("a", 0.8), ("b", 0.7), ("c", 0.79)], grade, urgent_in(grade)) == 1


def test_a_much_less_likely_alternative_is_never_acted_on() -> None:
    grade, asked = grades(b=Grade.CLEAR)
    floor = 0.8 * nbest.MIN_CONFIDENCE_RATIO
    assert choose([("a", 0.8), ("b", floor - 0.01)], grade, urgent_in(grade)) == 0
    assert "b" not in asked  # not even graded
    assert choose([("a", 0.8), ("b", floor + 0.01)], grade, urgent_in(grade)) == 1


def test_a_best_that_ends_the_call_is_kept_and_an_alternative_never_ends_it() -> None:
    grade, _ = grades(a=Grade.ENDS_CALL, b=Grade.CLEAR)
    assert choose([("a", 0.8), ("b", 0.8)], grade, urgent_in(grade)) == 0
    grade, _ = grades(b=Grade.ENDS_CALL)
    assert choose([("a", 0.8), ("b", 0.8)], grade, urgent_in(grade)) == 0


def test_weak_alternatives_never_replace_the_best_and_one_hypothesis_is_itself() -> None:
    grade, _ = grades(b=Grade.WEAK)
    assert choose([("a", 0.8), ("b", 0.8)], grade, urgent_in(grade)) == 0
    assert choose([("a", 0.8)], *both(grades()[0])) == 0


# ----- the rule in the shipped flow: what counts as clear at a step -------------------------------------


@pytest.fixture(scope="module")
def flow():
    return FlowRegistry.load(DIALPLAN).current().flow_for("hotline")


def first_time(flow) -> FlowBot:
    bot = FlowBot(flow, router=FixedRouter(), now=lambda: NOW)
    bot.start(CallInfo("uuid-1", "5551234", None, "en"))
    return bot


def alts(*pairs: tuple[str, float]) -> tuple[Alternative, ...]:
    return tuple(Alternative(text, confidence) for text, confidence in pairs)


@pytest.mark.parametrize(
    ("heard", "alternative", "reason"),
    [  # (best hypothesis, its confidence), the alternative: as tiny.en heard dev phrases (espeak-ng, 8 kHz)
        (("I'm so hungry right now.", 0.78), ("I'm so angry right now.", 0.62), "sentiment"),
        (
            ("I want to read them for my last meal.", 0.7),
            ("I want a refund for my last bill.", 0.6),
            "sensitive",
        ),
        (("customer term is clean", 0.31), ("customer service, please.", 0.29), "caller-request"),
    ],
)
def test_a_clear_alternative_is_acted_on_when_the_best_is_not_understood(flow, heard, alternative, reason):
    bot = first_time(flow)
    actions = bot.on_transcript(*heard, alts(("I'm calling him out.", 0.7), alternative))
    assert isinstance(actions[-1], Transfer) and actions[-1].reason == reason
    assert bot.acted_on_alternative and bot.last_text == alternative[0]


def test_without_alternatives_the_same_best_hypothesis_is_not_understood(flow):
    bot = first_time(flow)
    actions = bot.on_transcript("I'm so hungry right now.", 0.78)
    assert not any(isinstance(a, Transfer) for a in actions)
    assert not bot.acted_on_alternative


def test_a_best_hypothesis_that_is_understood_is_kept_over_a_clear_alternative(flow):
    bot = first_time(flow)
    actions = bot.on_transcript("I want to check my balance", 0.7, alts(("I want to talk to a person", 0.69)))
    assert not any(isinstance(a, Transfer) for a in actions)
    assert bot.intent == "balance" and not bot.acted_on_alternative


def test_a_heard_thanks_is_kept_over_a_clear_alternative(flow):
    bot = first_time(flow)
    actions = bot.on_transcript("Okay, thanks very much.", 0.7, alts(("okay, transfer me", 0.65)))
    assert not any(isinstance(a, Transfer) for a in actions)
    assert not bot.acted_on_alternative


def test_an_alternative_never_ends_the_call_and_a_heard_goodbye_is_kept(flow):
    bot = first_time(flow)
    actions = bot.on_transcript("purple monkey", 0.5, alts(("goodbye", 0.5)))
    assert not any(isinstance(a, Hangup | Transfer) for a in actions)
    assert not bot.acted_on_alternative
    actions = bot.on_transcript("no, that's all, bye.", 0.5, alts(("I want to talk to a person", 0.5)))
    assert isinstance(actions[-1], Hangup) and not bot.acted_on_alternative


def test_an_alternative_that_answers_the_collect_step_is_taken(flow):
    bot = first_time(flow)
    bot.on_transcript("I want to check my balance", 1.0)
    assert bot.step_name == "balance"
    said = bot.on_transcript(
        "San Bernardino, nine, nine.", 0.6, alts(("seven seven eight eight nine nine", 0.5))
    )
    assert bot.acted_on_alternative and "7 7 8 8 9 9" in said[0].text


@pytest.mark.parametrize(
    ("best", "alternative", "pieces"),
    [  # as tiny.en heard "three one five oh" and "5 5 5 0 1 2 9": too few digits, the caller goes on
        ("three, one, five, move.", "three, one, five,", "315"),
        ("It's five, zero, one, two, nine.", "It's five, five, zero, one, two, nine.", "50129"),
    ],
)
def test_weighing_the_alternatives_never_joins_their_digits(flow, best, alternative, pieces):
    bot = first_time(flow)
    bot.on_transcript("I want to check my balance", 1.0)
    said = bot.on_transcript(best, 0.7, alts((alternative, 0.6)))
    # before: the alternative's digits were added to the best's ("I heard 3 1 5 3 1 5. Is that right?")
    assert [a.text for a in said] == ["Go on."] and bot._pieces == pieces


def test_a_much_less_likely_alternative_is_ignored_in_the_flow_too(flow):
    bot = first_time(flow)
    actions = bot.on_transcript("I'm so hungry right now.", 0.9, alts(("I'm so angry right now.", 0.5)))
    assert not any(isinstance(a, Transfer) for a in actions)


def test_a_callback_is_never_booked_on_an_alternative_but_a_declined_offer_may_be(flow):
    waiting = FixedRouter(expected_wait=900, offer_callback=True)
    bot = FlowBot(flow, router=waiting, now=lambda: NOW)
    bot.start(CallInfo("uuid-1", "5551234", None, "en"))
    bot.on_transcript("I want to talk to an agent", 0.9)  # a long wait: the callback offer
    actions = bot.on_transcript("purple monkey", 0.5, alts(("yes please", 0.5)))
    assert not any(isinstance(a, Callback) for a in actions) and not bot.acted_on_alternative
    bot = FlowBot(flow, router=waiting, now=lambda: NOW)
    bot.start(CallInfo("uuid-2", "5551234", None, "en"))
    bot.on_transcript("I want to talk to an agent", 0.9)
    actions = bot.on_transcript("purple monkey", 0.5, alts(("no thanks", 0.5)))
    assert isinstance(actions[-1], Transfer) and bot.acted_on_alternative


def test_anger_in_an_alternative_is_heard_beside_a_topic_the_best_understood(flow):
    bot = first_time(flow)
    best = ("Your network has been done three days and I am absolutely human.", 0.73)
    actions = bot.on_transcript(
        *best, alts(("Your network has been down three days and I am absolutely fuming.", 0.58))
    )
    assert isinstance(actions[-1], Transfer) and actions[-1].reason == "sentiment"
    assert bot.acted_on_alternative and bot.intent == "network_fault"  # the agent still sees the topic
