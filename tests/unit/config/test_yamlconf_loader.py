"""The generic admin-YAML loader: key paths through lists, lines, YAML edge cases and garbage input."""

from typing import Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr.errors import ConfigError
from ivr.yamlconf import (
    MAX_FILE_BYTES,
    ConfigErrors,
    StrictModel,
    format_path,
    load_model,
    load_model_from_text,
    parse_with_lines,
)


class Say(StrictModel):
    """A step that speaks."""

    say: str
    voice: Literal["en", "ko"] = "en"


class Flow(StrictModel):
    """A named list of steps."""

    name: str
    steps: list[Say]


class Flows(StrictModel):
    """Root of the test file."""

    version: int
    flows: list[Flow]


FLOWS = """\
version: 1
flows:
  - name: greet
    steps:
      - say: hello
  - name: bye
    steps:
      - say: bye
  - name: broken
    steps:
      - sya: oops
      - say: fine
        voice: kor
"""


def errors_of(text: str, model=Flows) -> list[ConfigError]:
    """Errors raised while loading text (fails the test if it loads)."""
    with pytest.raises(ConfigErrors) as info:
        load_model_from_text(text, model, "flows.yaml")
    return info.value.errors


def test_valid_lists_load_into_frozen_models():
    text = "version: 1\nflows:\n  - name: a\n    steps:\n      - say: hi\n"
    flows = load_model_from_text(text, Flows)
    assert flows.flows[0].steps[0].say == "hi"
    with pytest.raises(ValueError):
        flows.version = 2  # type: ignore[misc]


def test_list_index_paths_and_lines():
    errors = errors_of(FLOWS)
    assert [(e.line, e.key_path) for e in errors] == [
        (11, "flows[2].steps[0].say"),
        (11, "flows[2].steps[0].sya"),
        (13, "flows[2].steps[1].voice"),
    ]
    assert errors[0].message == "required key is missing"
    assert "did you mean 'say'" in errors[1].message
    assert "did you mean 'ko'" in errors[2].message


def test_wrong_type_list_item_points_at_item():
    errors = errors_of("version: 1\nflows:\n  - name: a\n    steps:\n      - hello\n")
    assert [(e.line, e.key_path) for e in errors] == [(5, "flows[0].steps[0]")]


def test_missing_parent_section_points_at_root():
    (error,) = errors_of("\n\nversion: 2\n")
    assert (error.line, error.key_path, error.message) == (3, "flows", "required key is missing")


def test_missing_key_inside_list_item_points_at_item():
    errors = errors_of("version: 1\nflows:\n  - name: a\n  - steps: []\n    name: b\n  - name: c\n")
    assert [(e.line, e.key_path) for e in errors] == [(3, "flows[0].steps"), (6, "flows[2].steps")]
    errors = errors_of("version: 1\nflows:\n  - steps: []\n  - name: b\n    steps: []\n")
    assert [(e.line, e.key_path) for e in errors] == [(3, "flows[0].name")]


def test_duplicate_key_inside_list_item():
    text = "version: 1\nflows:\n  - name: a\n    steps: []\n    name: b\n"
    (error,) = errors_of(text)
    assert (error.line, error.key_path) == (5, "flows[0].name")
    assert "first defined on line 3" in error.message


def test_duplicate_and_validation_errors_are_separate_passes():
    # Duplicates stop before validation: the model never sees an ambiguous document.
    errors = errors_of("version: 1\nversion: 2\nflows: 3\nflows: 4\n")
    assert [(e.line, e.key_path) for e in errors] == [(2, "version"), (4, "flows")]


def test_merge_keys_may_override_without_duplicate_error():
    text = "base: &b {name: x, steps: []}\nversion: 1\nflows:\n  - <<: *b\n    name: y\n"

    class WithBase(Flows):
        """Flows plus an anchor holder."""

        base: dict

    flows = load_model_from_text(text, WithBase)
    assert flows.flows[0].name == "y" and flows.flows[0].steps == []


def test_alias_values_get_the_anchor_line():
    text = "steps: &s\n  - say: 3\nversion: 1\nflows:\n  - name: a\n    steps: *s\n"

    class WithSteps(Flows):
        """Flows plus a shared steps list."""

        steps: list[Say]

    errors = errors_of(text, WithSteps)
    assert [(e.line, e.key_path) for e in errors] == [(2, "flows[0].steps[0].say"), (2, "steps[0].say")]


def test_impossible_date_has_a_line():
    (error,) = errors_of("version: 1\nflows: []\nwhen: 2024-02-30\n")
    assert (error.line, error.key_path) == (3, "when")
    assert "2024-02-30" in error.message


def test_unsafe_tag_is_an_error_not_code():
    (error,) = errors_of("version: !!python/object/apply:os.system [echo hi]\nflows: []\n")
    assert error.line == 1 and "constructor" in error.message


def test_complex_key_is_an_error():
    (error,) = errors_of("version: 1\nflows: []\n? [a, b]\n: 1\n")
    assert error.line == 3 and "plain scalars" in error.message


def test_recursive_alias_is_bounded():
    (error,) = errors_of("version: 1\nflows: &f [*f]\n")
    assert "too deeply nested" in error.message


def test_billion_laughs_is_bounded():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    (error,) = errors_of("\n".join(lines) + "\n")
    assert "too large" in error.message


def test_errors_str_lists_each_on_its_own_line():
    with pytest.raises(ConfigErrors) as info:
        load_model_from_text(FLOWS, Flows, "flows.yaml")
    exc = info.value
    assert isinstance(exc, ConfigError)
    assert str(exc).splitlines() == [str(e) for e in exc.errors]
    assert str(exc).splitlines()[0] == "flows.yaml:11: flows[2].steps[0].say: required key is missing"
    assert (exc.file, exc.line, exc.key_path) == ("flows.yaml", 11, "flows[2].steps[0].say")


def test_config_errors_needs_errors():
    with pytest.raises(ValueError):
        ConfigErrors([])


def test_load_model_from_file_uses_path_as_file_name(tmp_path):
    path = tmp_path / "flows.yaml"
    path.write_text("version: x\nflows: []\n")
    with pytest.raises(ConfigErrors) as info:
        load_model(path, Flows)
    assert [(e.file, e.line, e.key_path) for e in info.value.errors] == [(str(path), 1, "version")]


def test_missing_file(tmp_path):
    with pytest.raises(ConfigErrors) as info:
        load_model(tmp_path / "nope.yaml", Flows)
    (error,) = info.value.errors
    assert error.file.endswith("nope.yaml") and error.line is None and "cannot read" in error.message


def test_non_utf8_file_names_the_line(tmp_path):
    path = tmp_path / "flows.yaml"
    path.write_bytes(b"version: 1\nflows: []\nname: \xff\n")
    with pytest.raises(ConfigErrors) as info:
        load_model(path, Flows)
    assert [(e.line, e.message) for e in info.value.errors] == [(3, "file is not valid UTF-8")]


def test_oversized_file_is_refused(tmp_path):
    path = tmp_path / "flows.yaml"
    path.write_bytes(b"#" * (MAX_FILE_BYTES + 1))
    with pytest.raises(ConfigErrors) as info:
        load_model(path, Flows)
    assert "larger than" in info.value.errors[0].message


def test_parse_with_lines_maps_keys_and_items():
    data, lines = parse_with_lines("a:\n  b:\n    - x\n    - c: 1\n")
    assert data == {"a": {"b": ["x", {"c": 1}]}}
    assert lines[("a",)] == 1 and lines[("a", "b")] == 2
    assert lines[("a", "b", 0)] == 3 and lines[("a", "b", 1, "c")] == 4


def test_format_path():
    assert format_path(("flows", 2, "steps", 0, "say")) == "flows[2].steps[0].say"
    assert format_path((1, "a"), [False, False]) == "1.a"
    assert format_path(()) == ""


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_garbage_text_only_ever_raises_config_errors(text):
    try:
        load_model_from_text(text, Flows)
    except ConfigErrors as exc:
        assert exc.errors and all(isinstance(e, ConfigError) for e in exc.errors)


yaml_ish = st.lists(
    st.sampled_from(
        [
            "version:",
            "flows:",
            " - ",
            "name:",
            "steps:",
            "say:",
            " ",
            "  ",
            "\n",
            "&a ",
            "*a",
            "<<: ",
            "[",
            "]",
            "{",
            "}",
            ",",
            "'",
            '"',
            "1",
            "x",
            "?",
            "!!int ",
            "!!timestamp ",
            "!!float ",
            "!!binary ",
            "2024-02-30",
            "#",
            ":",
            "-",
        ]
    ),
    max_size=40,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(yaml_ish)
def test_yaml_like_garbage_only_ever_raises_config_errors(text):
    try:
        load_model_from_text(text, Flows)
    except ConfigErrors as exc:
        assert all(isinstance(e.line, int | None) for e in exc.errors)
        assert all(isinstance(e.key_path, str) for e in exc.errors)


def test_control_character_is_an_error_with_line():
    (error,) = errors_of("version: 1\nflows: []\nx: \x1f\n")
    assert error.line == 3 and "special characters" in error.message


@pytest.mark.parametrize("value", ["!!int ''", "!!timestamp x", "!!float ''"])
def test_badly_tagged_scalar_is_an_error_with_line(value):
    (error,) = errors_of(f"version: 1\nflows: []\nx: {value}\n")
    assert (error.line, error.key_path) == (3, "x")
