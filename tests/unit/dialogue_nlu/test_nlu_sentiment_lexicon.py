"""Lexicon sentiment: polarity, intensity, negation, shouting, Chinese substrings, and the per-call trend."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr.dialogue.mood_trend import SentimentTrend
from ivr.dialogue.sentiment import read, sentiment
from ivr.dialogue.sentiment_lexicon import lexicon


def test_lexicons_are_real_sized():
    assert len(lexicon(False).words) >= 80
    assert len(lexicon(True).words) >= 60


@pytest.mark.parametrize(
    "text",
    [
        "this is ridiculous",
        "you are useless",
        "worst service ever",
        "this is unacceptable",
        "i hate this",
        "i am furious",
        "i want to make a complaint",
    ],
)
def test_english_negative_words(text):
    assert sentiment(text, "en") < -0.3


@pytest.mark.parametrize(
    "text", ["我很生气", "垃圾", "太差了", "我要投诉", "你们就是骗子", "气死我了", "烦死了"]
)
def test_chinese_negative_substrings(text):
    assert sentiment(text, "zh-CN") < -0.3


def test_positive_and_neutral():
    assert sentiment("thank you that was very helpful", "en") > 0.3
    assert sentiment("非常满意，谢谢", "zh") > 0.3
    assert sentiment("check my balance", "en") == 0.0
    assert sentiment("我想查话费", "zh") == 0.0


def test_intensifiers_multiply():
    assert sentiment("i am very angry", "en") < sentiment("i am angry", "en") < 0
    assert sentiment("extremely bad", "en") < sentiment("bad", "en")
    assert sentiment("非常生气", "zh") < sentiment("生气", "zh") < 0


def test_negation_flips_the_following_word():
    assert sentiment("i am not happy", "en") < 0
    assert sentiment("not very happy", "en") < 0
    assert sentiment("not bad", "en") >= 0
    assert sentiment("不满意", "zh") < 0
    assert sentiment("不太满意", "zh") < 0
    assert sentiment("不好", "zh") < 0
    assert sentiment("我不生气", "zh") >= 0


def test_negation_does_not_reach_far():
    assert sentiment("no i am happy now", "en") > 0


def test_negation_does_not_reach_past_a_clause_break():
    assert sentiment("没有太差了", "zh") >= 0  # "not too bad"
    assert sentiment("没有、太差了", "zh") < 0  # an enumeration comma ends the clause as a comma does
    assert sentiment("没有，太差了", "zh") < 0


def test_exclamation_and_capitals_add_intensity():
    assert sentiment("this is terrible!!!", "en") < sentiment("this is terrible", "en")
    assert sentiment("this is TERRIBLE", "en") < sentiment("this is terrible", "en")
    # a fully shouted sentence carries no extra emphasis per word
    assert sentiment("THIS IS TERRIBLE", "en") == sentiment("this is terrible", "en")


def test_but_weighs_the_later_clause_more():
    assert sentiment("the agent was nice but the service is terrible", "en") < 0


@given(text=st.text(max_size=200), language=st.sampled_from(["en", "zh", "ko"]))
def test_score_is_always_within_bounds(text, language):
    assert -1.0 <= sentiment(text, language) <= 1.0


def test_trend_summaries():
    trend = SentimentTrend()
    assert trend.latest() is None and trend.mean() is None and trend.direction() == "steady"
    assert not trend.is_negative()
    for score in (0.2, 0.0, -0.4, -0.7):
        trend.add(score)
    assert trend.latest() == -0.7
    assert trend.mean(2) == pytest.approx(-0.55)
    assert trend.mean() == pytest.approx((0.0 - 0.4 - 0.7) / 3)
    assert trend.direction() == "worsening"
    assert trend.is_negative(threshold=-0.5)
    assert not trend.is_negative(threshold=-0.5, consecutive=2)
    assert trend.is_negative(threshold=-0.3, consecutive=2)
    assert SentimentTrend([-0.8, -0.2, 0.3]).direction() == "improving"
    assert SentimentTrend([0.1, 0.0, 0.1, 0.05]).direction() == "steady"


def test_strong_words_and_the_words_behind_a_score():
    from ivr.dialogue.sentiment import read

    angry = read("This is ridiculous. I am really angry.", "en")
    assert angry.strong == ("ridiculous", "angry") and angry.is_strong(None)
    assert not read("I'm not angry, just tired of waiting", "en").strong  # negated: not strong
    mild = read("I'm a bit annoyed", "en")
    assert mild.negative == ("annoyed",) and not mild.is_strong(-0.75)
    assert read("我要投诉", "zh").strong == ("投诉",)
    assert read("有点烦", "zh").strong == ()


def test_several_negative_words_together_are_strong_by_score():
    from ivr.dialogue.sentiment import read

    piled = read("terrible, awful and so slow", "en")
    assert not piled.strong and piled.score <= -0.75 and piled.is_strong(-0.75)


def test_asking_whether_anybody_is_in_charge_is_strong_in_chinese():
    assert read("都三天了还这样，你们到底有没有人管啊", "zh").strong == ("到底有没有人管",)
    assert not read("有没有人能帮我", "zh").strong  # a question for help, not exasperation
