"""What a migrated database holds, for the migration tests: its tables and its drift from the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, inspect

from ivr.storage.db import sync_engine


def schema_diffs(url: str, metadata: MetaData) -> list:
    """What `alembic revision --autogenerate` would emit for this database against `metadata`."""
    engine = sync_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def tables(url: str) -> set[str]:
    """Table names in the database."""
    engine = sync_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
