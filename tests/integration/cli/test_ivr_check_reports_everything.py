"""`ivr check` lists every error of every file in one run, each on the line of the key at fault."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ivr.checks import check_all, format_errors
from tests.unit.dialogue_flow.flow_text import MINI_FLOW

REPO = Path(__file__).resolve().parents[3]


def line_of(path: Path, text: str) -> int:
    """1-based line of the first line containing `text`."""
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def broken_files(tmp_path: Path) -> tuple[Path, Path, Path]:
    """ivr.yaml with a bad preset, a flow with three kinds of errors, a queue YAML with two kinds."""
    flows = tmp_path / "flows"
    flows.mkdir()
    flow = flows / "mini.yaml"
    text = MINI_FLOW.replace(
        "    type: say\n    text: {en: Hello.", "    type: sya\n    text: {en: Hello.", 1
    )
    text = text.replace("    goto: account\n", "    goto: acount\n", 1)  # intents.balance.goto: no such step
    text += "  extra:\n    type: ask\n    prompt: {en: Anything else, zh: 还有吗}\n"
    text += "    routes: {balanse: account}\n"
    flow.write_text(text)
    queues = tmp_path / "queues.yaml"
    queues_text = (REPO / "config" / "queues.yaml").read_text()
    queues.write_text(
        queues_text.replace("skills: {technical: 9, support: 5}", "skills: {tecnical: 9, support: 11}")
    )
    config = tmp_path / "ivr.yaml"
    config.write_text(
        f"asr:\n  endpointing: quick\npaths:\n  flows: {flows}\n  queues: {queues}\nami:\n  secret: hunter2\n"
    )
    return config, flow, queues


def test_one_run_reports_every_error_of_every_file_at_its_key(tmp_path):
    config, flow, queues = broken_files(tmp_path)
    errors = format_errors(check_all(config)).splitlines()
    assert errors == [
        f"{config}:2: asr.endpointing: Input should be 'fast', 'normal' or 'patient' (got 'quick')",
        f"{config}:7: ami.secret: the AMI secret must not be in YAML; set the IVR_AMI_SECRET environment "
        "variable",
        f"{flow}:{line_of(flow, 'goto: acount')}: intents.balance.goto: no step named 'acount'; "
        "did you mean 'account'?",
        f"{flow}:{line_of(flow, 'type: sya')}: steps.hello.type: unknown type 'sya'; did you mean 'say'?",
        f"{flow}:{line_of(flow, 'balanse: account')}: steps.extra.routes.balanse: no intent named 'balanse'; "
        "did you mean 'balance'?",
        f"{queues}:{line_of(queues, 'tecnical: 9')}: agents.bob.skills.support: Input should be less than or "
        "equal to 10 (got 11)",
        f"{queues}:{line_of(queues, 'tecnical: 9')}: agents.bob.skills.tecnical: unknown skill 'tecnical' "
        "(known: billing, sales, support, technical)",
    ]


def test_a_missing_model_is_an_error_on_the_model_line(tmp_path):
    config = tmp_path / "ivr.yaml"
    config.write_text(
        f"paths:\n  flows: {tmp_path / 'none'}\nasr:\n  engine: vosk\n  model: {tmp_path / 'nope'}\n"
    )
    (error,) = check_all(config)
    assert (error.line, error.key_path) == (5, "asr.model")
    assert error.message.startswith(f"{tmp_path / 'nope'}: model directory does not exist (get one with")


def test_check_outside_the_repository_checks_the_built_in_defaults(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-m", "ivr", "check"], cwd=tmp_path, capture_output=True, text=True, env=env
    )
    assert (result.returncode, result.stdout) == (
        0,
        "config/ivr.yaml: not found, the built-in defaults: ok\n",
    )


def test_serve_refuses_a_missing_model_before_starting(tmp_path):
    config = tmp_path / "ivr.yaml"
    config.write_text(
        f"paths:\n  flows: {tmp_path / 'none'}\nasr:\n  engine: whisper\n  model: {tmp_path / 'nope'}\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "ivr", "serve", "-c", str(config)], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert result.stderr.splitlines()[0].startswith(
        f"{config}:5: asr.model: {tmp_path / 'nope'}: model directory"
    )


def test_a_broken_knowledge_entry_does_not_hide_a_wrong_goto(tmp_path):
    flows = tmp_path / "flows"
    flows.mkdir()
    flow = flows / "mini.yaml"
    text = MINI_FLOW.replace(
        "    answer: {en: We are open from 8 to 8., zh: 我们早8点到晚8点营业。}\n", "", 1
    )
    flow.write_text(text.replace("    goto: account\n", "    goto: acount\n", 1))
    config = tmp_path / "ivr.yaml"
    config.write_text(f"paths:\n  flows: {flows}\n  queues: {tmp_path / 'none.yaml'}\n")
    assert [(e.line, e.key_path, e.message) for e in check_all(config)] == [
        (
            line_of(flow, "goto: acount"),
            "intents.balance.goto",
            "no step named 'acount'; did you mean 'account'?",
        ),
        (line_of(flow, "- id: hours"), "knowledge[0].answer", "required key is missing"),
    ]
