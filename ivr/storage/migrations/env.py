"""Alembic environment: migrates the connection handed in by upgrade_database, or a URL (CLI use)."""

from __future__ import annotations

import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection, text

import ivr.storage.cluster_models
import ivr.storage.desk_models
import ivr.storage.queue_models  # noqa: F401  (registers the callbacks table)
from ivr.storage.models import Base

# Two workers starting together on PostgreSQL must not both create the tables: the second one waits
# on this lock, then finds the schema already at head. (Arbitrary constant: "ivr" + schema.)
PG_MIGRATION_LOCK = 0x69767273

config = context.config
target_metadata = Base.metadata

# Only the CLI configures logging; inside the service the application owns it.
if config.config_file_name is not None and "connection" not in config.attributes:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _configure(**kwargs: object) -> None:
    """Options shared by online and offline runs; batch mode because SQLite cannot ALTER much."""
    context.configure(target_metadata=target_metadata, render_as_batch=True, compare_type=True, **kwargs)


def _url() -> str:
    """The URL of a CLI run: the ini's sqlalchemy.url, else IVR_DATABASE_URL."""
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("IVR_DATABASE_URL")
    if not url:
        raise SystemExit("set sqlalchemy.url in alembic.ini or the IVR_DATABASE_URL environment variable")
    return url


def _run(connection: Connection) -> None:
    """Run the migrations on one connection, under the PostgreSQL migration lock."""
    _configure(connection=connection)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_MIGRATION_LOCK})
        context.run_migrations()


def run_migrations_offline() -> None:
    """Emit the SQL instead of running it (`alembic upgrade head --sql`)."""
    from ivr.storage.urls import sync_url

    _configure(url=sync_url(_url()), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate the connection from upgrade_database, or open one from the URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from ivr.storage.db import sync_engine

    engine = sync_engine(_url())
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
