"""Builders shared by tests: a config as a user would write it, a ledger by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from connector.models import Customer, Invoice

BASE_CONFIG = """\
tenant = "{tenant}"
state = "{state}"

[source]
kind = "demo"
seed = {seed}
anchor = "{anchor}"

[sender]
name = "Atelier Dupuis"
email = "compta@atelier-dupuis.fr"
reply_to = "relances@atelier-dupuis.fr"
iban = "FR76 3000 6000 0112 3456 7890 189"

[email]
transport = "file"
directory = "outbox"
"""


def write_config(directory: Path, *, tenant: str = "acme", seed: int = 42,
                 anchor: str = "2026-11-27", extra: str = "",
                 state: str = "sqlite:///state.db") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "relance.toml"
    path.write_text(BASE_CONFIG.format(tenant=tenant, seed=seed, anchor=anchor, state=state) + extra,
                    encoding="utf-8")
    return path


def customer(cid: str = "C1", **fields: object) -> Customer:
    values: dict[str, object] = {"external_id": cid, "name": f"Client {cid}",
                                 "email": f"{cid.lower()}@exemple.fr"}
    values.update(fields)
    return Customer(**values)  # type: ignore[arg-type]


def invoice(iid: str, due: dt.date, amount: str = "100.00", *, customer_id: str = "C1",
            residual: str | None = None, status: str = "open", kind: str = "invoice",
            **fields: object) -> Invoice:
    values: dict[str, object] = {
        "external_id": iid, "number": f"F-{iid}", "customer_id": customer_id, "kind": kind,
        "status": status, "issue_date": due - dt.timedelta(days=30), "due_date": due,
        "total": Decimal(amount), "residual": Decimal(residual if residual is not None else amount)}
    values.update(fields)
    return Invoice(**values)  # type: ignore[arg-type]
