"""`ivr check` logic: ivr.yaml first, then every registered checker; errors formatted one per line."""

from pathlib import Path

import pytest

from ivr import checks
from ivr.checks import check_all, format_errors
from ivr.config import ServiceConfig
from ivr.errors import ConfigError
from ivr.yamlconf import ConfigErrors

SHIPPED = Path(__file__).resolve().parents[3] / "config" / "ivr.yaml"


@pytest.fixture
def no_extra_checkers(monkeypatch):
    """Run with an empty, private EXTRA_CHECKERS list so other modules' checkers do not interfere."""
    monkeypatch.setattr(checks, "EXTRA_CHECKERS", [])
    return checks.EXTRA_CHECKERS


def test_shipped_config_has_no_errors(no_extra_checkers):
    assert check_all(SHIPPED) == []


def test_broken_config_returns_every_error(tmp_path, no_extra_checkers):
    path = tmp_path / "ivr.yaml"
    path.write_text("listen:\n  fastagi_port: 99999\nasr:\n  engine: kaldi\n")
    errors = check_all(path)
    assert [(e.file, e.line, e.key_path) for e in errors] == [
        (str(path), 2, "listen.fastagi_port"),
        (str(path), 4, "asr.engine"),
    ]


def test_missing_config_file_is_one_error(tmp_path, no_extra_checkers):
    (error,) = check_all(tmp_path / "absent.yaml")
    assert error.file.endswith("absent.yaml") and "cannot read" in error.message


def test_extra_checkers_get_the_loaded_config_and_their_errors_are_collected(tmp_path, no_extra_checkers):
    path = tmp_path / "ivr.yaml"
    path.write_text("paths:\n  queues: elsewhere/queues.yaml\n")
    seen: list[tuple[Path, ServiceConfig]] = []

    def queues_checker(config_path: Path, config: ServiceConfig) -> list[ConfigError]:
        seen.append((config_path, config))
        return [ConfigError(str(config.paths.queues), "queues[0].skill", 4, "unknown skill 'billing'")]

    def flows_checker(config_path: Path, config: ServiceConfig) -> list[ConfigError]:
        raise ConfigErrors([ConfigError("dialplan/en.yaml", "steps[1].say", 9, "empty text")])

    no_extra_checkers.extend([queues_checker, flows_checker])
    errors = check_all(path)
    assert seen == [(path, ServiceConfig(paths={"queues": Path("elsewhere/queues.yaml")}))]
    assert [str(e) for e in errors] == [
        "elsewhere/queues.yaml:4: queues[0].skill: unknown skill 'billing'",
        "dialplan/en.yaml:9: steps[1].say: empty text",
    ]


def test_extra_checkers_do_not_run_when_ivr_yaml_is_broken(tmp_path, no_extra_checkers):
    path = tmp_path / "ivr.yaml"
    path.write_text("bot: [\n")
    no_extra_checkers.append(lambda *_: pytest.fail("checker ran on a broken ivr.yaml"))
    (error,) = check_all(path)
    assert error.line is not None and "YAML syntax error" in error.message


def test_explicit_checkers_replace_the_registered_ones(tmp_path, no_extra_checkers):
    no_extra_checkers.append(lambda *_: [ConfigError("x", "", 1, "registered")])
    explicit = [lambda *_: [ConfigError("y", "", 2, "explicit")]]
    assert [e.message for e in check_all(SHIPPED, explicit)] == ["explicit"]
    assert [e.message for e in check_all(SHIPPED)] == ["registered"]


def test_format_errors_one_line_each():
    errors = [
        ConfigError("config/ivr.yaml", "asr.endpointing", 12, "Input should be 'fast'"),
        ConfigError("config/ivr.yaml", "", None, "cannot read file"),
        ConfigError("dialplan/en.yaml", "", 3, "YAML syntax error"),
    ]
    assert format_errors(errors) == (
        "config/ivr.yaml:12: asr.endpointing: Input should be 'fast'\n"
        "config/ivr.yaml: <root>: cannot read file\n"
        "dialplan/en.yaml:3: <root>: YAML syntax error"
    )
    assert format_errors([]) == ""
