"""Alembic migrations of the storage schema (env.py and versions/ are loaded by Alembic by path)."""

from ivr.storage.db import upgrade_database

__all__ = ["upgrade_database"]
