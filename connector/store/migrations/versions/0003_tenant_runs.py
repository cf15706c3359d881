"""Journal of scheduled tenant runs (who ran which tenant, when, how it ended).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "tenant_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(32), nullable=False, unique=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("job", sa.String(16), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("holder", sa.String(128), nullable=False),
        sa.Column("started_at", TZ, nullable=False), sa.Column("finished_at", TZ),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("summary", sa.Text, nullable=False), sa.Column("error", sa.Text))
    op.create_index("ix_tenant_runs_job", "tenant_runs", ["tenant", "job", "started_at"])


def downgrade() -> None:
    op.drop_table("tenant_runs")
