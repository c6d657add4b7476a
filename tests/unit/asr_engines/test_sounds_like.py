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


@pytest.mark.parametrize(
    "said",
    [
        "Yes, that's perfect.",
        "Perfect, thank you.",
        "That's great, thanks.",
        "I can live with that for a day.",
        "I wrote to the government about it.",
        "It's a bit of a gamble.",
    ],
)
def test_the_bundled_table_never_turns_a_calm_or_pleased_turn_angry(said):
    from ivr.dialogue.sentiment import read

    for variant in load(BUNDLED).variants(said):
        assert not read(variant, "en").strong, variant


def test_a_looping_transcript_costs_a_bounded_number_of_variants():
    assert len(load(BUNDLED).variants("note " * 1600)) <= 4


def test_the_bundled_table_loads_and_knows_the_common_near_misses():
    table = load(BUNDLED)
    assert len(table) > 50
    assert "voicemail" in " ".join(table.variants("how do I set up noise mail"))


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("misses: nope\n", "'misses' must be a list"),
        ("misses:\n  - {heard: x, said: y}\n", "misses[0] needs heard and said"),
        ("misses:\n  - {heard: '', said: y, share: 1}\n", "misses[0] needs heard and said"),  # no words
        ("misses:\n  - {heard: null, said: y, share: 1}\n", "misses[0] needs heard and said"),
        ("misses:\n  - {heard: x, said: y, share: .nan}\n", "misses[0] needs heard and said"),
        ("misses:\n  - {heard: x, said: y, share: 5}\n", "misses[0] needs heard and said"),
        ("- {heard: x, said: y, share: 1}\n", "'misses' must be a list"),  # a list, not a mapping
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


@pytest.mark.parametrize(
    ("written", "read"), [(False, "off"), (True, "auto"), ("OFF", "off"), (" Auto ", "auto")]
)
def test_the_setting_reads_yaml_booleans_and_any_case_as_its_words(written, read):
    from ivr.config import AsrConfig

    assert AsrConfig(sounds_like=written).sounds_like == read


def test_ivr_check_names_the_file_key_and_line_of_a_table_that_will_not_load(tmp_path: Path):
    from ivr.checks import check_all

    shipped = (Path(__file__).resolve().parents[3] / "config" / "ivr.yaml").read_text(encoding="utf-8")
    config = tmp_path / "ivr.yaml"
    config.write_text(shipped.replace("sounds_like: auto", "sounds_like: offf"), encoding="utf-8")
    errors = [str(e) for e in check_all(config) if "sounds_like" in str(e)]
    line = next(n for n, text in enumerate(shipped.splitlines(), 1) if "sounds_like:" in text)
    assert errors and errors[0].startswith(
        f"{config}:{line}: asr.sounds_like: offf: the sounds_like table"
    ), errors
    config.write_text(shipped.replace("sounds_like: auto", "sounds_like: off"), encoding="utf-8")
    assert not [e for e in check_all(config) if "sounds_like" in str(e)]
