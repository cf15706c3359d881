"""Pauses (disputes, promises, holds) and per-tenant run locks.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "pauses",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("target_id", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False), sa.Column("until", sa.Date),
        sa.Column("reason", sa.Text), sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("created_at", TZ, nullable=False), sa.Column("resolved_at", TZ),
        sa.Column("resolved_by", sa.String(128)))
    op.create_index("ix_pauses_target", "pauses", ["tenant", "source", "scope", "target_id"])
    op.create_table(
        "tenant_locks",
        sa.Column("tenant", sa.String(64), primary_key=True),
        sa.Column("holder", sa.String(128), nullable=False),
        sa.Column("acquired_at", TZ, nullable=False), sa.Column("expires_at", TZ, nullable=False))


def downgrade() -> None:
    op.drop_table("tenant_locks")
    op.drop_table("pauses")
