"""Warm hand-off in the queue YAML and the generated Asterisk files (queues/asterisk_warm.py)."""

from __future__ import annotations

import pytest
import yaml

from queues.asterisk_conf import ServiceHints, render_all
from queues.loader import load_queue_config
from queues.schema import QueueConfig
from tests.unit.queues_config.queue_yaml_base import BASE
from tests.unit.queues_config.test_ivr_dialplan_structure import DIALPLAN, apps, parse_dialplan


def config_with(tmp_path, **support) -> QueueConfig:
    data = yaml.safe_load(BASE)
    data["queues"]["support-en"].update(support)
    path = tmp_path / "queues.yaml"
    path.write_text(yaml.safe_dump(data))
    return load_queue_config(path)


def files(config: QueueConfig) -> dict[str, str]:
    return render_all(config, service=ServiceHints(fallback_queue="support-en"))


def test_a_cold_configuration_generates_exactly_what_it_did_before(tmp_path):
    text = "\n".join(files(config_with(tmp_path)).values())
    assert "ivr-agent" not in text and "IVR_WARM" not in text and "IVR_BRIEFING_URL" not in text


def test_warm_queue_members_are_local_channels_watching_the_phone(tmp_path):
    config = config_with(tmp_path, warm_handoff="briefing+acceptance", accept_seconds=4, ring_timeout=20)
    queues_conf = files(config)["queues.conf"]
    support = queues_conf.split("[support-en]")[1]
    billing = queues_conf.split("[billing-en]")[1].split("[support-en]")[0]
    # 20 s ringing + 6 s briefing + 4 s to decide + 2 s margin: app_queue must not give up meanwhile.
    assert "timeout = 32 " in support and "the phone itself rings 20 s" in support
    assert "; desktop login: Local/alice@ivr-agent/n penalty 5" in support
    assert "; desktop login: PJSIP/1001 penalty 0" in billing, "cold queues keep the phone as member"
    assert config.member_interface("alice", "support-en") == "Local/alice@ivr-agent/n"
    assert config.member_interface("alice", "billing-en") == "PJSIP/1001"
    assert config.agent_of("Local/alice@ivr-agent/n") == config.agent_of("Local/alice@ivr-agent") == "alice"
    assert config.agent_of("Local/nobody@ivr-agent/n") is None


def test_static_warm_members_and_the_generated_dialplan(tmp_path):
    data = yaml.safe_load(BASE)
    data["agents"]["bob"]["login"] = "static"
    data["queues"]["support-en"]["warm_handoff"] = "briefing"
    path = tmp_path / "queues.yaml"
    path.write_text(yaml.safe_dump(data))
    generated = files(load_queue_config(path))
    assert "member => Local/bob@ivr-agent/n,3,Bob,PJSIP/1002" in generated["queues.conf"]
    steps = parse_dialplan(DIALPLAN.read_text(), generated["extensions_ivr_queues.conf"])
    params = apps(steps, "ivr-queue-params", "support-en")
    assert params[-4:] == [
        "Set(__IVR_WARM=briefing)", "Set(__IVR_WARM_RING=15)", "Set(__IVR_WARM_ACCEPT=5)", "Return()"
    ]  # fmt: skip
    assert not any("IVR_WARM" in app for app in apps(steps, "ivr-queue-params", "billing-en"))
    assert "Set(__IVR_BRIEFING_URL=agi://127.0.0.1:4573/briefing)" in apps(steps, "ivr-settings")
    for agent, phone in (("alice", "PJSIP/1001"), ("bob", "PJSIP/1002")):
        assert apps(steps, "ivr-agent", agent) == [f"Set(IVR_AGENT_PHONE={phone})", "Goto(ivr-warm-dial,s,1)"]


def test_the_fixed_dialplan_briefs_before_the_bridge_and_connects_on_failure():
    steps = parse_dialplan(DIALPLAN.read_text())
    dial = apps(steps, "ivr-warm-dial")
    assert "Dial(${IVR_AGENT_PHONE},${IVR_WARM_RING},U(ivr-warm-brief))" in dial
    assert "Dial(${IVR_AGENT_PHONE},${IVR_WARM_RING})" in dial, "cold queues: a plain dial"
    brief = apps(steps, "ivr-warm-brief")
    assert brief[1] == (
        "Gosub(ivr-agi,s,1(${IVR_BRIEFING_URL},briefing,"
        "${IVR_WARM_UUID}:${IVR_WARM}:${IVR_WARM_ACCEPT}:${IVR_CALLER_CHANNEL}))"
    )
    # Only an explicit decline makes the phone busy; an empty choice (briefing failed) connects.
    assert '"${IVR_BRIEF_CHOICE}" != "" & "${IVR_BRIEF_CHOICE}" != "accept"' in brief[2]
    assert brief[2].endswith("?Set(GOSUB_RESULT=BUSY))") and brief[-1] == "Return()"
    bot = apps(steps, "ivr-bot")
    assert bot.index("Set(__IVR_WARM=off)") < bot.index("Set(__IVR_WARM_UUID=${IVR_CALL_UUID})")
    returning = (
        "Gosub(ivr-agi,s,1(${IVR_AGI_URL},${IVR_AGI_PATH},return:${IVR_CALL_UUID}:${IVR_RETURN_MODE}))"
    )
    assert returning in bot


@pytest.mark.parametrize("bad", [{"warm_handoff": "on"}, {"accept_seconds": 1}, {"accept_seconds": 31}])
def test_bad_warm_settings_are_refused(tmp_path, bad):
    from ivr.errors import ConfigError

    with pytest.raises(ConfigError):
        config_with(tmp_path, **bad)
