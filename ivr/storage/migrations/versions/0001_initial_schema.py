"""Initial schema: calls, turns, transfers.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, nullable: bool) -> sa.Column:
    """A timezone-aware timestamp column (ivr.storage.models.UTCDateTime stores UTC in it)."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _fk_calls(table: str) -> sa.ForeignKeyConstraint:
    """The cascade-deleting foreign key from a child table to calls.id."""
    return sa.ForeignKeyConstraint(
        ["call_id"], ["calls.id"], name=op.f(f"fk_{table}_call_id_calls"), ondelete="CASCADE"
    )


def upgrade() -> None:
    """Create the three tables and their indexes."""
    op.create_table(
        "calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_uuid", sa.String(length=36), nullable=False),
        sa.Column("agi_uniqueid", sa.String(length=64), nullable=False),
        sa.Column("linkedid", sa.String(length=64), nullable=True),
        sa.Column("channel", sa.String(length=128), nullable=False),
        sa.Column("caller_number", sa.String(length=64), nullable=True),
        sa.Column("caller_name", sa.String(length=128), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=False),
        _ts("started_at", False),
        _ts("ended_at", True),
        sa.Column("end_reason", sa.String(length=255), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("queue", sa.String(length=64), nullable=True),
        sa.Column("survey_score", sa.Integer(), nullable=True),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calls")),
        sa.UniqueConstraint("call_uuid", name=op.f("uq_calls_call_uuid")),
    )
    op.create_index("ix_calls_caller_number_started_at", "calls", ["caller_number", "started_at"])
    op.create_index(op.f("ix_calls_linkedid"), "calls", ["linkedid"])

    op.create_table(
        "turns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("speaker", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        _ts("started_at", False),
        _ts("ended_at", False),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("dtmf", sa.String(length=32), nullable=True),
        sa.Column("interrupted", sa.Boolean(), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.CheckConstraint("speaker IN ('caller', 'bot', 'system')", name=op.f("ck_turns_speaker")),
        sa.CheckConstraint("seq >= 1", name=op.f("ck_turns_seq_positive")),
        _fk_calls("turns"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_turns")),
    )
    op.create_index("ix_turns_call_id_seq", "turns", ["call_id", "seq"], unique=True)

    op.create_table(
        "transfers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        _ts("created_at", False),
        sa.Column("reason", sa.String(length=255), nullable=False),
        sa.Column("queue", sa.String(length=64), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        _ts("queued_at", True),
        _ts("agent_called_at", True),
        _ts("answered_at", True),
        _ts("completed_at", True),
        _ts("abandoned_at", True),
        sa.Column("agent_interface", sa.String(length=128), nullable=True),
        sa.Column("agent_name", sa.String(length=128), nullable=True),
        _fk_calls("transfers"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfers")),
    )
    op.create_index(op.f("ix_transfers_call_id"), "transfers", ["call_id"])


def downgrade() -> None:
    """Drop everything the upgrade created, children first."""
    op.drop_index(op.f("ix_transfers_call_id"), table_name="transfers")
    op.drop_table("transfers")
    op.drop_index("ix_turns_call_id_seq", table_name="turns")
    op.drop_table("turns")
    op.drop_index(op.f("ix_calls_linkedid"), table_name="calls")
    op.drop_index("ix_calls_caller_number_started_at", table_name="calls")
    op.drop_table("calls")
