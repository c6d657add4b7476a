"""The pure parts of sized Whisper decoding: window, token bounds, hint budget, loop collapse, word times."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tokenizers import Tokenizer

from asr.models import bundled_whisper_model
from asr.whisper_decode import (
    HINT_TOKEN_BUDGET,
    LEAD_IN_S,
    MAX_FRAMES,
    MAX_NEW_TOKENS,
    collapse_repeats,
    cut_restart,
    hint_tokens,
    max_new_tokens,
    n_best,
    spread_words,
    too_fast,
    voiced_span,
    window_frames,
    with_lead_in,
)


@pytest.fixture(scope="module")
def encode():
    """The real tiny.en tokenizer's text -> ids, as the decoder uses it."""
    tokenizer = Tokenizer.from_file(str(bundled_whisper_model() / "tokenizer.json"))
    return lambda text: tokenizer.encode(text, add_special_tokens=False).ids


def test_window_is_sized_to_the_utterance_with_a_floor_and_a_cap() -> None:
    assert window_frames(150) == 1500  # a 1.5 s "yes please": the floor
    assert window_frames(1500) == 1700  # 15 s: the audio plus the margin
    assert window_frames(1501) == 1702  # always even (the encoder's stride-2 convolution)
    assert window_frames(2900) == MAX_FRAMES == window_frames(10_000)
    assert window_frames(150, min_frames=1000) == 1000


def test_new_tokens_grow_with_the_audio_and_stay_bounded() -> None:
    assert max_new_tokens(0.5) < max_new_tokens(2.0) < max_new_tokens(10.0)
    assert max_new_tokens(2.0) >= 2 * 4 * 1.5  # 4 words per second, ~1.5 tokens per word
    assert max_new_tokens(600.0) == MAX_NEW_TOKENS


def test_hints_go_in_by_importance_and_whole(encode) -> None:
    tokens = hint_tokens(encode, ["refund", "router reset", "Refund", "  "])
    assert tokens == encode(" Refund") + encode(", router reset") + encode(".")  # duplicates, blanks dropped


@given(st.lists(st.text(min_size=0, max_size=80), max_size=40))
def test_hints_can_never_blow_the_token_budget(hints) -> None:
    tokens = hint_tokens(lambda text: list(text.encode("utf-8")), hints)  # a byte per token: worst case
    assert len(tokens) <= HINT_TOKEN_BUDGET


def test_a_hint_too_long_for_the_rest_of_the_budget_is_skipped_not_cut(encode) -> None:
    long = " ".join(["international roaming"] * 40)
    tokens = hint_tokens(encode, ["balance", long, "bill"])
    assert tokens == encode(" Balance") + encode(", bill") + encode(".")
    assert len(hint_tokens(encode, [f"word{i}" for i in range(200)])) <= HINT_TOKEN_BUDGET


@pytest.mark.parametrize(
    ("heard", "kept"),
    [
        ("yes yes yes yes", "yes"),
        ("Yes. Yes. Yes.", "Yes."),
        ("I want a refund. I want a refund. I want a refund.", "I want a refund."),
        ("one two one two one two one two one two three", "one two three"),
        # digits repeat in real numbers: 5550129, 000 (stop 28's probe set, "It's five, zero, one, two, nine")
        ("It's five, five, five, zero, one, two, nine.", "It's five, five, five, zero, one, two, nine."),
        ("oh oh oh seven", "oh oh oh seven"),
        ("one two one two one two three", "one two one two one two three"),
        ("one two three four, one two three four", "one two three four, one two three four"),
        ("5 5 5 5 5 5 5 5", "5"),
        ("seven " * 10 + "one two", "seven one two"),  # a loop of one digit goes whole, not "seven seven"
        ("yes yes yes yes yes yes", "yes"),
        ("thank you thank you", "thank you thank you"),  # people do say that
        ("no no", "no no"),
        ("my account number is one two three four", "my account number is one two three four"),
        ("", ""),
    ],
)
def test_decoder_loops_are_collapsed_and_real_speech_kept(heard: str, kept: str) -> None:
    assert collapse_repeats(heard) == kept


def test_word_times_are_spread_over_the_voiced_span_by_length() -> None:
    audio = np.zeros(16000 * 3, dtype=np.float32)
    audio[16000:32000] = 0.3 * np.sin(np.arange(16000) * 0.2)  # speech from 1 s to 2 s
    start, end = voiced_span(audio)
    assert (start, end) == (pytest.approx(1.0, abs=0.02), pytest.approx(2.0, abs=0.02))
    words = spread_words("I want a refund", start, end, 0.8)
    assert [w.text for w in words] == ["I", "want", "a", "refund"]
    assert words[0].start == pytest.approx(start) and words[-1].end == pytest.approx(end, abs=0.002)
    assert all(a.end <= b.start + 1e-6 for a, b in itertools.pairwise(words))
    assert words[3].end - words[3].start > words[1].end - words[1].start  # "refund" is longer than "want"
    assert {w.confidence for w in words} == {0.8}
    assert spread_words("", 0.0, 1.0, 0.5) == ()


def test_speech_from_the_first_sample_gets_the_pre_roll_a_call_would_have() -> None:
    speech = 0.3 * np.sin(np.arange(16000, dtype=np.float32) * 0.2)
    padded = with_lead_in(speech, voiced_span(speech)[0])
    assert voiced_span(padded)[0] == pytest.approx(LEAD_IN_S, abs=0.02)
    assert np.array_equal(padded[-speech.size :], speech)  # nothing of the speech is lost
    after_a_pause = np.concatenate([np.zeros(8000, dtype=np.float32), speech])  # 0.5 s before it already
    assert with_lead_in(after_a_pause, voiced_span(after_a_pause)[0]) is after_a_pause
    full = np.ones(MAX_FRAMES * 160, dtype=np.float32) * 0.1  # 30 s of speech: no room for a lead-in
    assert with_lead_in(full, 0.0).size == full.size


def test_n_best_keeps_distinct_alternatives_in_rank_order_with_their_confidence() -> None:
    hypotheses = [
        ("I'm so hungry right now.", -0.25),
        ("I'm so hungry right now", -0.3),  # the same words as the best: not an alternative
        ("I'm so angry right now.", -0.48),
        ("", -0.5),  # no words
        ("yes yes yes yes", -0.6),  # a decoder loop, collapsed as the best one would be
        ("I am so angry right now.", -0.7),
    ]
    out = n_best(hypotheses, limit=2)
    assert [a.text for a in out] == ["I'm so angry right now.", "yes"]
    assert out[0].confidence == pytest.approx(np.exp(-0.48))
    assert n_best(hypotheses, limit=0) == ()
    assert n_best(hypotheses[:1], limit=4) == ()


def test_a_text_with_more_words_than_its_speech_can_hold_is_a_loop() -> None:
    looped = "One, two, three, four, five, six, one, two, three, four"  # heard in 1.66 s of speech
    assert too_fast(looped, 1.66)
    assert not too_fast("One, two, three, four, five, six,", 1.66)
    assert not too_fast("I want to talk to an agent", 1.5)  # fast, but people do talk that fast
    assert not too_fast(looped, None)  # no speech measured: nothing to judge by


@pytest.mark.parametrize(
    ("heard", "kept"),
    [
        ("One, two, three, four, five, six, one, two, three, four", "One, two, three, four, five, six"),
        ("one two three one two three", "one two three"),
        ("one two three four one two", "one two three four one two"),  # two words again: could be said
        ("my bill is wrong", "my bill is wrong"),
    ],
)
def test_a_restart_at_the_end_of_a_looped_text_is_cut(heard, kept) -> None:
    assert cut_restart(heard) == kept


def test_n_best_drops_alternatives_too_fast_for_the_speech() -> None:
    hypotheses = [
        ("One, two, three, four, five, six,", -0.2),
        ("one two three four five six one two three four five", -0.4),
    ]
    assert n_best(hypotheses, limit=2, seconds=2.0) == ()
    assert [a.text for a in n_best(hypotheses, limit=2, seconds=None)] == [hypotheses[1][0]]
