"""Agent desktop: users, dispositions, knowledge entries, and the index the screen-pop looks calls up by.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, nullable: bool) -> sa.Column:
    """A timezone-aware timestamp column (ivr.storage.models.UTCDateTime stores UTC in it)."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _create_users() -> None:
    """Desktop users with their role and agent id."""
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("agent_id", sa.String(length=64), nullable=True),
        sa.Column("display_name", sa.String(length=128), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        _ts("created_at", False),
        sa.CheckConstraint("role IN ('agent', 'supervisor', 'admin')", name=op.f("ck_users_role")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
        sa.UniqueConstraint("agent_id", name=op.f("uq_users_agent_id")),
    )


def _create_dispositions() -> None:
    """One row per disposition an agent saved for a call."""
    op.create_table(
        "dispositions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        _ts("created_at", False),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name=op.f("fk_dispositions_call_id_calls"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_dispositions_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispositions")),
    )
    op.create_index(op.f("ix_dispositions_call_id"), "dispositions", ["call_id"])
    op.create_index(op.f("ix_dispositions_user_id"), "dispositions", ["user_id"])


def _create_knowledge_entries() -> None:
    """Knowledge-base entries, from draft to published."""
    op.create_table(
        "knowledge_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source_call_uuid", sa.String(length=36), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        _ts("created_at", False),
        _ts("updated_at", False),
        _ts("published_at", True),
        sa.CheckConstraint(
            "status IN ('draft', 'published', 'rejected')", name=op.f("ck_knowledge_entries_status")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_knowledge_entries_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_entries")),
    )
    op.create_index(op.f("ix_knowledge_entries_status"), "knowledge_entries", ["status"])
    op.create_index("ix_knowledge_entries_language_status", "knowledge_entries", ["language", "status"])


def upgrade() -> None:
    """Create the desktop tables and index calls by their AGI Uniqueid."""
    op.create_index("ix_calls_agi_uniqueid", "calls", ["agi_uniqueid"])
    _create_users()
    _create_dispositions()
    _create_knowledge_entries()


def downgrade() -> None:
    """Drop what the upgrade created, children first."""
    op.drop_index("ix_knowledge_entries_language_status", table_name="knowledge_entries")
    op.drop_index(op.f("ix_knowledge_entries_status"), table_name="knowledge_entries")
    op.drop_table("knowledge_entries")
    op.drop_index(op.f("ix_dispositions_user_id"), table_name="dispositions")
    op.drop_index(op.f("ix_dispositions_call_id"), table_name="dispositions")
    op.drop_table("dispositions")
    op.drop_table("users")
    op.drop_index("ix_calls_agi_uniqueid", table_name="calls")
