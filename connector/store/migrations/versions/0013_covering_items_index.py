"""The reminded items' index covers what `relance report` reads of them.

`ix_items_invoice` (tenant, source, invoice_id) becomes (tenant, source, invoice_id, item_id,
level, outbox_key): the same prefix for the look-ups by invoice, and the report reads every sent
item of a tenant from the index alone, already in (invoice, item, level) order, instead of one
table row per item (100k rows: 0.41 s → 0.15 s of SQLite). Widened rather than added, so an
enqueue still writes the same number of index entries.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

NARROW = ["tenant", "source", "invoice_id"]
COVERING = [*NARROW, "item_id", "level", "outbox_key"]


def upgrade() -> None:
    op.drop_index("ix_items_invoice", table_name="outbox_items")
    op.create_index("ix_items_invoice", "outbox_items", COVERING)


def downgrade() -> None:
    op.drop_index("ix_items_invoice", table_name="outbox_items")
    op.create_index("ix_items_invoice", "outbox_items", NARROW)
