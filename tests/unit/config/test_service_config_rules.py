"""config/ivr.yaml: the shipped file, each validation rule with its exact file, line and key path."""

from pathlib import Path

import pytest

from asr.endpointer import PRESETS
from ivr.config import ServiceConfig, load_service_config
from ivr.errors import ConfigError
from ivr.yamlconf import ConfigErrors, load_model_from_text

REPO = Path(__file__).resolve().parents[3]
SHIPPED = REPO / "config" / "ivr.yaml"


def errors_of(text: str) -> list[ConfigError]:
    """Load text as ivr.yaml and return the errors it raises (fails the test if it loads)."""
    with pytest.raises(ConfigErrors) as info:
        load_model_from_text(text, ServiceConfig, "ivr.yaml")
    return info.value.errors


def only_error(text: str) -> ConfigError:
    """The single error of a broken file."""
    errors = errors_of(text)
    assert len(errors) == 1, [str(e) for e in errors]
    return errors[0]


def test_shipped_file_loads_and_equals_embedded_defaults():
    config = load_service_config(SHIPPED)
    assert config == ServiceConfig()
    assert config.listen.fastagi_port == 4573
    assert config.asr.endpointing == "normal"
    assert config.tts.voices["en"].voice == "en-us"
    assert config.bot.fallback_queue == "support-en"


def test_shipped_file_has_every_key_of_the_model():
    import yaml

    data = yaml.safe_load(SHIPPED.read_text())
    dumped = ServiceConfig().model_dump()
    for section, values in dumped.items():
        assert section in data
        if isinstance(values, dict) and section != "tts":
            assert set(values) == set(data[section]), section


def test_empty_file_gives_defaults():
    assert load_model_from_text("# nothing\n", ServiceConfig) == ServiceConfig()


def test_models_are_frozen():
    config = ServiceConfig()
    with pytest.raises(ValueError):
        config.listen.fastagi_port = 1  # type: ignore[misc]


def test_unknown_key_with_suggestion():
    error = only_error("listen:\n  host: 0.0.0.0\n  fastagi_prot: 4573\n")
    assert (error.file, error.line, error.key_path) == ("ivr.yaml", 3, "listen.fastagi_prot")
    assert "did you mean 'fastagi_port'" in error.message


def test_unknown_top_level_key_without_close_match_lists_known_keys():
    error = only_error("log_level: INFO\n\nzzzz: 1\n")
    assert (error.line, error.key_path) == (3, "zzzz")
    assert "unknown key 'zzzz'" in error.message and "listen" in error.message


def test_unknown_endpointing_override_key():
    error = only_error("asr:\n  endpointing_overrides:\n    end_silance: 0.8\n")
    assert (error.line, error.key_path) == (3, "asr.endpointing_overrides.end_silance")
    assert "did you mean 'end_silence'" in error.message


def test_wrong_type():
    error = only_error("agi:\n  script: hotline\n  command_timeout: soon\n")
    assert (error.line, error.key_path) == (3, "agi.command_timeout")
    assert "valid number" in error.message and "'soon'" in error.message


def test_section_of_wrong_type_points_at_section_key():
    error = only_error("log_level: INFO\nlisten: 3\n")
    assert (error.line, error.key_path) == (2, "listen")


@pytest.mark.parametrize("port", [0, 70000, -5])
def test_out_of_range_port(port):
    error = only_error(f"ami:\n  enabled: true\n  port: {port}\n")
    assert (error.line, error.key_path) == (3, "ami.port")


def test_bad_preset_name_suggests_closest():
    error = only_error("asr:\n  engine: vosk\n  endpointing: patinet\n")
    assert (error.line, error.key_path) == (3, "asr.endpointing")
    assert "'fast', 'normal' or 'patient'" in error.message
    assert "did you mean 'patient'" in error.message


def test_duplicate_key_names_both_lines():
    error = only_error("listen:\n  host: a\n  desktop_port: 80\n  host: b\n")
    assert (error.line, error.key_path) == (4, "listen.host")
    assert "duplicate key 'host'" in error.message and "line 2" in error.message


def test_duplicate_top_level_section():
    error = only_error("asr:\n  engine: vosk\nbot:\n  barge_in: false\nasr:\n  engine: whisper\n")
    assert (error.line, error.key_path) == (5, "asr")
    assert "line 1" in error.message


def test_yaml_syntax_error_has_line():
    error = only_error("listen:\n  host: 0.0.0.0\n   fastagi_port: 4573\nagi: {}\n")
    assert error.file == "ivr.yaml" and error.line == 3
    assert error.message.startswith("YAML syntax error")


def test_secret_in_yaml_points_to_environment():
    error = only_error("ami:\n  username: ivr\n  secret: hunter2\n")
    assert (error.line, error.key_path) == (3, "ami.secret")
    assert "IVR_AMI_SECRET" in error.message
    assert "hunter2" not in str(error)


def test_password_in_database_url_is_rejected_without_echoing_it():
    error = only_error("database:\n  url: postgresql://ivr:hunter2@db/ivr\n")
    assert (error.line, error.key_path) == (2, "database.url")
    assert "IVR_DATABASE_URL" in error.message
    assert "hunter2" not in str(error)


def test_database_url_without_password_is_fine():
    config = load_model_from_text("database:\n  url: postgresql://ivr@db/ivr\n", ServiceConfig)
    assert config.database.url == "postgresql://ivr@db/ivr"


def test_missing_key_reports_line_of_nearest_parent():
    error = only_error("tts:\n  voices:\n    en: {voice: en-us}\n    ko:\n      rate: 160\n")
    assert (error.line, error.key_path) == (4, "tts.voices.ko.voice")
    assert error.message == "required key is missing"


def test_bad_advertise_address():
    error = only_error("listen:\n  audiosocket_advertise: ivr-worker-1\n")
    assert (error.line, error.key_path) == (2, "listen.audiosocket_advertise")
    assert "host:port" in error.message


@pytest.mark.parametrize("value", ["10.0.0.5:9092", "ivr-1.lan:1", "[::1]:9092"])
def test_good_advertise_addresses(value):
    config = load_model_from_text(f'listen:\n  audiosocket_advertise: "{value}"\n', ServiceConfig)
    assert config.listen.audiosocket_advertise == value


def test_voice_rate_range_and_language_key():
    errors = errors_of("tts:\n  voices:\n    en: {voice: en-us, rate: 900}\n    EN: {voice: en-gb}\n")
    assert [(e.line, e.key_path) for e in errors] == [(3, "tts.voices.en.rate"), (4, "tts.voices.EN")]


def test_multiple_errors_reported_together_in_line_order():
    text = (
        "listen:\n"
        "  fastagi_port: 99999\n"  # 2
        "asr:\n"
        "  endpointing: slow\n"  # 4
        "  vad_aggressiveness: 7\n"  # 5
        "ami:\n"
        "  secret: x\n"  # 7
        "colour: blue\n"  # 8
    )
    errors = errors_of(text)
    assert [(e.line, e.key_path) for e in errors] == [
        (2, "listen.fastagi_port"),
        (4, "asr.endpointing"),
        (5, "asr.vad_aggressiveness"),
        (7, "ami.secret"),
        (8, "colour"),
    ]


def test_log_level_is_case_insensitive():
    assert load_model_from_text("log_level: debug\n", ServiceConfig).log_level == "DEBUG"


def test_env_overrides_database_url_and_supplies_ami_secret():
    config = load_model_from_text("database:\n  url: sqlite:///var/test.db\n", ServiceConfig)
    assert config.database.effective_url({}) == "sqlite:///var/test.db"
    assert config.database_url({}) == "sqlite:///var/test.db"
    assert config.database.effective_url({"IVR_DATABASE_URL": ""}) == "sqlite:///var/test.db"
    env = {"IVR_DATABASE_URL": "postgresql://ivr:pw@db/ivr", "IVR_AMI_SECRET": "s3"}
    assert config.database.effective_url(env) == "postgresql://ivr:pw@db/ivr"
    assert config.database_url(env) == "postgresql://ivr:pw@db/ivr"
    assert config.ami.secret(env) == "s3"
    assert config.ami.secret({}) is None


def test_env_is_read_from_process_environment(monkeypatch):
    monkeypatch.setenv("IVR_DATABASE_URL", "postgresql://ivr:pw@db/ivr")
    monkeypatch.setenv("IVR_AMI_SECRET", "from-env")
    config = ServiceConfig()
    assert config.database.effective_url() == "postgresql://ivr:pw@db/ivr"
    assert config.database_url() == "postgresql://ivr:pw@db/ivr"
    assert config.ami.secret() == "from-env"


def test_load_service_config_reports_real_file_name(tmp_path):
    path = tmp_path / "ivr.yaml"
    path.write_text("bot:\n  max_call_seconds: -1\n")
    with pytest.raises(ConfigErrors) as info:
        load_service_config(path)
    (error,) = info.value.errors
    assert (error.file, error.line, error.key_path) == (str(path), 2, "bot.max_call_seconds")


def test_endpointing_overrides_apply_to_the_preset():
    text = "asr:\n  endpointing: fast\n  endpointing_overrides:\n    end_silence: 0.9\n"
    config = load_model_from_text(text, ServiceConfig)
    assert config.asr.endpointing_overrides == {"end_silence": 0.9}
    params = config.asr.endpointing_params()
    assert params.end_silence == 0.9
    assert params.min_speech == PRESETS["fast"].min_speech


def test_endpointing_overrides_that_break_the_preset_rules():
    error = only_error("asr:\n  endpointing: normal\n  endpointing_overrides: {max_utterance: 0.1}\n")
    assert (error.line, error.key_path) == (3, "asr.endpointing_overrides")
    assert "max_utterance must be longer than min_speech" in error.message


def test_endpointing_override_must_be_a_finite_number():
    error = only_error("asr:\n  endpointing_overrides:\n    no_input: .inf\n")
    assert (error.line, error.key_path) == (3, "asr.endpointing_overrides.no_input")
