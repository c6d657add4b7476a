"""Reload: a valid change becomes the new version, an invalid one is refused, running calls keep theirs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ivr.bot import CallInfo, Say
from ivr.dialogue.catalog import static_prompts
from ivr.dialogue.checks import check_flows
from ivr.dialogue.engine import FlowBot
from ivr.dialogue.handoff_context import fill
from ivr.dialogue.registry import FlowRegistry
from ivr.routing import StaticRouter
from ivr.yamlconf import ConfigErrors
from tests.unit.dialogue_flow.flow_text import MINI_FLOW, line_of, write_flow

DIALPLAN = Path(__file__).resolve().parents[3] / "dialplan"


def start(flow) -> tuple[FlowBot, list]:
    bot = FlowBot(flow, router=StaticRouter("support"), now=lambda: datetime(2024, 1, 1, tzinfo=UTC))
    return bot, bot.start(CallInfo("u", "5550000", None, "en"))


def test_a_reload_during_a_call_leaves_that_call_on_its_version(tmp_path: Path):
    path = write_flow(tmp_path)
    registry = FlowRegistry.load(tmp_path)
    bot, greeting = start(registry.current().flow_for(None))
    assert greeting[0].text == "Hello."

    path.write_text(
        MINI_FLOW.replace("{en: Hello., zh: 您好。}", "{en: Welcome., zh: 欢迎。}"), encoding="utf-8"
    )
    result = registry.reload()
    assert result.ok and result.version == 2 and result.changed_files == [str(path)]

    # the running call still speaks version 1, a new call gets version 2
    told = bot.on_transcript("check my bill", 0.9)
    assert told == [Say("Your account number?", language="en")]
    assert bot.call_meta()["flow_version"] == 1
    _, new_greeting = start(registry.current().flow_for(None))
    assert new_greeting[0].text == "Welcome."


def test_an_invalid_file_is_refused_and_the_running_version_stays(tmp_path: Path):
    path = write_flow(tmp_path)
    registry = FlowRegistry.load(tmp_path)
    broken = MINI_FLOW.replace("start: hello", "start: nowhere")
    path.write_text(broken, encoding="utf-8")
    result = registry.reload()
    assert not result.ok and result.version == 1 and result.changed_files == []
    assert result.errors == [f"{path}:{line_of(broken, 'start:')}: start: no step named 'nowhere'"]
    assert registry.current().version == 1
    assert registry.current().flow_for(None).spec.start == "hello"


def test_an_unchanged_folder_keeps_its_version(tmp_path: Path):
    write_flow(tmp_path)
    registry = FlowRegistry.load(tmp_path)
    assert registry.reload().version == 1 and registry.reload().changed_files == []


def test_loading_a_broken_folder_raises_every_error(tmp_path: Path):
    write_flow(tmp_path, MINI_FLOW.replace("start: hello", "start: x"))
    write_flow(
        tmp_path,
        MINI_FLOW.replace("name: mini", "name: other").replace("next: main\n  main", "next: y\n  main"),
        "b.yaml",
    )
    with pytest.raises(ConfigErrors) as info:
        FlowRegistry.load(tmp_path)
    messages = [e.message for e in info.value.errors]
    assert "no step named 'x'" in messages and "no step named 'y'" in messages


def test_hotlines_pick_the_flow_and_must_be_unique(tmp_path: Path):
    write_flow(tmp_path, MINI_FLOW.replace("name: mini", "name: mini\ndefault: true\nhotlines: [main]"))
    other = MINI_FLOW.replace("name: mini", "name: sales\nhotlines: [sales]")
    write_flow(tmp_path, other, "sales.yaml")
    flowset = FlowRegistry.load(tmp_path).current()
    assert flowset.flow_for("sales").name == "sales"
    assert flowset.flow_for("unknown").name == "mini" and flowset.flow_for(None).name == "mini"

    clash = MINI_FLOW.replace("name: mini", "name: sales2\nhotlines: [main]")
    path = write_flow(tmp_path, clash, "sales2.yaml")
    assert check_flows(tmp_path) == [
        f"{path}:2: hotlines[0]: hotline 'main' is already in {tmp_path / 'mini.yaml'}"
    ]


def test_several_flows_need_one_default(tmp_path: Path):
    write_flow(tmp_path)
    write_flow(tmp_path, MINI_FLOW.replace("name: mini", "name: other"), "other.yaml")
    errors = check_flows(tmp_path)
    assert len(errors) == 1 and "none has `default: true`" in errors[0]


def test_the_shipped_flow_is_valid_and_its_prompts_are_listed():
    assert check_flows(DIALPLAN) == []
    prompts = static_prompts(FlowRegistry.load(DIALPLAN).current())
    assert ("Thank you for calling Example Telecom.", "en") in prompts
    assert ("感谢致电示例电信。", "zh") in prompts
    assert ("Please hold.", "en") in prompts
    assert not any("{" in text for text, _ in prompts)
    assert len(prompts) == len(set(prompts))


def test_the_shipped_knowledge_base_has_ten_answers_per_language():
    spec = FlowRegistry.load(DIALPLAN).current().flow_for(None).spec
    for language in ("en", "zh"):
        assert sum(language in e.answer for e in spec.knowledge) >= 10


def test_caller_text_in_a_template_is_never_expanded():
    values = {"slots.note": "{caller.number} <speak>", "caller.number": "5551234"}
    assert fill("You said {slots.note}.", values) == "You said {caller.number} <speak>."
    assert fill("{missing} ok", values) == " ok"
