"""Migration 0002 on PostgreSQL and SQLite: callbacks table and transfer phase columns, up and down."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command

from ivr.storage.db import run_alembic, sync_engine, upgrade_database


def _columns(url: str) -> tuple[set[str], set[str], str | None]:
    engine = sync_engine(url)
    try:
        with engine.connect() as connection:
            inspector = sa.inspect(connection)
            tables = set(inspector.get_table_names())
            transfers = {c["name"] for c in inspector.get_columns("transfers")}
            version = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()
    return tables, transfers, version


def _check_up_down(url: str) -> None:
    upgrade_database(url)
    run_alembic(url, lambda cfg: command.upgrade(cfg, "0002"))  # head may be later (0003...)
    tables, transfers, _ = _columns(url)
    assert "callbacks" in tables
    assert {"ring_attempts", "hold_seconds", "talk_seconds", "abandon_position", "end_party"} <= transfers
    run_alembic(url, lambda cfg: command.downgrade(cfg, "0001"))
    tables, transfers, version = _columns(url)
    assert "callbacks" not in tables and "ring_attempts" not in transfers and version == "0001"
    upgrade_database(url)


def test_migration_0002_on_postgresql(fresh_postgres_url: str) -> None:
    _check_up_down(fresh_postgres_url)


def test_migration_0002_on_sqlite(tmp_path: Path) -> None:
    _check_up_down(f"sqlite:///{tmp_path / 'm.db'}")
