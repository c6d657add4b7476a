"""Migration 0003 creates exactly the desk models' tables and index, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import command

import ivr.storage.desk_models  # noqa: F401 (registers the desk tables in Base.metadata)
from ivr.storage.db import run_alembic, upgrade_database
from ivr.storage.models import Base
from tests.support.schema import schema_diffs, tables

DESK_TABLES = {"users", "dispositions", "knowledge_entries"}


def _diffs_touching_desk(url: str) -> list:
    """Autogenerate differences that concern the desk tables or the calls index 0003 adds."""
    diffs = schema_diffs(url, Base.metadata)
    return [d for d in diffs if any(name in repr(d) for name in (*DESK_TABLES, "ix_calls_agi_uniqueid"))]


def test_0003_matches_the_desk_models_and_downgrades_cleanly(database_url: str) -> None:
    upgrade_database(database_url)
    assert tables(database_url) >= DESK_TABLES
    assert _diffs_touching_desk(database_url) == []

    run_alembic(database_url, lambda cfg: command.downgrade(cfg, "0002"))
    assert not DESK_TABLES & tables(database_url)
    upgrade_database(database_url)
    assert _diffs_touching_desk(database_url) == []
