"""The day a formal notice was received (its avis de réception), recorded by a person.

A consumer's interest runs from receipt of the formal notice (art. 1231-6 and 1344-1 C. civ.):
the recorded day when there is one, else the posting day plus `penalties.notice_delivery_days`.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("letters", sa.Column("received_on", sa.Date))


def downgrade() -> None:
    with op.batch_alter_table("letters") as batch:
        batch.drop_column("received_on")
