"""Test data for the desktop: users, a transferred bot call and the AgentCalled of the capture."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ivr.ami.codec import AmiMessage
from ivr.fakepbx.ami import parse_capture
from ivr.storage.desk import DeskStore, User
from ivr.storage.store import CallStore
from ivr.web.auth import hash_password

CAPTURE = (
    Path(__file__).parents[2] / "fixtures" / "asterisk-captures" / "transfer-answered" / "ami-events.txt"
)
AGENTS = {"Local/agent1@agents": "A1", "Local/agent2@agents": "A2"}
PASSWORD = "correct horse battery"
T0 = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)

# One hash for every test user: scrypt is deliberately slow.
_HASH = hash_password(PASSWORD)


def agent_of(key: str) -> str | None:
    """Interface (or member name) to agent id, as queues.yaml would map it."""
    return AGENTS.get(key) or {"Agent One": "A1", "Agent Two": "A2"}.get(key)


def interface_of(agent_id: str) -> str | None:
    """Agent id to interface."""
    return {v: k for k, v in AGENTS.items()}.get(agent_id)


async def add_user(desk: DeskStore, username: str, role: str, agent_id: str | None = None) -> User:
    """A user with the shared test password."""
    return await desk.create_user(
        username=username,
        password_hash=_HASH,
        role=role,
        agent_id=agent_id,
        now=T0,
        display_name=username.title(),
    )


def captured(event: str, capture: Path = CAPTURE) -> AmiMessage:
    """The first captured event of that name."""
    return next(m for m in parse_capture(capture) if m.event == event)


def agent_event(
    event: str, *, uniqueid: str, caller_name: str = "Test Caller", interface: str = "Local/agent1@agents/n"
) -> list[tuple[str, str]]:
    """The captured event with this call's Uniqueid, caller name and member interface."""
    replace = {"Uniqueid": uniqueid, "CallerIDName": caller_name, "Interface": interface}
    replace["MemberName"] = "Agent Two" if "agent2" in interface else "Agent One"
    if event == "AgentRingNoAnswer":  # not in the captures: AgentCalled's layout plus RingTime in ms
        replace["Event"] = event
        headers = [(k, replace.get(k, v)) for k, v in captured("AgentCalled").headers]
        return [*headers, ("RingTime", "15000")]
    return [(k, replace.get(k, v)) for k, v in captured(event).headers]


async def seed_call(
    store: CallStore,
    *,
    caller_name: str = "Test Caller",
    caller_number: str = "5551234",
    started_at: datetime = T0,
    uniqueid: str | None = None,
    outcome: str | None = None,
) -> tuple[str, str]:
    """A bot call transferred to support as the dialogue manager writes it; returns (call_uuid, uniqueid)."""
    call_uuid = str(uuid.uuid4())
    uniqueid = uniqueid or f"1795272894.{uuid.uuid4().int % 100000}"
    handle = await store.start_call(
        call_uuid=call_uuid,
        agi_uniqueid=uniqueid,
        channel="Local/100@hotline-00000000;2",
        caller_number=caller_number,
        caller_name=caller_name,
        language="en",
        started_at=started_at,
    )
    turns = [
        ("bot", "Hello, how can I help you?"),
        ("caller", "my invoice is wrong <b>twice</b>"),
        ("bot", "You can see invoices in your account under Billing."),
        ("caller", "I want a person"),
    ]
    for i, (speaker, text) in enumerate(turns):
        at = started_at + timedelta(seconds=5 * i)
        await store.add_turn(
            handle, speaker=speaker, text=text, started_at=at, ended_at=at + timedelta(seconds=2)
        )
    context = {
        "intent": "billing.invoice",
        "intent_score": 0.82,
        "slots": {"invoice_number": "INV-42"},
        "answers_tried": ["billing.where_invoices"],
        "reason": "caller-request",
        "sentiment": {"scores": [0.1, -0.4], "trend": "worse"},
        "language": "en",
        "tier": "gold",
    }
    await store.record_transfer(
        handle,
        reason="caller-request",
        queue="support",
        priority=5,
        summary="Invoice looks wrong; bot pointed to Billing; caller asked for a person.",
        context=context,
        created_at=started_at + timedelta(seconds=20),
    )
    if outcome is not None:
        await store.end_call(
            handle, ended_at=started_at + timedelta(seconds=60), end_reason="transfer", outcome=outcome
        )
    return call_uuid, uniqueid
