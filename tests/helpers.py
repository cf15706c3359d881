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
legal_form = "SARL au capital de 8 000 €"
address = "3 rue des Artisans\\n69007 Lyon"
siren = "123 456 782"
rcs_city = "Lyon"
signatory_name = "Paul Dupuis"
signatory_title = "Gérant"

[email]
transport = "file"
directory = "outbox"
"""


def write_config(directory: Path, *, tenant: str = "acme", seed: int = 42,
                 anchor: str = "2026-11-27", extra: str = "", small: bool = False,
                 state: str = "sqlite:///state.db") -> Path:
    """`small`: a 20-customer demo ledger, for tests that render many PDFs or run many days."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "relance.toml"
    text = BASE_CONFIG.format(tenant=tenant, seed=seed, anchor=anchor, state=state)
    if small:
        text = text.replace(f"seed = {seed}\n", f"seed = {seed}\ncustomers = 20\ninvoices = 300\n")
    path.write_text(text + extra, encoding="utf-8")
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


FIRM_CONFIG = """\
state = "{state}"
timezone = "Europe/Paris"

[sender]
name = "Cabinet Leroy & Associés"
email = "relances@cabinet-leroy.fr"

[email]
transport = "file"
directory = "outbox"

[schedule]
{schedule}
"""

# Three client companies with different ledgers and rules: the firm of the "done when".
THREE_CLIENTS = {
    "boulangerie-martin": 'seed = 1\ncustomers = 20\ninvoices = 160\n',
    "garage-durand": 'seed = 2\ncustomers = 25\ninvoices = 200\n',
    "imprimerie-roux": 'seed = 3\ncustomers = 15\ninvoices = 120\n',
}
CLIENT_EXTRAS = {
    "garage-durand": '\n[policy]\nmin_gap_days = 3\n\n[[policy.levels]]\nname = "first"\n'
                     'days = 2\ntemplate = "first"\n\n[[policy.levels]]\nname = "final"\n'
                     'days = 15\nchannel = ["email", "task"]\ntemplate = "final"\n',
    "imprimerie-roux": '\nlanguage = "en"\n',
}


def write_firm(directory: Path, *, state: str = "sqlite:///relance.db", schedule: str = "",
               clients: dict[str, str] | None = None, anchor: str = "2026-11-27") -> Path:
    """A firm directory: firm.toml and one clients/<slug>.toml per client (demo sources)."""
    (directory / "clients").mkdir(parents=True, exist_ok=True)
    (directory / "firm.toml").write_text(FIRM_CONFIG.format(state=state, schedule=schedule),
                                         encoding="utf-8")
    for slug, source in (THREE_CLIENTS if clients is None else clients).items():
        extra = CLIENT_EXTRAS.get(slug, "") if clients is None else ""
        top, _, tables = extra.partition("\n[")
        text = (top.strip() + "\n\n" if top.strip() else "") + \
            f'[source]\nkind = "demo"\nanchor = "{anchor}"\n{source}' + \
            ("\n[" + tables if tables else "")
        (directory / "clients" / f"{slug}.toml").write_text(text, encoding="utf-8")
    return directory


NOW = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.timezone.utc)
"""A fixed moment for store writes in tests that are not about time (10:00 in Paris)."""
