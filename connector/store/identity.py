"""A tenant's source identity: what ties the tenant name (keys hash it) to the books it reads.

Renaming a firm's client file, or `tenant = …`, used to start a new tenant on the same books and
send every reminder again. The first run binds the tenant to its source's identity (the fields
that name the books: Odoo URL + database + companies, Sage business id, Pennylane URL); a tenant
whose books are already bound to another tenant with history is refused, with the command that
moves the history over (`relance tenants rename OLD NEW`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from typing import Any

from sqlalchemy import func, select, update

from connector.errors import ConfigError
from connector.store import tables as t
from connector.store.store import Store

log = logging.getLogger(__name__)
IDENTITY_FIELDS: dict[str, tuple[str, ...]] = {
    "odoo": ("url", "database", "company_ids"),
    "sage": ("business_id",),
    "pennylane": ("base_url",),
}
"""Per source kind, the `[source]` keys that name the books. The demo ledger has none: two demo
tenants on the same seed are two independent simulations."""
IDENTITIES = t.tenant_identities


def identity_of(kind: str, source: Any) -> tuple[str, str] | None:
    """(digest, readable description) of a `[source]` table, or None for sources without one."""
    fields = IDENTITY_FIELDS.get(kind)
    if fields is None:
        return None
    values = {name: getattr(source, name, None) for name in fields}
    if isinstance(values.get("url"), str):
        values["url"] = str(values["url"]).rstrip("/").lower()
    described = json.dumps(values, sort_keys=True, default=str)
    return hashlib.sha256(f"{kind}\x1f{described}".encode()).hexdigest(), described


def ensure_bound(store: Store, tenant: str, kind: str, source: Any, now: dt.datetime) -> None:
    """Bind `tenant` to its source on first use; refuse a second tenant on books already bound."""
    found = identity_of(kind, source)
    if found is None:
        return
    digest, described = found
    with store.transaction() as conn:
        mine = conn.execute(select(IDENTITIES).where(IDENTITIES.c.tenant == tenant)) \
            .mappings().first()
        if mine is not None:
            if mine["identity"] != digest:
                log.warning("tenant %s now reads %s %s (was %s)", tenant, kind, described,
                            mine["described"])
                conn.execute(update(IDENTITIES).where(IDENTITIES.c.tenant == tenant).values(
                    identity=digest, described=described, bound_at=now))
            return
        others = [row["tenant"] for row in conn.execute(select(IDENTITIES.c.tenant).where(
            IDENTITIES.c.source == kind, IDENTITIES.c.identity == digest)).mappings()]
        holders = [other for other in others if _has_history(conn, other)]
        if holders:
            old = holders[0]
            raise ConfigError(
                f"these books ({kind} {described}) belong to tenant {old!r}, which already has "
                f"reminders; tenant {tenant!r} would send them all again. If you renamed the "
                f"client file or the tenant, run `relance tenants rename {old} {tenant}` "
                "(its history follows); otherwise point this tenant at its own books.",
                key="tenant")
        conn.execute(IDENTITIES.insert().values(tenant=tenant, source=kind, identity=digest,
                                                described=described, bound_at=now))


def _has_history(conn: Any, tenant: str) -> bool:
    return bool(conn.execute(select(func.count()).select_from(t.outbox)
                             .where(t.outbox.c.tenant == tenant)).scalar())


def rename(store: Store, old: str, new: str) -> dict[str, int]:
    """Move every row of tenant `old` to `new`, in one transaction; rows moved per table."""
    tables = [table for table in t.metadata.sorted_tables if "tenant" in table.c]
    moved: dict[str, int] = {}
    with store.transaction() as conn:
        for name in ("outbox", "customers", "invoices"):
            table = t.metadata.tables[name]
            if conn.execute(select(func.count()).select_from(table)
                            .where(table.c.tenant == new)).scalar():
                raise ConfigError(f"tenant {new!r} already has rows in {name}: renaming would "
                                  "mix two histories", key="tenant")
        conn.execute(IDENTITIES.delete().where(IDENTITIES.c.tenant == new))
        for table in tables:
            result = conn.execute(update(table).where(table.c.tenant == old).values(tenant=new))
            moved[table.name] = result.rowcount
    return moved
