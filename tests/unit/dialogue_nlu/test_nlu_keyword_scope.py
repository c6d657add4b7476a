"""What a keyword says in its sentence (ivr.dialogue.intents): supposed, negated, or shared."""

from pathlib import Path

import pytest

from ivr.dialogue.intents import SUPPOSED_CAP, IntentMatcher, IntentSpec
from ivr.dialogue.registry import FlowRegistry

DIALPLAN = Path(__file__).resolve().parents[3] / "dialplan"

EN = [
    IntentSpec("balance", ("check my balance", "how much do I owe"), ("balance", "bill")),
    IntentSpec("dispute", ("there is a wrong charge on my bill", "my bill is higher than it should be")),
    IntentSpec("unlock", ("my account is locked", "unlock my account"), ("locked", "unlock")),
    IntentSpec("password", ("I forgot my password", "reset my password"), ("password",)),
]
ZH = [
    IntentSpec("unlock", ("账号被冻结了", "解锁账户"), ("冻结", "解锁")),
    IntentSpec("refund", ("我要退款", "把钱退给我"), ("退款",)),
]


@pytest.fixture(scope="module")
def flow():
    return FlowRegistry.load(DIALPLAN).current().flow_for("hotline")


@pytest.fixture(scope="module")
def en():
    return IntentMatcher(EN, "en")


@pytest.fixture(scope="module")
def zh():
    return IntentMatcher(ZH, "zh")


@pytest.mark.parametrize(
    "text", ["what happens if I pay my bill late", "will my account get locked if I pay a few days late"]
)
def test_a_supposition_is_at_most_a_repair_question(en, text):
    assert en.ranked(text, 1)[0].score <= SUPPOSED_CAP < en.threshold
    assert en.match(text) is None


def test_a_supposition_in_chinese_too(zh):
    assert zh.match("如果我要退款的话要多久") is None
    assert zh.match("我要退款").intent == "refund"


@pytest.mark.parametrize(
    "text",
    [
        "I was wondering if you could check my balance",
        "check my balance if possible",
        "check my balance if you can",
    ],
)
def test_a_polite_or_indirect_if_is_not_a_supposition(en, text):
    assert en.match(text).intent == "balance"


def test_a_polite_condition_in_chinese_is_not_a_supposition(zh):
    assert zh.match("可以的话我要退款").intent == "refund"


def test_a_request_with_a_plain_sentence_beside_the_supposition_is_kept(en):
    assert en.match("my account is locked. what happens if I pay now?").intent == "unlock"


def test_a_negated_keyword_is_no_evidence(en):
    # the examples still share words with "my account is locked", but the keyword no longer decides
    best = en.ranked("my account isn't locked, I've just forgotten the password", 1)[0]
    assert best.intent == "password"
    assert en.match("it seems locked, I cannot get in").matched == "locked"  # said plainly, it is


def test_a_negated_keyword_in_chinese(zh):
    assert zh.ranked("我的账号没被冻结", 1)[0].matched != "冻结"
    assert zh.ranked("我的账号被冻结", 1)[0].matched == "冻结"


def test_a_keyword_shared_with_another_intents_examples_is_not_decisive(flow):
    # "bill" is a balance keyword and a word of the dispute examples: meaning decides between them
    matcher = flow.matcher("en")
    assert matcher.match("why is my bill so much bigger this time").intent == "billing_dispute"
    assert matcher.match("can you check my bill").intent == "balance"
    # against an intent that does not share it, the keyword stays decisive (meaning is noisy on vague turns)
    assert matcher.match("I want to take care of my bill").intent == "balance"


def test_an_unshared_keyword_is_still_decisive(en):
    assert en.match("password").score >= 0.9
