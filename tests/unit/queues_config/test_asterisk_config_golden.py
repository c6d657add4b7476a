"""Generated Asterisk files: equal to the golden files, byte-stable, structurally sound for app_queue."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from queues.asterisk_conf import ServiceHints, render_all, stale_files, write_all
from queues.loader import load_queue_config
from queues.schema import QueueConfig

GOLDEN = Path(__file__).resolve().parents[2] / "fixtures" / "asterisk-config"
HINTS = ServiceHints(
    agi_url="agi://10.0.0.5:4573/hotline",
    survey_url="agi://10.0.0.5:4573/survey",
    fallback_queue="support-en",
    ami_permit=("10.0.0.0/255.255.255.0",),
    callback_dial="PJSIP/{number}@carrier",
)
FILES = ["queues.conf", "queuerules.conf", "extensions_ivr_queues.conf", "manager_ivr.conf"]


@pytest.fixture(scope="module")
def config() -> QueueConfig:
    return load_queue_config(GOLDEN / "queues.yaml")


@pytest.fixture(scope="module")
def files(config: QueueConfig) -> dict[str, str]:
    return render_all(config, service=HINTS)


@pytest.mark.parametrize("name", FILES)
def test_rendered_file_equals_the_golden_file(files: dict[str, str], name: str) -> None:
    assert files[name].encode("utf-8") == (GOLDEN / name).read_bytes()


def test_rendering_twice_gives_identical_bytes(config: QueueConfig, files: dict[str, str]) -> None:
    again = render_all(load_queue_config(GOLDEN / "queues.yaml"), service=HINTS)
    assert again == files
    assert sorted(files) == sorted(FILES)


def test_write_all_rewrites_only_changed_files(config: QueueConfig, tmp_path: Path) -> None:
    assert sorted(p.name for p in write_all(config, tmp_path, service=HINTS)) == sorted(FILES)
    assert write_all(config, tmp_path, service=HINTS) == []
    (tmp_path / "queuerules.conf").write_text("; edited by hand\n")
    assert stale_files(config, tmp_path, service=HINTS) == [tmp_path / "queuerules.conf"]
    assert write_all(config, tmp_path, service=HINTS) == [tmp_path / "queuerules.conf"]
    assert stale_files(config, tmp_path, service=HINTS) == []
    assert not list(tmp_path.glob(".*.tmp"))


def test_golden_folder_is_up_to_date(config: QueueConfig, tmp_path: Path) -> None:
    for name in FILES:
        shutil.copy(GOLDEN / name, tmp_path / name)
    assert stale_files(config, tmp_path, service=HINTS) == []


def parse_conf(text: str) -> dict[str, list[tuple[str, str]]]:
    """A minimal Asterisk config reader: section → (key, value) with `;` comments stripped."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current = None
    for raw in text.splitlines():
        line = raw.split(";", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        header = re.fullmatch(r"\[([^\]]+)\](\(!\))?", line)
        if header:
            current = header.group(1)
            assert current not in sections, f"section {current} twice"
            sections[current] = []
            continue
        pair = re.fullmatch(r"([^=]+?)\s*=>?\s*(.*)", line)
        assert pair and current is not None, f"not a key = value line: {raw!r}"
        sections[current].append((pair.group(1), pair.group(2)))
    return sections


def test_queues_conf_structure(config: QueueConfig, files: dict[str, str]) -> None:
    sections = parse_conf(files["queues.conf"])
    rules = parse_conf(files["queuerules.conf"])
    assert set(sections) == {"general", *config.queues}
    allowed = {
        "strategy",
        "timeout",
        "retry",
        "wrapuptime",
        "maxlen",
        "weight",
        "servicelevel",
        "ringinuse",
        "joinempty",
        "leavewhenempty",
        "setinterfacevar",
        "setqueuevar",
        "setqueueentryvar",
        "musicclass",
        "announce-frequency",
        "announce-position",
        "announce-holdtime",
        "periodic-announce",
        "periodic-announce-frequency",
        "announce",
        "defaultrule",
        "member",
    }
    members = 0
    for name, entries in sections.items():
        if name == "general":
            continue
        keys = [key for key, _ in entries]
        assert set(keys) <= allowed, set(keys) - allowed
        assert dict(entries)["strategy"] == config.queues[name].strategy
        for key, value in entries:
            if key == "member":
                members += 1
                fields = value.split(",")
                assert len(fields) == 4 and all(fields), value
                interface, penalty, member_name, state = fields
                assert 0 <= int(penalty) <= 9
                agent = config.agents[config.agent_of(interface)]
                assert (agent.name, agent.device, agent.login) == (member_name, state, "static")
            if key == "defaultrule":
                assert value in rules, f"{name} uses unknown rule {value}"
    static = sum(len([a for a, _ in config.members(q) if a.login == "static"]) for q in config.queues)
    assert members == static > 0


def test_queuerules_widen_the_range(files: dict[str, str]) -> None:
    rules = parse_conf(files["queuerules.conf"])
    assert rules == {"ivr-experts-first": [("penaltychange", "30,5"), ("penaltychange", "60,9")]}


def test_dialplan_include_has_one_extension_per_queue(config: QueueConfig, files: dict[str, str]) -> None:
    text = files["extensions_ivr_queues.conf"]
    assert re.findall(r"^\[([^\]]+)\]", text, re.M) == ["ivr-settings", "ivr-queue-params"]
    extensions = re.findall(r"^exten => ([^,]+),1,", text, re.M)
    assert extensions == ["s", *sorted(config.queues)]
    assert "Set(QUEUE_MAX_PENALTY=2)" in text and "Set(IVR_QUEUE_OVERFLOW=support-zh)" in text
    assert (
        "Set(__IVR_CALLBACK_DIAL_PREFIX=PJSIP/)" in text
        and "Set(__IVR_CALLBACK_DIAL_SUFFIX=@carrier)" in text
    )
    for line in text.splitlines():
        if "Set(" in line:
            assert ";" not in line.split("Set(", 1)[1].split(")", 1)[0]  # no value is cut by a comment


def test_manager_user_is_a_template_without_secret(files: dict[str, str]) -> None:
    text = files["manager_ivr.conf"]
    sections = parse_conf(text)
    assert list(sections) == ["ivr-service"]
    entries = dict(sections["ivr-service"])
    assert "secret" not in entries
    assert entries["read"] == "call,agent,dialplan"
    assert entries["write"] == "call,agent,originate,reporting,system"
    assert entries["permit"] == "10.0.0.0/255.255.255.0" and entries["deny"] == "0.0.0.0/0.0.0.0"
    assert text.rstrip().endswith('#tryinclude "manager_ivr_secret.conf"')


def test_bad_hints_are_refused(config: QueueConfig) -> None:
    with pytest.raises(ValueError, match="callback_dial"):
        ServiceHints(callback_dial="PJSIP/trunk")  # no {number}
    with pytest.raises(ValueError, match="agi_url"):
        ServiceHints(agi_url="agi://host/x,evil")
    with pytest.raises(ValueError, match="fallback queue"):
        render_all(config, service=ServiceHints(fallback_queue="support"))
