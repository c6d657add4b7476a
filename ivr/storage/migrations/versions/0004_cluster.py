"""Cluster: the registry of running workers (heartbeat, leader, draining, live calls).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create cluster_workers."""
    op.create_table(
        "cluster_workers",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("draining", sa.Boolean(), nullable=False),
        sa.Column("leader", sa.Boolean(), nullable=False),
        sa.Column("calls", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_cluster_workers")),
    )


def downgrade() -> None:
    """Drop cluster_workers."""
    op.drop_table("cluster_workers")
