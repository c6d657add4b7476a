"""Every validation rule of the queue YAML refuses a broken file with the right line and key path."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr.yamlconf import ConfigErrors, load_model_from_text
from queues.loader import check_queues, load_queue_config
from queues.schema import QueueConfig, parse_days, parse_time_range
from tests.unit.queues_config.queue_yaml_base import write_yaml

CASES = [
    # (id, old fragment, new fragment, line, key path, words in the message)
    (
        "unknown key",
        "    language: en\n    overflow",
        "    language: en\n    colour: red\n    overflow",
        18,
        "queues.billing-en.colour",
        "unknown key 'colour'",
    ),
    (
        "bad strategy",
        "    skill: billing\n",
        "    skill: billing\n    strategy: fastest\n",
        17,
        "queues.billing-en.strategy",
        "fastest",
    ),
    (
        "unknown queue skill",
        "    skill: billing\n",
        "    skill: cooking\n",
        16,
        "queues.billing-en.skill",
        "unknown skill 'cooking'",
    ),
    (
        "agent skill not in skills",
        "{billing: 10, support: 5}",
        "{billing: 10, cooking: 5}",
        28,
        "agents.alice.skills.cooking",
        "unknown skill 'cooking'",
    ),
    (
        "agent level out of range",
        "{billing: 10, support: 5}",
        "{billing: 11, support: 5}",
        28,
        "agents.alice.skills.billing",
        "less than or equal to 10",
    ),
    (
        "overflow to unknown queue",
        "overflow: support-en",
        "overflow: nowhere",
        18,
        "queues.billing-en.overflow",
        "unknown queue 'nowhere'",
    ),
    (
        "overflow cycle",
        "    skill: support\n    language: en\n",
        "    skill: support\n    language: en\n    overflow: billing-en\n",
        18,
        "queues.billing-en.overflow",
        "overflow loops: billing-en -> support-en -> billing-en",
    ),
    (
        "overflow to itself",
        "overflow: support-en",
        "overflow: billing-en",
        18,
        "queues.billing-en.overflow",
        "itself",
    ),
    (
        "bad hours format",
        '["08:00-18:00"]',
        '["8am-6pm"]',
        8,
        "hours.office.weekly.mon-fri[0]",
        "is not a time like 08:00",
    ),
    (
        "hours end before start",
        '["08:00-18:00"]',
        '["18:00-08:00"]',
        8,
        "hours.office.weekly.mon-fri[0]",
        "end must be after the start",
    ),
    ("bad day name", "mon-fri:", "mon-fry:", 8, "hours.office.weekly.mon-fry", "is not a day"),
    (
        "day set twice",
        '      mon-fri: ["08:00-18:00"]\n',
        '      mon-fri: ["08:00-18:00"]\n      fri: ["09:00-12:00"]\n',
        9,
        "hours.office.weekly.fri",
        "already set by 'mon-fri'",
    ),
    (
        "overlapping ranges",
        '["08:00-18:00"]',
        '["08:00-12:00", "11:00-18:00"]',
        8,
        "hours.office.weekly.mon-fri",
        "overlap",
    ),
    ("unknown time zone", "Asia/Shanghai", "Mars/Olympus", 6, "hours.office.timezone", "unknown time zone"),
    (
        "unknown hours profile",
        "hours: office",
        "hours: night",
        19,
        "queues.billing-en.hours",
        "unknown hours profile 'night'",
    ),
    (
        "unknown penalty rule",
        "penalty_rule: experts",
        "penalty_rule: nobody",
        20,
        "queues.billing-en.penalty_rule",
        "unknown penalty rule 'nobody'",
    ),
    (
        "penalty rule does not widen",
        "max_penalty: 5",
        "max_penalty: 1",
        13,
        "penalty_rules.experts.widen[0].max_penalty",
        "must be above 2",
    ),
    (
        "duplicate interface",
        "interface: PJSIP/1002",
        "interface: PJSIP/1001",
        32,
        "agents.bob.interface",
        "already agent 'alice'",
    ),
    ("member name with a comma", "name: Bob", "name: Bob, Jr", 31, "agents.bob.name", "pattern"),
    ("VIP bad number pattern", '"555*"', '"55x5"', 39, "vip.callers[0].numbers[1]", "pattern"),
    (
        "VIP unknown tier",
        "tier: gold",
        "tier: platinum",
        40,
        "vip.callers[0].tier",
        "unknown tier 'platinum'",
    ),
    (
        "routing to an unknown skill",
        "bill: billing",
        "bill: cooking",
        44,
        "routing.intents.bill",
        "unknown skill 'cooking'",
    ),
    (
        "unknown default queue",
        "default_queue: support-en",
        "default_queue: support-fr",
        42,
        "routing.default_queue",
        "unknown queue 'support-fr'",
    ),
    (
        "two queues for one skill and language",
        "    skill: support\n",
        "    skill: billing\n",
        21,
        "queues.support-en",
        "already serves skill 'billing'",
    ),
    ("reserved queue name", "  support-en:\n", "  general:\n", 21, "queues.general", "reserved"),
    (
        "agent qualifies for nothing",
        "{support: 7}\n    languages: [en]",
        "{support: 7}\n    languages: [fr]",
        33,
        "agents.bob.skills",
        "no queue",
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "line", "key_path", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_a_broken_file_is_refused_with_line_and_key_path(
    tmp_path: Path, old: str, new: str, line: int, key_path: str, words: str
) -> None:
    path = write_yaml(tmp_path, old, new)
    with pytest.raises(ConfigErrors) as caught:
        load_queue_config(path)
    found = [(e.line, e.key_path) for e in caught.value.errors]
    matching = [e for e in caught.value.errors if (e.line, e.key_path) == (line, key_path)]
    assert matching, f"expected an error at line {line} {key_path}, got {found}"
    assert words in matching[0].message
    assert matching[0].file == str(path)


def test_the_base_file_is_valid(tmp_path: Path) -> None:
    config = load_queue_config(write_yaml(tmp_path))
    assert sorted(config.queues) == ["billing-en", "support-en"]
    assert config.queues["billing-en"].name == "billing-en"
    assert config.agents["alice"].id == "alice"
    assert config.queues["billing-en"].display_name == {"en": "billing"}  # no display name: the skill key


def test_check_reports_every_error_formatted(tmp_path: Path) -> None:
    path = write_yaml(tmp_path, "bill: billing", "bill: cooking\n    refund: baking")
    lines = check_queues(path)
    assert lines == [
        f"{path}:44: routing.intents.bill: unknown skill 'cooking' (known: billing, support)",
        f"{path}:45: routing.intents.refund: unknown skill 'baking' (known: billing, support)",
    ]
    assert check_queues(write_yaml(tmp_path)) == []


def test_a_missing_file_is_one_error(tmp_path: Path) -> None:
    [line] = check_queues(tmp_path / "absent.yaml")
    assert "absent.yaml" in line and "cannot read file" in line


def test_the_sample_config_is_valid() -> None:
    root = Path(__file__).resolve().parents[3]
    config = load_queue_config(root / "config" / "queues.yaml")
    assert {q.skill for q in config.queues.values()} == {"billing", "technical", "sales", "support"}
    assert len(config.agents) >= 4
    intents = {"balance", "bill", "network_fault", "plan_change", "password_reset", "refund", "agent"}
    assert intents <= set(config.routing.intents)
    assert config.queues["billing-zh"].display_name["zh"] == "账务专员"


@given(st.text(max_size=30))
def test_day_and_time_parsers_only_raise_value_error(text: str) -> None:
    for parse in (parse_days, parse_time_range):
        with contextlib.suppress(ValueError):
            parse(text)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="skilquenag:{}[]-,# \n\"'0123456789", max_size=120))
def test_garbage_yaml_gives_config_errors_only(text: str) -> None:
    try:
        load_model_from_text(text, QueueConfig, "garbage.yaml")
    except ConfigErrors as exc:
        assert all(e.file == "garbage.yaml" for e in exc.errors)


def test_service_checker_for_ivr_check(tmp_path: Path) -> None:
    from ivr.config import load_service_config
    from queues.loader import service_checker

    queues = write_yaml(tmp_path)
    ivr_yaml = tmp_path / "ivr.yaml"
    ivr_yaml.write_text(f"paths: {{queues: {queues}}}\nbot: {{fallback_queue: support-en}}\n")
    assert service_checker(ivr_yaml, load_service_config(ivr_yaml)) == []
    ivr_yaml.write_text(f"paths: {{queues: {queues}}}\nbot: {{fallback_queue: support}}\n")
    [error] = service_checker(ivr_yaml, load_service_config(ivr_yaml))
    assert error.key_path == "bot.fallback_queue" and "'support' is not a queue" in error.message
    queues.write_text(queues.read_text().replace("bill: billing", "bill: cooking"))
    [error] = service_checker(ivr_yaml, load_service_config(ivr_yaml))
    assert (error.line, error.key_path) == (44, "routing.intents.bill")
