"""Initial schema: records, cursors, sync bookkeeping, outbox, tasks.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def _key() -> list[sa.Column[Any]]:
    return [sa.Column("tenant", sa.String(64), primary_key=True),
            sa.Column("source", sa.String(32), primary_key=True),
            sa.Column("external_id", sa.String(128), primary_key=True)]


def upgrade() -> None:
    op.create_table(
        "customers", *_key(),
        sa.Column("name", sa.Text, nullable=False), sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("email", sa.Text), sa.Column("phone", sa.Text),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("contacts", sa.Text, nullable=False), sa.Column("tags", sa.Text, nullable=False),
        sa.Column("do_not_dun", sa.Boolean, nullable=False), sa.Column("company_id", sa.String(64)),
        sa.Column("updated_at", TZ), sa.Column("synced_at", TZ, nullable=False))
    op.create_table(
        "invoices", *_key(),
        sa.Column("number", sa.Text, nullable=False),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("issue_date", sa.Date, nullable=False), sa.Column("due_date", sa.Date, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("total_minor", sa.BigInteger, nullable=False),
        sa.Column("residual_minor", sa.BigInteger, nullable=False), sa.Column("pdf_url", sa.Text),
        sa.Column("instalments", sa.Text, nullable=False),
        sa.Column("credited_invoice_id", sa.String(128)), sa.Column("company_id", sa.String(64)),
        sa.Column("paid_date", sa.Date), sa.Column("updated_at", TZ),
        sa.Column("synced_at", TZ, nullable=False))
    op.create_index("ix_invoices_open", "invoices", ["tenant", "source", "status"])
    op.create_index("ix_invoices_customer", "invoices", ["tenant", "source", "customer_id"])
    op.create_table(
        "payments", *_key(),
        sa.Column("customer_id", sa.String(128)), sa.Column("invoice_id", sa.String(128)),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("amount_minor", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("synced_at", TZ, nullable=False))
    op.create_index("ix_payments_invoice", "payments", ["tenant", "source", "invoice_id"])
    op.create_table(
        "cursors",
        sa.Column("tenant", sa.String(64), primary_key=True),
        sa.Column("source", sa.String(32), primary_key=True),
        sa.Column("stream", sa.String(32), primary_key=True),
        sa.Column("value", sa.Text, nullable=False), sa.Column("updated_at", TZ, nullable=False))
    op.create_table(
        "sync_rejects",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("stream", sa.String(32), nullable=False), sa.Column("source_id", sa.String(128)),
        sa.Column("reason", sa.Text, nullable=False), sa.Column("seen_at", TZ, nullable=False))
    op.create_index("ix_rejects_tenant", "sync_rejects", ["tenant", "source", "seen_at"])
    op.create_table(
        "sync_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("started_at", TZ, nullable=False), sa.Column("finished_at", TZ),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("counts", sa.Text, nullable=False), sa.Column("error", sa.Text))
    op.create_index("ix_sync_runs_tenant", "sync_runs", ["tenant", "source", "started_at"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(64), nullable=False, unique=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("level", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("planned_for", sa.Date, nullable=False),
        sa.Column("next_attempt_at", TZ, nullable=False), sa.Column("lease_until", TZ),
        sa.Column("created_at", TZ, nullable=False), sa.Column("updated_at", TZ, nullable=False),
        sa.Column("sent_at", TZ), sa.Column("reason", sa.Text), sa.Column("remote_id", sa.Text))
    op.create_index("ix_outbox_due", "outbox", ["tenant", "status", "next_attempt_at"])
    op.create_index("ix_outbox_customer", "outbox", ["tenant", "source", "customer_id", "created_at"])
    op.create_table(
        "outbox_items",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("outbox_key", sa.String(64), nullable=False),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("item_id", sa.String(160), nullable=False),
        sa.Column("invoice_id", sa.String(128), nullable=False),
        sa.Column("level", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("amount_minor", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.UniqueConstraint("tenant", "source", "item_id", "level", "channel", name="uq_item_level"))
    op.create_index("ix_items_outbox", "outbox_items", ["outbox_key"])
    op.create_index("ix_items_invoice", "outbox_items", ["tenant", "source", "invoice_id"])
    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(64), nullable=False, unique=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("title", sa.Text, nullable=False), sa.Column("body", sa.Text, nullable=False),
        sa.Column("due_date", sa.Date, nullable=False),
        sa.Column("status", sa.String(16), nullable=False), sa.Column("remote_id", sa.Text),
        sa.Column("created_at", TZ, nullable=False))
    op.create_index("ix_tasks_tenant", "tasks", ["tenant", "status"])


def downgrade() -> None:
    for name in ("tasks", "outbox_items", "outbox", "sync_runs", "sync_rejects", "cursors",
                 "payments", "invoices", "customers"):
        op.drop_table(name)
