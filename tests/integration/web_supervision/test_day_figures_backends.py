"""day_figures on SQLite and PostgreSQL: a transferred, answered, resolved and rated call shows in the day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from ivr.storage.figures import day_figures
from ivr.storage.store import CallStore
from ivr.survey import store_survey_score
from tests.integration.web_supervision.supervision_seed import (
    Timings,
    add_disposition,
    add_user,
    stored_call,
)

DAY = date(2026, 3, 10)
NOON = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


async def test_transferred_answered_resolved_rated_call(store: CallStore) -> None:
    call_uuid = await stored_call(store, NOON)
    agent = await add_user(store, "agent7", "agent", "7")
    await add_disposition(store, call_uuid, agent, True, NOON + timedelta(minutes=7))
    await store_survey_score(store, call_uuid, 4)
    await store.wait_flushed()

    f = await day_figures(store.session_factory, DAY, ZoneInfo("UTC"))
    assert (f.calls, f.transferred_calls, f.transfers, f.answered) == (1, 1, 1, 1)
    assert f.asa_avg_s == 30.0 and f.asa_p90_s == 30.0  # queued +61 s, answered +91 s
    assert f.aht_avg_s == 300.0  # answered +91 s, completed +391 s
    assert f.satisfaction_avg == 4.0 and f.survey_count == 1 and f.satisfaction_share_4_5 == 1.0
    assert f.fcr_disposition == 1.0 and f.fcr_no_repeat_rate == 1.0
    assert f.abandoned == 0 and f.abandonment_rate == 0.0
    assert [(r.reason, r.count) for r in f.transfers_by_reason] == [("sensitive-topic", 1)]
    assert f.hourly[12].calls == 1 and f.hourly[12].transfers == 1


async def test_day_mix_with_repeat_abandon_survey_leg_and_other_days(store: CallStore) -> None:
    await stored_call(store, NOON, number="111", outcome="contained", timings=None)
    await stored_call(store, NOON + timedelta(hours=3), number="111", outcome="contained", timings=None)
    await stored_call(store, NOON, number="222", outcome="abandoned",
                      timings=Timings(completed=None, answered=None, called=None, abandoned=181))  # fmt: skip
    survey_leg = await stored_call(store, NOON, number="111", outcome="contained", timings=None)
    async with store.session_factory.begin() as session:
        from sqlalchemy import update

        from ivr.storage.models import Call

        await session.execute(
            update(Call).where(Call.call_uuid == survey_leg).values(meta={"kind": "survey"})
        )
    await stored_call(store, NOON - timedelta(days=1), number="333", timings=None, outcome="contained")
    await stored_call(store, NOON + timedelta(days=1), number="333", timings=None, outcome="contained")

    f = await day_figures(store.session_factory, DAY, ZoneInfo("UTC"))
    assert f.calls == 3 and f.finished == 3
    assert f.containment == 2 / 3
    assert f.abandoned == 1 and f.abandonment_rate == 1.0 and f.abandoned_avg_wait_s == 120.0
    # 111 at noon called again 3 h later: not first-contact resolved; 111 at 15:00 did not call again.
    assert (f.fcr_base, f.fcr_no_repeat) == (2, 1)


async def test_local_day_of_a_far_time_zone(store: CallStore) -> None:
    # 20:00 UTC on the 9th is 04:00 on the 10th in Shanghai.
    await stored_call(store, datetime(2026, 3, 9, 20, 0, tzinfo=UTC), timings=None, outcome="contained")
    shanghai = await day_figures(store.session_factory, DAY, ZoneInfo("Asia/Shanghai"))
    utc = await day_figures(store.session_factory, DAY, ZoneInfo("UTC"))
    assert shanghai.calls == 1 and shanghai.hourly[4].calls == 1
    assert utc.calls == 0
