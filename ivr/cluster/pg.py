"""Small PostgreSQL helpers of the cluster: libpq URLs and NOTIFY from the `ivr` command."""

from __future__ import annotations

import psycopg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from ivr.storage.urls import is_sqlite


def libpq_url(url: str) -> str:
    """A SQLAlchemy PostgreSQL URL (any driver suffix) as a libpq connection URI."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def is_postgres(url: str) -> bool:
    """True for a PostgreSQL URL (the cluster needs one); False for SQLite."""
    return not is_sqlite(url)


def notify(url: str, channel: str, *, fresh_seconds: float = 10.0) -> int:
    """NOTIFY `channel`; returns how many workers have a fresh heartbeat (the likely listeners)."""
    with psycopg.connect(libpq_url(url), autocommit=True, connect_timeout=5) as conn:
        conn.execute(f"NOTIFY {channel}")
        row = conn.execute(
            "SELECT count(*) FROM cluster_workers WHERE heartbeat_at > now() - make_interval(secs => %s)",
            (fresh_seconds,),
        ).fetchone()
    return int(row[0]) if row else 0


async def notify_async(engine: AsyncEngine, channel: str) -> None:
    """NOTIFY `channel` through the storage engine (delivered to every listener at commit)."""
    async with engine.begin() as conn:
        await conn.execute(text(f"NOTIFY {channel}"))
