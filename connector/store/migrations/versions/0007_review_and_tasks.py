"""Review of outbox messages (who approved or rejected, when) and task ownership and closing.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("outbox") as table:
        table.add_column(sa.Column("reviewed_by", sa.String(128)))
        table.add_column(sa.Column("reviewed_at", TZ))
    with op.batch_alter_table("tasks") as table:
        table.add_column(sa.Column("owner", sa.String(128)))
        table.add_column(sa.Column("done_at", TZ))
        table.add_column(sa.Column("done_by", sa.String(128)))
        table.add_column(sa.Column("note", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("tasks") as table:
        for name in ("note", "done_by", "done_at", "owner"):
            table.drop_column(name)
    with op.batch_alter_table("outbox") as table:
        table.drop_column("reviewed_at")
        table.drop_column("reviewed_by")
