"""Desktop login attempts are counted in the database, so every worker sees them (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ivr.storage import CallStore
from ivr.storage.web_sessions import SessionStore

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=5)


async def test_attempts_are_counted_in_the_window_and_cleared_per_username(store: CallStore) -> None:
    sessions = SessionStore(store.session_factory)
    for minute in range(4):  # sue: 08:00..08:03; bob once at 08:00
        at = T0 + timedelta(minutes=minute)
        await sessions.login_attempted("sue", "198.51.100.7", at, forget_before=at - WINDOW)
    await sessions.login_attempted("bob", "203.0.113.9", T0, forget_before=T0 - WINDOW)

    assert await sessions.recent_attempts("sue", T0 + timedelta(minutes=4) - WINDOW) == (4, T0)
    assert await sessions.recent_attempts("sue", T0 + timedelta(minutes=1, seconds=30)) == (
        2,
        T0 + timedelta(minutes=2),
    )
    await sessions.login_succeeded("sue", before=T0 - WINDOW)
    assert await sessions.recent_attempts("sue", T0 - WINDOW) == (0, None)
    assert await sessions.recent_attempts("bob", T0 - WINDOW) == (1, T0)


async def test_old_attempts_are_tidied_away_and_a_long_username_is_clipped(store: CallStore) -> None:
    sessions = SessionStore(store.session_factory)
    await sessions.login_attempted("x" * 500, "a" * 500, T0, forget_before=T0 - WINDOW)
    assert await sessions.recent_attempts("x" * 64, T0 - WINDOW) == (1, T0)
    later = T0 + timedelta(hours=1)
    await sessions.login_attempted("sue", "198.51.100.7", later, forget_before=later - WINDOW)
    assert await sessions.recent_attempts("x" * 64, T0 - WINDOW) == (0, None)  # gone with the tidy-up
    assert await sessions.recent_attempts("sue", later - WINDOW) == (1, later)
