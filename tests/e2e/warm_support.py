"""Helpers of the warm hand-off end-to-end tests: a warm support-en queue, Alice as a Local member."""

from __future__ import annotations

from pathlib import Path

import yaml

from ivr.fakepbx.ami import FakeAmiServer
from ivr.fakepbx.ami_queue_calls import QueueCall
from ivr.fakepbx.member import WarmMember
from ivr.service import IvrService
from tests.e2e.handoff_support import AMI_SECRET, QUEUE

ALICE_MEMBER = "Local/alice@ivr-agent/n"  # how app_queue rings Alice in a warm queue
BOB_MEMBER = "Local/bob@ivr-agent/n"
CALLER = "5551234"


def warm_queues_yaml(tmp_path: Path, mode: str = "briefing+acceptance") -> str:
    """config/queues.yaml with support-en switched to a warm hand-off; returns the copy's path."""
    data = yaml.safe_load(Path("config/queues.yaml").read_text(encoding="utf-8"))
    data["queues"]["support-en"].update(warm_handoff=mode, accept_seconds=3)
    path = tmp_path / "queues-warm.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return str(path)


def warm_ami() -> FakeAmiServer:
    """A fake Asterisk whose warm support-en has Alice and Bob (Local members), both free."""
    members = {
        ALICE_MEMBER: {"MemberName": "Alice Chen", "StateInterface": "PJSIP/1001"},
        BOB_MEMBER: {"MemberName": "Bob Smith", "StateInterface": "PJSIP/1002"},
    }
    return FakeAmiServer({"ivr": AMI_SECRET}, queues={QUEUE: members})


def member(service: IvrService, phone: str = "PJSIP/1001") -> WarmMember:
    """An agent's phone on the fake PBX, running the briefing against `service`."""
    return WarmMember("127.0.0.1", service.agi.port, phone=phone)


def queued(result, call_uuid: str) -> QueueCall:
    """The caller channel of a fake PBX call as app_queue sees it in support-en."""
    return QueueCall(
        uniqueid=result.uniqueid, queue=QUEUE, channel=result.channel, number=CALLER, call_uuid=call_uuid
    )
