"""Intent matching: exact examples, paraphrases, misspelt keywords, Chinese, thresholds and ties."""

import pytest

from ivr.dialogue.intents import IntentMatcher, IntentSpec

EN = [
    IntentSpec("balance", ("check my balance", "how much money do I have", "account balance"), ("balance",)),
    IntentSpec("agent", ("speak to an agent", "talk to a person"), ("agent", "operator", "representative")),
    IntentSpec("bill", ("I have a question about my bill", "my bill is wrong"), ("invoice",)),
    IntentSpec("roaming", ("turn on roaming", "use my phone abroad")),
]
ZH = [
    IntentSpec("balance", ("查话费", "查询余额", "话费余额是多少"), ("余额", "话费")),
    IntentSpec("agent", ("转人工", "人工服务", "我要找客服"), ("人工", "客服")),
    IntentSpec("roaming", ("开通国际漫游", "出国怎么用"), ("漫游",)),
]


@pytest.fixture(scope="module")
def en():
    return IntentMatcher(EN, "en")


@pytest.fixture(scope="module")
def zh():
    return IntentMatcher(ZH, "zh-CN")


def test_exact_example_scores_one(en):
    found = en.match("use my phone abroad")
    assert found is not None
    assert (found.intent, found.score, found.matched) == ("roaming", 1.0, "use my phone abroad")


def test_paraphrase_with_fillers_and_extra_words(en):
    found = en.match("um yes I'd like to check my balance please")
    assert found is not None and found.intent == "balance"
    assert found.score >= 0.9


def test_paraphrase_without_keyword_still_matches_the_example(en):
    found = en.match("i would like to turn roaming on")
    assert found is not None and found.intent == "roaming"


def test_misspelt_keyword_matches_fuzzily(en):
    found = en.match("can i talk to an operater")
    assert found is not None
    assert (found.intent, found.matched) == ("agent", "operator")
    assert en.match("representitive").intent == "agent"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("what do you do with my personal data", None),  # "personal" holds "person": another word
        ("will I be able to use it over there", None),  # "able" is inside "cable"
        ("my charger is broken", None),  # "charger" is not "charge"
        ("I talked to two persons already", "agent"),  # an inflection still meets its word
        ("the cabel is loose", "fault"),  # a misspelling still does
    ],
)
def test_a_word_inside_a_longer_one_is_not_a_close_spelling(text, intent):
    matcher = IntentMatcher(
        [IntentSpec("agent", (), ("person",)), IntentSpec("fault", (), ("cable", "charge"))], "en"
    )
    found = matcher.match(text)
    assert (found.intent if found else None) == intent


def test_short_words_are_not_fuzzy(en):
    # "bell" is one letter from "bill": too short to trust
    assert all(m.score < 0.6 for m in en.ranked("ring the bell") if m.intent == "bill")


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("我想查一下话费余额", "balance"),
        ("转人工", "agent"),
        ("我要人工服务", "agent"),
        ("我要开通漫游", "roaming"),
    ],
)
def test_chinese_utterances_match_on_characters(zh, text, intent):
    found = zh.match(text)
    assert found is not None and found.intent == intent


def test_garbage_is_below_threshold(en, zh):
    assert en.match("the weather is lovely today") is None
    assert en.match("blah blah blah") is None
    assert zh.match("今天天气很好") is None
    assert en.match("") is None and en.ranked("   ") == []


def test_ranked_is_best_first_and_limited(en):
    ranked = en.ranked("my bill is wrong and i want an agent", limit=2)
    assert len(ranked) == 2
    assert ranked[0].score >= ranked[1].score
    assert {m.intent for m in ranked} == {"bill", "agent"}


def test_threshold_is_respected():
    text = "how much do i have"
    best = IntentMatcher(EN, "en").ranked(text, limit=1)[0]
    assert best.intent == "balance" and 0.6 <= best.score < 0.95
    assert IntentMatcher(EN, "en", threshold=best.score).match(text) == best
    assert IntentMatcher(EN, "en", threshold=best.score + 0.01).match(text) is None


def test_ties_go_to_the_earlier_intent():
    specs = [IntentSpec("first", ("open the door",)), IntentSpec("second", ("open the door",))]
    assert IntentMatcher(specs, "en").match("open the door").intent == "first"
    assert IntentMatcher(specs[::-1], "en").match("open the door").intent == "second"


def test_other_languages_behave_like_english():
    matcher = IntentMatcher([IntentSpec("agent", ("상담원 연결",), ("상담원",))], "ko")
    assert matcher.match("상담원 연결해 주세요").intent == "agent"
