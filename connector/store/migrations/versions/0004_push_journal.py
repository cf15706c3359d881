"""Push journals in the store: where a push to a source was about to go (Pennylane appendices,
Sage notes and attachments), shared by every host that runs the tenant.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "push_journal",
        sa.Column("tenant", sa.String(64), primary_key=True),
        sa.Column("source", sa.String(32), primary_key=True),
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("invoice_ids", sa.Text, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False))


def downgrade() -> None:
    op.drop_table("push_journal")
