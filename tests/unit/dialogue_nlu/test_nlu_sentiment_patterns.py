"""Sentiment beyond single words: negation stops at a clause, word patterns, and the strong families."""

import pytest

from ivr.dialogue.sentiment import read


def test_a_negator_does_not_reach_into_the_next_clause():
    # "nothing" negates within its clause only: the disgust after the comma stays strong
    assert read("still nothing, absolutely disgusting", "en").strong == ("disgusting",)
    assert read("nothing disgusting about it", "en").strong == ()
    assert read("没有，气死了", "zh").strong == ("气死了",)


@pytest.mark.parametrize(
    ("text", "language", "entry"),
    [
        ("cancel the lot", "en", "cancel everything"),
        ("I want to cancel all my services", "en", "cancel everything"),
        ("把我所有业务都停掉", "zh", "全部取消"),
        ("全部都给我注销", "zh", "全部取消"),
    ],
)
def test_a_word_of_each_group_in_one_clause_reads_as_the_entry(text, language, entry):
    reading = read(text, language)
    assert reading.strong == (entry,) and reading.negative == (entry,)


def test_word_patterns_are_negated_and_stay_within_a_clause():
    assert read("I don't want to cancel everything", "en").strong == ()
    assert read("cancel my roaming, all good otherwise", "en").strong == ()  # two clauses
    assert read("my calls all end abruptly", "en").strong == ()  # no cancel word


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("I'll be taking this to the ombudsman", "en"),  # a complaint taken further
        ("this is infuriating", "en"),  # exasperation
        ("are you kidding me", "en"),
        ("you lot are crooks", "en"),  # money taken
        ("我要去工信部投诉你们", "zh"),
        ("搞什么鬼啊", "zh"),
        ("又要账号？有完没完", "zh"),
        ("你们简直就是在抢钱", "zh"),
        ("you people treat your customers like dirt", "en"),  # word patterns: treated badly
        ("I've run out of patience with you", "en"),
        ("you have wasted my whole afternoon", "en"),
        ("I'm taking this to the press", "en"),
        ("I'll be telling every newspaper I can", "en"),  # going public, said as a verb and a medium
        ("I'll be posting about this all over Facebook", "en"),
        ("I hate to be kept waiting, my internet has been down all week", "en"),  # not the polite "hate to"
        ("I already sent a complaint in writing three weeks ago and nobody replied", "en"),
        ("I've had it with you people", "en"),
        ("twelve years with you and this is how you treat me", "en"),
        ("I'm so done with this company", "en"),
        ("honestly you're hopeless", "en"),
        ("这破网天天断", "zh"),
        ("你们一点用也没有", "zh"),
        ("浪费我一整天", "zh"),
    ],
)
def test_strong_families(text, language):
    assert read(text, language).is_strong(None)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("the report you sent was helpful", "en"),
        ("the signal is a bit annoying", "en"),
        ("信号有点差", "zh"),
        ("I saw on Facebook that there is an outage", "en"),  # a medium without telling
        ("I had it with me when it broke", "en"),
        ("I'd like to know how you treat my personal data", "en"),
        ("can I share my data with my instagram", "en"),
        ("I hate to be a nuisance, but I've lost my SIM card", "en"),  # politeness
        ("I want to take my number elsewhere", "en"),  # porting a number, not anger
        ("I saw a post on facebook about an outage in my area", "en"),
        ("every time I go on facebook it freezes", "en"),
        ("no thanks, I'll tell my friends on facebook you were great", "en"),
        ("I've had it with this company for ten years, can I get a loyalty discount", "en"),
    ],
)
def test_mild_or_neutral_turns_are_not_strong(text, language):
    assert not read(text, language).strong


def test_chinese_a_not_a_is_a_question_not_a_negation():
    # 麻烦不麻烦 asks "troublesome or not?": 麻烦 counts once and negatively, 不 negates nothing
    assert read("麻烦不麻烦啊", "zh").negative == ("麻烦",)
    assert read("好不好", "zh").score == read("好", "zh").score
    assert read("我不烦", "zh").score > 0  # a real negation still flips


def test_never_with_an_intensifier_is_a_superlative_not_a_negation():
    assert read("I have never been so angry", "en").strong == ("angry",)
    assert read("never been so happy with a company", "en").score > 0
    assert not read("I was never angry with you", "en").strong  # a plain "never" still negates


def test_a_word_formed_from_a_lexicon_word_reads_as_it():
    assert read("the way you handled it was disgraceful", "en").strong == ("disgrace",)
    assert read("you are hopelessly slow", "en").strong == ("hopeless",)
    assert read("I badly want to keep my number", "en").score == 0  # "bad" is too short a base to guess
    assert read("你们一点都不负责任", "zh").strong == ("不负责任",)  # 不 inside the entry negates nothing


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("I'm hopeless with technology, can you help me", "en"),
        ("I'm so stupid, I forgot my password", "en"),
        ("我真是个废物，密码又忘了", "zh"),
    ],
)
def test_contempt_for_oneself_is_no_complaint(text, language):
    reading = read(text, language)
    assert reading.negative and not reading.is_strong(-0.75)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("you are hopeless", "en"),
        ("I think you're useless", "en"),
        ("I feel this is useless", "en"),
        ("我觉得你们是废物", "zh"),
    ],
)
def test_contempt_for_somebody_else_stays_strong(text, language):
    assert read(text, language).strong


@pytest.mark.parametrize(
    "text",
    [
        "I'm switching from another provider, can I keep my number",  # a new customer
        "how do I cancel, I'm switching to another provider",  # a porting question
        "how much are calls to another network",
        "can I post my bill online",
        "is there an outage, it's all over facebook",
        "I'm happy with the way I've been treated today, thanks",
    ],
)
def test_other_providers_posting_and_treatment_are_no_complaint_by_themselves(text):
    assert read(text, "en").strong == ()


def test_a_softened_strong_word_is_mild():
    assert read("it's been a bit of a rubbish week", "en").strong == ()
    assert read("the app is a little bit useless", "en").strong == ()
    assert read("the app is useless", "en").strong == ("useless",)
    assert read("it's a bit rubbish", "en").score < 0  # still negative: it counts over the turns
    assert read("this is rubbish", "en").strong == ("rubbish",)
    assert read("what kind of useless service is this", "en").strong == ("useless",)  # a question word
    assert read("I'm not putting up with this kind of shocking service", "en").strong == ("shocking",)


def test_calling_again_and_again_is_negative_but_not_strong():
    again = read("this is the third time I'm calling about this", "en")
    assert again.negative == ("calling again",) and not again.strong and again.score < -0.5
    assert read("the third time I tried it, it worked", "en").score == 0  # a third time of something else
