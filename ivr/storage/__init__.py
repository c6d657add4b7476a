"""Storage of calls, turns and transfers (SQLAlchemy 2 + Alembic) on SQLite or PostgreSQL."""

from ivr.storage.db import upgrade_database
from ivr.storage.records import CallHandle, CallRecord, StorageUnavailable, TransferRecord, TurnRecord
from ivr.storage.store import CallStore
from ivr.storage.urls import redact

__all__ = [
    "CallHandle",
    "CallRecord",
    "CallStore",
    "StorageUnavailable",
    "TransferRecord",
    "TurnRecord",
    "redact",
    "upgrade_database",
]
