"""Customers' postal addresses, and the letters to post (formal notices as a workflow).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("customers", sa.Column("address", sa.Text))
    op.create_table(
        "letters",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("level", sa.String(64), nullable=False),
        sa.Column("file", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("planned_for", sa.Date, nullable=False),
        sa.Column("posted_on", sa.Date),
        sa.Column("tracking", sa.String(64)),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_index("ix_letters_tenant", "letters", ["tenant", "status", "planned_for"])


def downgrade() -> None:
    op.drop_index("ix_letters_tenant", "letters")
    op.drop_table("letters")
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("address")
