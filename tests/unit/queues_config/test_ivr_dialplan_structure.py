"""dialplan/extensions_ivr.conf: every jump lands on something that exists, and the call paths are wired."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
DIALPLAN = ROOT / "dialplan" / "extensions_ivr.conf"
GENERATED = ROOT / "tests" / "fixtures" / "asterisk-config" / "extensions_ivr_queues.conf"

Steps = dict[tuple[str, str], list[tuple[str | None, str]]]  # (context, exten) → [(label, app call)]


def parse_dialplan(*texts: str) -> Steps:
    """(context, extension) → its steps in order, each with its label, from `exten =>`/`same =>` lines."""
    steps: Steps = {}
    context = exten = None
    for text in texts:
        for raw in text.splitlines():
            line = raw.split(";", 1)[0].strip()  # Asterisk drops everything after `;`
            if not line or line.startswith("#"):
                continue
            assert line.count("(") == line.count(")"), f"a `;` cuts this line short: {raw!r}"
            header = re.fullmatch(r"\[([^\]]+)\]", line)
            if header:
                context = header.group(1)
                continue
            match = re.fullmatch(r"(exten|same) => (?:([^,]+),)?(\w+)(?:\((\w+)\))?,(.+)", line)
            assert match and context is not None, f"not a dialplan line: {raw!r}"
            kind, name, _priority, label, app = match.groups()
            if kind == "exten":
                exten = name
            steps.setdefault((context, exten), []).append((label, app))  # type: ignore[arg-type]
    return steps


@pytest.fixture(scope="module")
def steps() -> Steps:
    return parse_dialplan(DIALPLAN.read_text(), GENERATED.read_text())


def apps(steps: Steps, context: str, exten: str = "s") -> list[str]:
    return [app for _, app in steps[(context, exten)]]


def test_every_jump_lands_on_a_label_context_or_extension(steps: Steps) -> None:
    contexts = {context for context, _ in steps}
    for (context, exten), body in steps.items():
        labels = {label for label, _ in body if label}
        for _, app in body:
            for target in re.findall(r"\?([\w-]+)(?::([\w-]+))?\)$", app) if app.startswith("GotoIf") else []:
                assert {t for t in target if t} <= labels, f"{context},{exten}: {app}"
            if re.fullmatch(r"Goto\(([\w-]+)\)", app):
                assert app[5:-1] in labels, f"{context},{exten}: {app}"
            for ctx, ext in re.findall(r"(?:Goto|Gosub|GosubIf\(.*\?)\(?([\w-]+),([\w$\{\}-]+),1\)", app):
                assert ctx in contexts, f"{context},{exten}: unknown context in {app}"
                if "$" not in ext:
                    assert (ctx, ext) in steps, f"{context},{exten}: unknown extension in {app}"


def test_hotline_and_return_share_the_bot_path(steps: Steps) -> None:
    assert apps(steps, "ivr-hotline")[-1] == "Goto(ivr-bot,s,1)"
    ret = apps(steps, "ivr-return")
    assert "Set(IVR_RETURN=1)" in ret and ret[-1] == "Goto(ivr-bot,s,1)"
    for context in ("ivr-hotline", "ivr-return", "ivr-callback-hold"):
        body = (
            steps[(context, "s")]
            if (context, "s") in steps
            else next(v for k, v in steps.items() if k[0] == context)
        )
        assert "Gosub(ivr-init,s,1)" in [app for _, app in body]


def test_bot_path_queues_with_priority_continue_and_survey(steps: Steps) -> None:
    bot = apps(steps, "ivr-bot")
    agi = bot.index("Gosub(ivr-agi,s,1(${IVR_AGI_URL},${IVR_AGI_PATH}))")
    queue = bot.index("Queue(${IVR_QUEUE},c,,,${IVR_QUEUE_MAX_WAIT})")
    prio = bot.index('Set(QUEUE_PRIO=${IF($["${IVR_PRIORITY}" = ""]?0:${IVR_PRIORITY})})')
    params = next(i for i, app in enumerate(bot) if app.startswith("GosubIf") and "ivr-queue-params" in app)
    assert agi < prio < params < queue
    assert 'GotoIf($["${QUEUESTATUS}" = "CONTINUE"]?survey)' in bot
    survey = [label for label, _ in steps[("ivr-bot", "s")]].index("survey")
    assert "Gosub(ivr-agi,s,1(${IVR_SURVEY_URL},${IVR_SURVEY_PATH},${IVR_CALL_UUID}))" in bot[survey:]
    assert bot[-1] == "Hangup()"


def test_callback_plumbing(steps: Steps) -> None:
    hold = next(v for k, v in steps.items() if k[0] == "ivr-callback-hold")
    hold_apps = [app for _, app in hold]
    assert "Queue(${IVR_QUEUE},,,,${IVR_QUEUE_MAX_WAIT})" in hold_apps
    assert not any(app.startswith("Answer") for app in hold_apps)  # Originate must wait for the agent
    dial = apps(steps, "ivr-callback-dial", "dial")
    assert any(app.startswith("Dial(${IVR_CALLBACK_DIAL_PREFIX}${IVR_CALLBACK_NUMBER}") for app in dial)
    assert any("FILTER(0-9+," in app for app in dial)


def test_the_generated_include_is_pulled_in_and_optional(steps: Steps) -> None:
    text = DIALPLAN.read_text()
    assert '#tryinclude "extensions_ivr_queues.conf"' in text
    init = apps(steps, "ivr-init")
    assert init[-2] == "GosubIf($[${DIALPLAN_EXISTS(ivr-settings,s,1)}]?ivr-settings,s,1)"
    assert "Set(__IVR_FALLBACK_QUEUE=support)" in init  # the default when the include is missing


def test_one_worker_runs_the_configured_url_and_several_rotate_with_fail_over(steps: Steps) -> None:
    agi = steps[("ivr-agi", "s")]
    labels = [label for label, _ in agi]
    body = [app for _, app in agi]
    assert body[0] == "GotoIf($[0${IVR_WORKERS} > 0]?rotate)"
    single = body[: labels.index("rotate")]
    assert "AGI(${ARG1})" in single and "AGI(${ARG1},${ARG3})" in single
    rotate = body[labels.index("rotate") :]
    assert rotate[0].startswith("Set(GLOBAL(IVR_NEXT_WORKER)=")  # the next call starts at the next worker
    assert "Set(LOCAL(url)=${IVR_WORKER_${worker}}/${ARG2})" in rotate
    retry = rotate.index('GotoIf($["${AGISTATUS}" != "FAILURE"]?done)')
    assert "GotoIf($[${tries} < ${IVR_WORKERS}]?try)" in rotate[retry:]  # each worker once at most
    assert body[-1] == "Return()"


def test_the_generated_worker_list_feeds_the_rotation() -> None:
    from queues.asterisk_conf import ServiceHints
    from queues.asterisk_dialplan import render_dialplan_include
    from queues.loader import load_queue_config

    config = load_queue_config(ROOT / "config" / "queues.yaml")
    hints = ServiceHints(workers=("10.0.0.5:4573", "10.0.0.6:4573", "[fd00::7]:4573"))
    text = render_dialplan_include(config, hints)
    settings = apps(parse_dialplan(DIALPLAN.read_text(), text), "ivr-settings")
    assert "Set(__IVR_WORKERS=3)" in settings
    assert "Set(__IVR_AGI_PATH=hotline)" in settings and "Set(__IVR_SURVEY_PATH=survey)" in settings
    assert [a for a in settings if a.startswith("Set(__IVR_WORKER_")] == [
        "Set(__IVR_WORKER_1=agi://10.0.0.5:4573)",
        "Set(__IVR_WORKER_2=agi://10.0.0.6:4573)",
        "Set(__IVR_WORKER_3=agi://[fd00::7]:4573)",
    ]
    assert settings[-1] == "Return()"
    without = apps(parse_dialplan(render_dialplan_include(config, ServiceHints())), "ivr-settings")
    assert not any("IVR_WORKER" in a for a in without), "one worker: no rotation"
    with pytest.raises(ValueError, match="must be host:port"):
        ServiceHints(workers=("10.0.0.5",))
