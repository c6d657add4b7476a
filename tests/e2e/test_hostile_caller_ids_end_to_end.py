"""Caller-controlled strings are cleaned and clipped at the edge, on SQLite and PostgreSQL alike: an odd
caller ID never costs the call's record (issue 14, point 5)."""

from __future__ import annotations

import pytest

from ivr.fakepbx.audiosocket import Digit, answered, until_the_bot_ends
from ivr.storage.models import Call
from tests.support.calls import pbx_for

NAME_LIMIT = Call.__table__.c.caller_name.type.length

HOSTILE = [
    # (caller name, caller number) as a PBX passes them on from a SIP From header, then what is stored
    (("A" * 300, "5551234"), ("A" * NAME_LIMIT, "5551234")),
    (("Eve\x00<script>alert(1)</script>", "555\x001234"), ("Eve<script>alert(1)</script>", "5551234")),
    (("Mallory\x07\x1b[31m\x7f\u0085 \u202eevil", "+1" + "9" * 200), ("Mallory[31m evil", "+1" + "9" * 62)),
    (("\U0001f4de" * 200, "anonymous"), ("\U0001f4de" * NAME_LIMIT, "anonymous")),
]


@pytest.mark.parametrize(("given", "stored"), HOSTILE)
async def test_hostile_caller_ids_keep_the_whole_call(running_service, database_url, given, stored):
    name, number = given
    async with running_service(database={"url": database_url}) as service:
        result = await pbx_for(service).call(
            [answered(), Digit("0"), until_the_bot_ends()],
            caller_name=name,
            caller_number=number,
            max_seconds=30,
        )
        await service.store.wait_flushed()
        record = await service.store.get_call(result.call_uuid)
        dropped = service.store.dropped_writes

    assert result.variables["IVR_ACTION"] == "transfer" and result.variables["IVR_REASON"] == "keypad-0"
    assert dropped == 0
    assert record is not None and record.outcome == "transferred" and record.ended_at is not None
    assert (record.caller_name, record.caller_number) == stored
    assert [t.speaker for t in record.turns][:1] == ["bot"] and any(t.dtmf == "0" for t in record.turns)
    assert [t.reason for t in record.transfers] == ["keypad-0"]
