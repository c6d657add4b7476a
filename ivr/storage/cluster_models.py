"""The worker registry of a cluster: one row per running `ivr serve`, refreshed every lease period."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from ivr.storage.models import Base


class ClusterWorker(Base):
    """A worker's heartbeat and its live calls (the supervisor view of any worker shows them all)."""

    __tablename__ = "cluster_workers"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    started_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime]
    draining: Mapped[bool] = mapped_column(Boolean, default=False)
    leader: Mapped[bool] = mapped_column(Boolean, default=False)
    calls: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
