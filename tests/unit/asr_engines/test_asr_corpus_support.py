"""tests/support/corpus.py: which Asterisk prompts count as the plain-text corpus."""

import pytest

from tests.support.corpus import (
    SOUNDS_DIR,
    allison_corpus,
    chunks,
    fixed_sample,
    is_plain_text,
    load_wav,
    parse_transcripts,
)


@pytest.mark.parametrize(
    ("transcript", "plain"),
    [
        ("Please enter your password followed by the pound key.", True),
        ('Dial 4 to send this caller to a polite "don\'t call" menu.', True),
        ("...to exit the menu.", True),
        ("[ascending tones]", False),
        ("<beep ascending>", False),
        ("(10 seconds of silence)", False),
        ("press * to toggle pause, press # to enter a new dictation filename", False),
        ("dash [-]", False),
        ("   ", False),
    ],
)
def test_plain_text_rule(transcript: str, plain: bool) -> None:
    assert is_plain_text(transcript) is plain


def test_parse_skips_comments_and_keeps_colons_in_text() -> None:
    text = "; Core Asterisk Sounds\n\nhello-world: Hello world.\ndigits/at: at\nodd: time: 5\nno colon here\n"
    assert parse_transcripts(text) == {"hello-world": "Hello world.", "digits/at": "at", "odd": "time: 5"}


def test_corpus_is_the_plain_prompts_with_audio() -> None:
    corpus = allison_corpus()
    names = {p.name for p in corpus}
    assert len(corpus) > 500
    assert {"hello-world", "digits/5", "vm-no"} <= names
    assert not {"beep", "ascending-2tone", "silence/1", "dictate/both_help"} & names
    assert all(p.wav_path.is_file() and is_plain_text(p.transcript) for p in corpus)
    assert len(allison_corpus(plain_only=False)) > len(corpus)


def test_fixed_sample_is_deterministic() -> None:
    first, again = fixed_sample(50), fixed_sample(50)
    assert len(first) == 50 == len({p.name for p in first})
    assert first == again
    assert fixed_sample(50, seed=1) != first


def test_load_wav_and_chunks() -> None:
    pcm, rate = load_wav(SOUNDS_DIR / "hello-world.wav")
    assert rate == 8000
    assert 0.5 < len(pcm) / 2 / rate < 3.0
    frames = chunks(pcm, rate)
    assert b"".join(frames) == pcm
    assert {len(f) for f in frames[:-1]} == {320}
