"""A new ASR engine is one module plus its registration: a tiny engine declared here, config -> factory."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import ValidationError

from asr.engine import ModelLoadError, Transcript
from asr.loader import load_engine, unload_engines
from asr.pool import DecodeLoad
from asr.registry import EngineSpec, engine_names, engine_spec, register, unregister
from ivr.config import ServiceConfig
from ivr.wiring import load_configured_engine


@dataclass(frozen=True, slots=True)
class LoudnessOptions:
    """The only `asr:` setting this engine takes."""

    workers: int | None = None


class LoudnessStream:
    """Hears "loud" when any sample of the utterance reaches half scale, else nothing."""

    def __init__(self) -> None:
        self.pcm = bytearray()

    async def feed(self, pcm: bytes) -> None:
        self.pcm += pcm

    async def finish(self) -> Transcript:
        samples = memoryview(bytes(self.pcm)).cast("h")
        loud = any(abs(s) >= 16384 for s in samples)
        audio_seconds = len(samples) / 8000
        self.pcm.clear()
        return Transcript("loud" if loud else "", 1.0, (), "loudness", audio_seconds, 0.0)

    def close(self) -> None:
        self.pcm.clear()


class LoudnessEngine:
    """A whole engine in a few lines: the model folder holds one `threshold` file it reads at load."""

    name = "loudness"
    streaming = False

    def __init__(self, model_path: Path, workers: int | None) -> None:
        self.model_path, self.load = model_path, DecodeLoad(workers or 1)
        self.closed = False

    def new_stream(
        self, rate: int, *, grammar: Sequence[str] | None = None, hints: Sequence[str] | None = None
    ) -> LoudnessStream:
        return LoudnessStream()

    def close(self) -> None:
        self.closed = True


def resolve_loudness_model(model: str | None, language: str, models_dir: Path) -> Path:
    """The configured folder (relative names live in models_dir); it must hold a `threshold` file."""
    path = models_dir / (model or f"loudness-{language}")
    if not (path / "threshold").is_file():
        raise ModelLoadError(path, "not a loudness model: no threshold file", "write one")
    return path


SPEC = EngineSpec(
    "loudness",
    streams=False,
    options=LoudnessOptions,
    resolve=resolve_loudness_model,
    build=lambda path, options: LoudnessEngine(path, options.workers),
)


@pytest.fixture
def registered() -> Iterator[EngineSpec]:
    register(SPEC)
    yield SPEC
    unload_engines("loudness")
    unregister("loudness")


def config_for(models: Path, **asr: object) -> ServiceConfig:
    return ServiceConfig.model_validate({"asr": asr, "paths": {"models": str(models)}})


async def test_a_registered_engine_goes_from_the_config_to_a_working_recogniser(
    registered: EngineSpec, tmp_path: Path
) -> None:
    (tmp_path / "loudness-en").mkdir()
    (tmp_path / "loudness-en" / "threshold").write_text("16384\n")
    config = config_for(tmp_path, engine="loudness", workers=3, threads=2, decoder_nice=7)
    assert config.asr.engine == "loudness" and "loudness" in engine_names()

    engine = load_configured_engine(config)
    assert isinstance(engine, LoudnessEngine) and engine.model_path == (tmp_path / "loudness-en").resolve()
    assert engine.load.workers == 3  # the option it declared reached the factory; threads and nice did not
    assert load_engine("loudness", None, models_dir=tmp_path, workers=3) is engine, "one engine per model"
    assert engine_spec("loudness").streams is False

    stream = engine.new_stream(8000)
    await stream.feed((20000).to_bytes(2, "little", signed=True) * 160)
    assert (await stream.finish()).text == "loud"
    await stream.feed(bytes(320))
    assert (await stream.finish()).text == ""


def test_the_resolver_of_the_engine_refuses_a_broken_model(registered: EngineSpec, tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="not a loudness model"):
        load_configured_engine(config_for(tmp_path, engine="loudness", model="nothing-here"))


def test_an_engine_nobody_registered_is_a_config_error_naming_the_choices(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="unknown ASR engine 'loudness': choose one of vosk, whisper"):
        config_for(tmp_path, engine="loudness")


def test_a_name_is_registered_once(registered: EngineSpec) -> None:
    register(SPEC)  # the same declaration again (a module imported twice) is harmless
    with pytest.raises(ValueError, match="registered twice"):
        register(EngineSpec("loudness", False, LoudnessOptions, resolve_loudness_model, SPEC.build))


def test_loading_a_loaded_model_with_other_options_says_they_are_not_applied(
    registered: EngineSpec, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "loudness-en").mkdir()
    (tmp_path / "loudness-en" / "threshold").write_text("16384\n")
    engine = load_engine("loudness", None, models_dir=tmp_path, workers=2)
    with caplog.at_level(logging.WARNING, logger="asr.loader"):
        assert load_engine("loudness", None, models_dir=tmp_path, workers=2) is engine
        assert not caplog.records  # the same options: nothing to say
        assert load_engine("loudness", None, models_dir=tmp_path, workers=4) is engine
    assert "already loaded" in caplog.text and "not applied" in caplog.text
    assert engine.load.workers == 2
