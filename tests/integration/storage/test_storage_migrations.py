"""The Alembic migrations create exactly the models' schema, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import Column, Integer, MetaData

import ivr.storage.cluster_models
import ivr.storage.desk_models
import ivr.storage.queue_models  # noqa: F401
from ivr.storage.db import run_alembic, upgrade_database
from ivr.storage.models import Base
from tests.support.schema import schema_diffs, tables

TABLES = {
    "alembic_version",
    "calls",
    "turns",
    "transfers",
    "callbacks",
    "users",
    "dispositions",
    "knowledge_entries",
    "cluster_workers",
    "web_sessions",
    "login_attempts",
}


def downgrade_to_base(url: str) -> None:
    """`alembic downgrade base` on the database."""
    run_alembic(url, lambda cfg: command.downgrade(cfg, "base"))


def test_migrated_schema_equals_the_models(database_url: str) -> None:
    upgrade_database(database_url)

    assert tables(database_url) == TABLES
    assert schema_diffs(database_url, Base.metadata) == []


def test_the_comparison_sees_a_model_the_migrations_lack(database_url: str) -> None:
    upgrade_database(database_url)
    drifted = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(drifted)
    drifted.tables["calls"].append_column(Column("sentiment", Integer, nullable=True))

    diffs = schema_diffs(database_url, drifted)

    assert [(d[0], d[3].name) for d in diffs] == [("add_column", "sentiment")]


def test_upgrade_is_idempotent_and_downgrade_removes_everything(database_url: str) -> None:
    upgrade_database(database_url)
    upgrade_database(database_url)
    downgrade_to_base(database_url)
    assert tables(database_url) <= {"alembic_version"}

    upgrade_database(database_url)
    assert schema_diffs(database_url, Base.metadata) == []


def test_bad_urls_are_refused_before_touching_anything() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        upgrade_database("mysql://root@localhost/ivr")
    with pytest.raises(ValueError, match="in-memory"):
        upgrade_database("sqlite://")
