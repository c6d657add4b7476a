"""Queues: the callbacks table and the phase details of transfers (rings, hold, talk, abandon).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CALLBACK_STATES = ("requested", "originating", "connected", "failed", "expired", "cancelled")


def _ts(name: str, nullable: bool = True) -> sa.Column:
    """A timezone-aware timestamp column (ivr.storage.models.UTCDateTime stores UTC in it)."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Add the transfer phase columns and create the callbacks table."""
    with op.batch_alter_table("transfers") as batch:
        batch.add_column(sa.Column("ring_attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("hold_seconds", sa.Float(), nullable=True))
        batch.add_column(sa.Column("talk_seconds", sa.Float(), nullable=True))
        batch.add_column(sa.Column("abandon_position", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("end_party", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("queue_uniqueid", sa.String(length=64), nullable=True))

    states = ", ".join(f"'{s}'" for s in CALLBACK_STATES)
    op.create_table(
        "callbacks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("callback_id", sa.String(length=36), nullable=False),
        sa.Column("call_uuid", sa.String(length=36), nullable=True),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("queue", sa.String(length=64), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=255), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("caller_id", sa.String(length=128), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("ahead", sa.JSON(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        _ts("requested_at", False),
        _ts("updated_at", False),
        _ts("next_attempt_at"),
        _ts("expires_at"),
        _ts("originated_at"),
        _ts("connected_at"),
        _ts("finished_at"),
        sa.Column("last_error", sa.String(length=255), nullable=True),
        sa.CheckConstraint(f"state IN ({states})", name=op.f("ck_callbacks_state")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callbacks")),
        sa.UniqueConstraint("callback_id", name=op.f("uq_callbacks_callback_id")),
    )
    op.create_index(op.f("ix_callbacks_call_uuid"), "callbacks", ["call_uuid"])
    op.create_index(op.f("ix_callbacks_state"), "callbacks", ["state"])


def downgrade() -> None:
    """Drop the callbacks table and the transfer phase columns."""
    op.drop_index(op.f("ix_callbacks_state"), table_name="callbacks")
    op.drop_index(op.f("ix_callbacks_call_uuid"), table_name="callbacks")
    op.drop_table("callbacks")
    with op.batch_alter_table("transfers") as batch:
        for name in ("queue_uniqueid", "end_party", "abandon_position", "talk_seconds", "hold_seconds"):
            batch.drop_column(name)
        batch.drop_column("ring_attempts")
