"""Engines for both backends, and the migrations run programmatically (`alembic upgrade head`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, pool
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from ivr.storage.urls import async_url, is_sqlite, sqlite_file, sync_url

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
CONNECT_TIMEOUT_S = 10  # migrations and tools
ASYNC_CONNECT_TIMEOUT_S = 2  # the service (libpq rounds anything shorter up to 2 s)
POOL_TIMEOUT_S = 1.0


def alembic_config() -> Config:
    """An Alembic config pointing at our migrations, with no ini file and no logging setup."""
    cfg = Config()
    # configparser interpolates "%": escape it in case the install path contains one.
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    return cfg


def sync_engine(url: str, *, busy_timeout_s: float = 5.0) -> Engine:
    """A blocking engine for migrations and tools (NullPool: one connection per use)."""
    if is_sqlite(url):
        path = sqlite_file(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            sync_url(url), poolclass=pool.NullPool, connect_args={"timeout": busy_timeout_s}
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(
        sync_url(url), poolclass=pool.NullPool, connect_args={"connect_timeout": CONNECT_TIMEOUT_S}
    )


def async_engine(url: str, *, busy_timeout_s: float = 5.0) -> AsyncEngine:
    """An asyncio engine on aiosqlite (WAL, busy timeout) or psycopg (pre-ping across restarts)."""
    if is_sqlite(url):
        path = sqlite_file(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(async_url(url), connect_args={"timeout": busy_timeout_s})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(
        async_url(url),
        pool_pre_ping=True,  # pooled connections die when the server restarts
        pool_size=10,
        max_overflow=20,
        # Short deadlines: a slow or hung server is treated as a down one (the store parks the write).
        pool_timeout=POOL_TIMEOUT_S,
        connect_args={
            "connect_timeout": ASYNC_CONNECT_TIMEOUT_S,
            # A host that vanished (no RST) is noticed in about 20 s instead of TCP's 15 minutes.
            "keepalives": 1,
            "keepalives_idle": 10,
            "keepalives_interval": 3,
            "keepalives_count": 3,
            "tcp_user_timeout": 20_000,
        },
    )


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    """WAL lets readers run beside the writer; foreign keys are off by default in SQLite."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def run_alembic(url: str, step: Callable[[Config], None]) -> None:
    """Run one Alembic command (e.g. `lambda cfg: command.upgrade(cfg, "head")`) inside one transaction."""
    engine = sync_engine(url)
    try:
        with engine.begin() as connection:
            cfg = alembic_config()
            cfg.attributes["connection"] = connection
            step(cfg)
    finally:
        engine.dispose()


def upgrade_database(url: str) -> None:
    """Bring the database at `url` to the newest schema (blocking; call it from a thread in asyncio)."""
    run_alembic(url, lambda cfg: command.upgrade(cfg, "head"))
