"""The recogniser's near misses as alternatives: variants of a transcript, the table file, the setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from asr.engine import Alternative, ModelLoadError, Transcript
from asr.models import bundled_whisper_model
from asr.sounds_like import BUNDLED, VARIANT_CONFIDENCE, NearMiss, SoundsLike, load, near_misses

TABLE = SoundsLike(
    [
        NearMiss("absolutely human", "absolutely fuming", 0.9),
        NearMiss("noise mail", "voicemail", 1.0),
        NearMiss("not talk", "just talk", 0.92),
        NearMiss("burden", "person", 0.8),
    ]
)


def transcript(text: str, *alternatives: str) -> Transcript:
    return Transcript(
        text, 0.6, (), "whisper", 1.0, 0.1, alternatives=tuple(Alternative(a, 0.5) for a in alternatives)
    )


@pytest.mark.parametrize(
    ("heard", "variants"),
    [
        ("I'm absolutely human.", ["I'm absolutely fuming."]),
        ("How do I set up noise mail?", ["How do I set up voicemail?"]),
        ("How do I set up noise, mail?", ["How do I set up voicemail?"]),  # punctuation between the words
        # every near miss at once first, then one at a time
        (
            "Can I not talk to a burden?",
            ["Can I just talk to a person?", "Can I just talk to a burden?", "Can I not talk to a person?"],
        ),
        # whole words only, any case
        ("I'm absolutely humane", []),
        ("NOISE MAIL", ["voicemail"]),
        ("what is my balance", []),
    ],
)
def test_variants_replace_the_near_misses(heard, variants):
    assert TABLE.variants(heard) == variants


def test_variants_are_at_most_the_limit():
    table = SoundsLike([NearMiss(w, w.upper() + "x", 0.5) for w in ("a", "b", "c", "d", "e", "f")])
    assert len(table.variants("a b c d e f", limit=3)) == 3


def test_extend_adds_the_variants_after_the_decoders_own_at_a_share_of_the_confidence():
    extended = TABLE.extend(transcript("I'm absolutely human.", "I'm absolutely humid."))
    assert [a.text for a in extended.alternatives] == ["I'm absolutely humid.", "I'm absolutely fuming."]
    assert extended.alternatives[-1].confidence == pytest.approx(0.6 * VARIANT_CONFIDENCE)
    assert extended.text == "I'm absolutely human."  # what is stored and shown stays the recogniser's


def test_extend_leaves_a_transcript_without_near_misses_and_an_empty_one_as_they_are():
    plain = transcript("what is my balance")
    assert TABLE.extend(plain) is plain
    empty = transcript("")
    assert TABLE.extend(empty) is empty


def test_a_variant_the_decoder_already_gave_is_not_repeated():
    extended = TABLE.extend(transcript("I'm absolutely human.", "i'm absolutely fuming."))
    assert [a.text for a in extended.alternatives] == ["i'm absolutely fuming."]


def test_the_bundled_table_loads_and_knows_the_common_near_misses():
    table = load(BUNDLED)
    assert len(table) > 50
    assert "voicemail" in " ".join(table.variants("how do I set up noise mail"))


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("misses: nope\n", "'misses' must be a list"),
        ("misses:\n  - {heard: x, said: y}\n", "misses[0] needs heard, said and share"),
        ("misses: [\n", "will not load"),
    ],
)
def test_a_broken_table_is_a_clear_error(tmp_path: Path, content: str, problem: str):
    path = tmp_path / "table.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ModelLoadError, match=problem.replace("[", r"\[").replace("]", r"\]")) as caught:
        near_misses(str(path), Path("/models/whatever"), "en")
    assert str(path) in str(caught.value) and "asr.sounds_like" in str(caught.value)


def test_a_missing_table_file_is_a_clear_error(tmp_path: Path):
    with pytest.raises(ModelLoadError, match="will not load"):
        near_misses(str(tmp_path / "nowhere.yaml"), Path("/models/whatever"), "en")


def test_auto_is_the_bundled_table_for_the_bundled_english_model_only(tmp_path: Path):
    bundled = bundled_whisper_model()
    assert bundled is not None
    assert near_misses("auto", Path(bundled), "en") is not None
    assert near_misses("auto", tmp_path, "en") is None  # another model: its mistakes are its own
    assert near_misses("auto", Path(bundled), "ko") is None
    assert near_misses("off", Path(bundled), "en") is None
