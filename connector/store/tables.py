"""The store's tables (SQLAlchemy Core), one schema for SQLite and PostgreSQL.

Every row carries its tenant; records are keyed on (tenant, source, external id). Money is kept as
integer minor units (cents) next to its currency: exact on both databases and summable in SQL.
Changes to this file need an Alembic migration in `migrations/versions/`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()


def _record_key() -> list[Column[Any]]:
    return [Column("tenant", String(64), primary_key=True),
            Column("source", String(32), primary_key=True),
            Column("external_id", String(128), primary_key=True)]


customers = Table(
    "customers", metadata, *_record_key(),
    Column("name", Text, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("email", Text),
    Column("phone", Text),
    Column("language", String(8), nullable=False),
    Column("contacts", Text, nullable=False),  # JSON list of Contact
    Column("tags", Text, nullable=False),  # JSON list of str
    Column("do_not_dun", Boolean, nullable=False),
    Column("company_id", String(64)),
    Column("updated_at", DateTime(timezone=True)),
    Column("synced_at", DateTime(timezone=True), nullable=False),
    Column("address", Text),  # JSON PostalAddress, or NULL when the source has none
)

invoices = Table(
    "invoices", metadata, *_record_key(),
    Column("number", Text, nullable=False),
    Column("customer_id", String(128), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("issue_date", Date, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("total_minor", BigInteger, nullable=False),
    Column("residual_minor", BigInteger, nullable=False),
    Column("pdf_url", Text),
    Column("instalments", Text, nullable=False),  # JSON list of Instalment
    Column("credited_invoice_id", String(128)),
    Column("company_id", String(64)),
    Column("paid_date", Date),
    Column("updated_at", DateTime(timezone=True)),
    Column("synced_at", DateTime(timezone=True), nullable=False),
    Index("ix_invoices_open", "tenant", "source", "status"),
    Index("ix_invoices_customer", "tenant", "source", "customer_id"),
)

payments = Table(
    "payments", metadata, *_record_key(),
    Column("customer_id", String(128)),
    Column("invoice_id", String(128)),
    Column("date", Date, nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("synced_at", DateTime(timezone=True), nullable=False),
    Index("ix_payments_invoice", "tenant", "source", "invoice_id"),
)

cursors = Table(
    "cursors", metadata,
    Column("tenant", String(64), primary_key=True),
    Column("source", String(32), primary_key=True),
    Column("stream", String(32), primary_key=True),
    Column("value", Text, nullable=False),  # JSON, opaque to everyone but the adapter
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

sync_rejects = Table(
    "sync_rejects", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant", String(64), nullable=False),
    Column("source", String(32), nullable=False),
    Column("stream", String(32), nullable=False),
    Column("source_id", String(128)),
    Column("reason", Text, nullable=False),
    Column("seen_at", DateTime(timezone=True), nullable=False),
    Index("ix_rejects_tenant", "tenant", "source", "seen_at"),
)

sync_runs = Table(
    "sync_runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant", String(64), nullable=False),
    Column("source", String(32), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("status", String(16), nullable=False),  # running | ok | failed
    Column("counts", Text, nullable=False),  # JSON
    Column("error", Text),
    Index("ix_sync_runs_tenant", "tenant", "source", "started_at"),
)

outbox = Table(
    "outbox", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(64), nullable=False, unique=True),
    Column("tenant", String(64), nullable=False),
    Column("source", String(32), nullable=False),
    Column("customer_id", String(128), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("level", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("payload", Text, nullable=False),  # JSON: the intent, enough to render and push
    Column("attempts", Integer, nullable=False, default=0),
    Column("planned_for", Date, nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("lease_until", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    Column("reason", Text),
    Column("remote_id", Text),
    Column("reviewed_by", String(128)),  # who approved or rejected a pending_approval message
    Column("reviewed_at", DateTime(timezone=True)),
    Index("ix_outbox_due", "tenant", "status", "next_attempt_at"),
    Index("ix_outbox_customer", "tenant", "source", "customer_id", "created_at"),
)

# One row per (invoice item, level, channel) a reminder covers: the database itself refuses to plan
# the same level twice for the same invoice, whatever the grouping of messages.
outbox_items = Table(
    "outbox_items", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("outbox_key", String(64), nullable=False),
    Column("tenant", String(64), nullable=False),
    Column("source", String(32), nullable=False),
    Column("item_id", String(160), nullable=False),
    Column("invoice_id", String(128), nullable=False),
    Column("level", String(64), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    UniqueConstraint("tenant", "source", "item_id", "level", "channel", name="uq_item_level"),
    Index("ix_items_outbox", "outbox_key"),
    Index("ix_items_invoice", "tenant", "source", "invoice_id"),
)

tasks = Table(
    "tasks", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(64), nullable=False, unique=True),
    Column("tenant", String(64), nullable=False),
    Column("source", String(32), nullable=False),
    Column("customer_id", String(128), nullable=False),
    Column("title", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("status", String(16), nullable=False),  # open | done
    Column("remote_id", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("owner", String(128)),
    Column("done_at", DateTime(timezone=True)),
    Column("done_by", String(128)),
    Column("note", Text),
    Index("ix_tasks_tenant", "tenant", "status"),
)

# Formal notices written by the `letter` channel: the file (named for a person, so the outbox key
# is kept here for crash reconciliation) and its posting: to_post until someone records that it
# went by registered mail (`relance letters posted`), with the date and the tracking number, and
# the day it was received when known (a consumer's interest runs from then).
letters = Table(
    "letters", metadata,
    Column("key", String(64), primary_key=True),  # the outbox key of the letter row
    Column("tenant", String(64), nullable=False),
    Column("source", String(32), nullable=False),
    Column("customer_id", String(128), nullable=False),
    Column("level", String(64), nullable=False),
    Column("file", Text, nullable=False),
    Column("status", String(16), nullable=False),  # to_post | posted
    Column("planned_for", Date, nullable=False),
    Column("posted_on", Date),
    Column("received_on", Date),  # the avis de réception, when a person records it
    Column("tracking", String(64)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_letters_tenant", "tenant", "status", "planned_for"),
)

# Pauses a person asked for: a dispute on an invoice, a payment promise until a date, a customer on
# hold. Kept with who/when/why; resolved (not deleted) so the history stays.
pauses = Table(
    "pauses", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant", String(64), nullable=False),
    Column("source", String(32), nullable=False),
    Column("scope", String(16), nullable=False),  # invoice | customer
    Column("target_id", String(128), nullable=False),
    Column("kind", String(16), nullable=False),  # dispute | promise | pause
    Column("until", Date),
    Column("reason", Text),
    Column("created_by", String(128), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("resolved_at", DateTime(timezone=True)),
    Column("resolved_by", String(128)),
    Index("ix_pauses_target", "tenant", "source", "scope", "target_id"),
)

# One run per tenant at a time, across processes and machines sharing the database: a lease that
# its holder renews and that anyone may take over once it has expired.
tenant_locks = Table(
    "tenant_locks", metadata,
    Column("tenant", String(64), primary_key=True),
    Column("holder", String(128), nullable=False),
    Column("acquired_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

# One row per scheduled run of one tenant's job (`reminders` or `sync`): the scheduler reads it to
# know what is due (restarts and other `serve` processes included), monitoring to know what failed.
tenant_runs = Table(
    "tenant_runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(32), nullable=False, unique=True),
    Column("tenant", String(64), nullable=False),
    Column("job", String(16), nullable=False),  # reminders | sync
    Column("day", Date, nullable=False),  # the tenant's local date the run was for
    Column("holder", String(128), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("status", String(16), nullable=False),  # running | ok | failed | stopped
    Column("summary", Text, nullable=False),  # JSON
    Column("error", Text),
    Index("ix_tenant_runs_job", "tenant", "job", "started_at"),
)

# Where a push to the source was about to go (its invoices and customer), written before the first
# side effect so that `find_pushed` knows where to look after a crash, from any host.
push_journal = Table(
    "push_journal", metadata,
    Column("tenant", String(64), primary_key=True),
    Column("source", String(32), primary_key=True),
    Column("key", String(128), primary_key=True),  # the outbox idempotency key
    Column("customer_id", String(128), nullable=False),
    Column("invoice_ids", Text, nullable=False),  # JSON list, in push order
    Column("started_at", DateTime(timezone=True), nullable=False),
)

# One row per change of an invoice's amount due, with its date (the payment date when the source
# gives one, else the day a sync saw the change): the base of late-payment interest over time
# (rules/penalties.py). Written by the store when a sync or the freshness gate sees the residual move.
balance_changes = Table(
    "balance_changes", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant", String(64), nullable=False),
    Column("source", String(32), nullable=False),
    Column("invoice_id", String(128), nullable=False),
    Column("day", Date, nullable=False),
    Column("previous_minor", BigInteger, nullable=False),
    Column("residual_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("dated_by", String(16), nullable=False),  # source | sync | first_seen | credit_note
    Column("seen_at", DateTime(timezone=True), nullable=False),
    Index("ix_balance_changes_invoice", "tenant", "source", "invoice_id", "day"),
)

# Which source a tenant's rows come from (Odoo URL + database, Sage business, …): a tenant renamed
# (a client file, `tenant = …`) is recognised by its source instead of replanning the whole ledger.
tenant_identities = Table(
    "tenant_identities", metadata,
    Column("tenant", String(64), primary_key=True),
    Column("source", String(32), nullable=False),
    Column("identity", String(64), nullable=False),  # sha256 of the identifying fields
    Column("described", Text, nullable=False),  # the same fields, readable (no secret)
    Column("bound_at", DateTime(timezone=True), nullable=False),
    Index("ix_tenant_identities_identity", "source", "identity"),
)

# People who use the web cockpit (`relance users`): a login, an argon2 hash (never the password),
# a role (admin: every client; collector: acts on the clients granted; reader: looks only).
users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("login", String(128), nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),
    Column("role", String(16), nullable=False),  # admin | collector | reader
    Column("disabled", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_login_at", DateTime(timezone=True)),
)

# The clients (tenants) a collector or reader may see; an admin sees every client.
user_grants = Table(
    "user_grants", metadata,
    Column("user_id", Integer, primary_key=True),
    Column("tenant", String(64), primary_key=True),
)

# Web sessions kept server-side: the cookie holds a random token, this table only its sha256, so
# a copy of the database opens no session; logging out or disabling a user ends them at once.
web_sessions = Table(
    "web_sessions", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Index("ix_web_sessions_user", "user_id"),
)

# Every action a person took in the web cockpit (who, when, what), shown in the customer's timeline.
actions = Table(
    "actions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant", String(64), nullable=False),
    Column("customer_id", String(128)),
    Column("by", String(128), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("action", String(32), nullable=False),
    Column("detail", Text, nullable=False),
    Index("ix_actions_customer", "tenant", "customer_id", "at"),
)

# Credits read from bank statements (CAMT.053, OFX, CSV): once per (tenant, reference), whatever
# the number of times a statement is imported or overlaps another.
bank_credits = Table(
    "bank_credits", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant", String(64), nullable=False),
    Column("reference", String(128), nullable=False),
    Column("account", String(64), nullable=False),
    Column("booked_on", Date, nullable=False),
    Column("value_on", Date),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("payer", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("file", Text, nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("tenant", "reference", name="uq_bank_credit"),
    Index("ix_bank_credits_day", "tenant", "booked_on"),
)

# What a credit was matched to (one row per credit): a confident match holds the invoices'
# reminders until `hold_until` (status held, or confirmed by a person); rejected ones hold nothing.
bank_matches = Table(
    "bank_matches", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant", String(64), nullable=False),
    Column("source", String(32), nullable=False),
    Column("credit_id", Integer, nullable=False),
    Column("customer_id", String(128)),
    Column("invoice_ids", Text, nullable=False),  # JSON list
    Column("numbers", Text, nullable=False),  # JSON list, as the invoices were numbered
    Column("score", Integer, nullable=False),
    Column("verdict", String(16), nullable=False),  # confident | ambiguous | partial | review
    Column("explanation", Text, nullable=False),
    Column("status", String(16), nullable=False),  # held | review | confirmed | rejected
    Column("hold_until", Date),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("decided_by", String(128)),
    Column("decided_at", DateTime(timezone=True)),
    UniqueConstraint("tenant", "credit_id", name="uq_bank_match_credit"),
    Index("ix_bank_matches_status", "tenant", "source", "status"),
)

# One row per (API credential, host): the requests sent in the current window, shared by every
# process using that credential (store/budgets.py). Times are seconds since the epoch on the
# database's clock (PostgreSQL) or the machine's (SQLite): one clock for every process.
rate_budgets = Table(
    "rate_budgets", metadata,
    Column("key", String(200), primary_key=True),
    Column("sent", Text, nullable=False),  # JSON list of reservation times, oldest first
    Column("blocked_until", Float, nullable=False),
)
