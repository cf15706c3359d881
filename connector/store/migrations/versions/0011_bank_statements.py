"""Bank statements: the credits they report and what each was matched to.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "bank_credits",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("reference", sa.String(128), nullable=False),
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("booked_on", sa.Date, nullable=False),
        sa.Column("value_on", sa.Date),
        sa.Column("amount_minor", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("payer", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("file", sa.Text, nullable=False),
        sa.Column("imported_at", TZ, nullable=False),
        sa.UniqueConstraint("tenant", "reference", name="uq_bank_credit"),
    )
    op.create_index("ix_bank_credits_day", "bank_credits", ["tenant", "booked_on"])
    op.create_table(
        "bank_matches",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("credit_id", sa.Integer, nullable=False),
        sa.Column("customer_id", sa.String(128)),
        sa.Column("invoice_ids", sa.Text, nullable=False),
        sa.Column("numbers", sa.Text, nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("explanation", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("hold_until", sa.Date),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("decided_by", sa.String(128)),
        sa.Column("decided_at", TZ),
        sa.UniqueConstraint("tenant", "credit_id", name="uq_bank_match_credit"),
    )
    op.create_index("ix_bank_matches_status", "bank_matches", ["tenant", "source", "status"])


def downgrade() -> None:
    op.drop_index("ix_bank_matches_status", table_name="bank_matches")
    op.drop_table("bank_matches")
    op.drop_index("ix_bank_credits_day", table_name="bank_credits")
    op.drop_table("bank_credits")
