"""Tenants bound to their source identity (a renamed tenant must not replan a ledger).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenant_identities",
        sa.Column("tenant", sa.String(64), primary_key=True),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("identity", sa.String(64), nullable=False),
        sa.Column("described", sa.Text, nullable=False),
        sa.Column("bound_at", sa.DateTime(timezone=True), nullable=False))
    op.create_index("ix_tenant_identities_identity", "tenant_identities", ["source", "identity"])


def downgrade() -> None:
    op.drop_table("tenant_identities")
