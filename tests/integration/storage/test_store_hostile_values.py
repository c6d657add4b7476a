"""Values the database would refuse never cost the call: they are fitted to the schema, and a write the
database still refuses is stored without its free-text extras (issue 14, point 5)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from ivr.storage import CallStore

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


async def test_hostile_values_are_fitted_and_a_refused_field_costs_only_itself(store: CallStore) -> None:
    call = await store.start_call(
        call_uuid="hostile", agi_uniqueid="1.1\x00", channel="PJSIP/" + "x" * 500,
        caller_number="555\x00" + "1" * 100, caller_name="N\x00ame\x1b" + "n" * 400, language="en",
        started_at=T0,
    )  # fmt: skip
    await store.add_turn(call, speaker="caller", text="hello\x00 there\n", started_at=T0, ended_at=T0,
                         meta={"k\x00": "v\x00", "deep": [{"x": "\x01y"}]})  # fmt: skip
    # PostgreSQL's JSON refuses NaN, which SQLite stores: the turn must be kept either way.
    await store.add_turn(call, speaker="bot", text="answer", started_at=T0, ended_at=T0,
                         meta={"score": math.nan})  # fmt: skip
    await store.record_transfer(call, reason="r" * 400, queue="support", priority=1,
                                summary="sum\x00mary", context={"n\x00": 1}, created_at=T0)  # fmt: skip
    await store.end_call(call, ended_at=T0 + timedelta(seconds=5), end_reason="transferred",
                         outcome="transferred")  # fmt: skip

    record = await store.get_call("hostile")
    assert record is not None and store.dropped_writes == 0
    assert record.caller_name == "Name" + "n" * 124 and record.caller_number == "555" + "1" * 61
    assert record.channel == ("PJSIP/" + "x" * 500)[:128] and record.agi_uniqueid == "1.1"
    assert [(t.speaker, t.text) for t in record.turns] == [("caller", "hello there\n"), ("bot", "answer")]
    assert record.turns[0].meta == {"k": "v", "deep": [{"x": "y"}]}
    assert record.transfers[0].reason == "r" * 255 and record.transfers[0].summary == "summary"
    assert record.outcome == "transferred"
