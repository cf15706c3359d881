"""Set-up shared by the Sage tests: a running fake with a small French ledger, adapters on it."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connector.adapters.base import AdapterContext
from connector.adapters.sage import SageAdapter, SageConfig
from connector.adapters.sage.auth import TOKENS
from connector.secrets import SecretStore
from tests.adapters.journal import store_journal
from tests.fakes.sage_server import RunningSage, SageFake, start_sage
from tests.fakes.sage_spec import SPEC_PATH

TODAY = dt.date(2026, 11, 27)
N_BULK = 205  # more than one page of 200


@pytest.fixture(autouse=True)
def needs_sage_spec() -> None:
    """The fake checks everything against the shared description, which lives outside the repo."""
    if not SPEC_PATH.exists():
        pytest.skip(f"the Sage description is not at {SPEC_PATH}; set RELANCE_SAGE_SPEC")


@pytest.fixture
def sage(needs_sage_spec: None) -> Iterator[RunningSage]:
    running = start_sage(SageFake())
    try:
        yield running
    finally:
        running.stop()
    assert running.fake.violations == [], "\n".join(running.fake.violations[:20])


def seed(sage: RunningSage) -> dict[str, Any]:
    """Three customers, a bulk of invoices over two pages, odd statuses, two credit notes."""
    fake, biz = sage.fake, sage.business_id
    martin = fake.add_contact(biz, "SARL Boulangerie Martin", email="contact@martin.fr", persons=[
        {"name": "Hugo Main", "email": "hugo@martin.fr", "is_main_contact": True},
        {"name": "Inès Préférée", "email": "ines@martin.fr", "is_preferred_contact": True},
        {"name": "Léa Compta", "email": "factures@martin.fr", "contact_person_types": ["ACCOUNTS"]},
        {"name": "Jules Ventes", "email": "jules@martin.fr", "contact_person_types": ["SALES"]},
    ], notes="Client fidèle depuis 2019", address=("8 rue des Boulangers", "21000", "Dijon"))
    dubois = fake.add_contact(biz, "SAS Garage Dubois", persons=[
        {"name": "Chloé Dubois", "email": "chloe@dubois.fr", "is_main_contact": True}])
    bristol = fake.add_contact(biz, "Bristol Tea Ltd", email="accounts@bristol.example",
                               locale="en-GB")
    ids: dict[str, Any] = {"martin": martin, "dubois": dubois, "bristol": bristol, "bulk": []}
    customers = [martin, dubois, bristol]
    for n in range(N_BULK):
        ids["bulk"].append(fake.add_invoice(
            biz, customers[n % 3], f"FA-2026-{n + 1:04d}", f"{100 + n}.{n % 100:02d}",
            date=dt.date(2026, 6, 1) + dt.timedelta(days=n % 150)))
    ids["draft"] = fake.add_invoice(biz, martin, "BROUILLON", "50.00", status="DRAFT")
    ids["pro_forma"] = fake.add_invoice(biz, martin, "PF-1", "75.00", status="PRO_FORMA")
    ids["void"] = fake.add_invoice(biz, dubois, "FA-VOID", "80.00", status="VOID")
    ids["paid"] = fake.add_invoice(biz, dubois, "FA-PAID", "90.00", status="PAID")
    ids["usd"] = fake.add_invoice(biz, bristol, "FA-USD", "1234.56", currency="USD")
    ids["credit"] = fake.add_invoice(biz, martin, "AV-0001", "40.00", credit_note=True)
    ids["credit_draft"] = fake.add_invoice(biz, martin, "AV-DRAFT", "10.00", credit_note=True,
                                           status="DRAFT")
    return ids


def store_tokens(secrets: SecretStore, sage: RunningSage, *,
                 expired: bool = False) -> dict[str, Any]:
    tokens = sage.grant_tokens()
    if expired:
        tokens["expires_at"] = 0.0
    secrets.set(TOKENS, json.dumps(tokens))
    return tokens


def make_adapter(sage: RunningSage, tmp_path: Path, *, tenant: str = "acme",
                 tokens: bool = True, expired: bool = False, sleeps: list[float] | None = None,
                 **overrides: Any) -> SageAdapter:
    secrets = SecretStore(tenant)
    secrets.set("source", sage.fake.client_secret)
    if tokens:
        store_tokens(secrets, sage, expired=expired)

    def sleep(seconds: float) -> None:
        if sleeps is not None:
            sleeps.append(seconds)

    context = AdapterContext(tenant, secrets, TODAY, tmp_path, sleep=sleep,
                             journal=store_journal(tmp_path, tenant, "sage"))
    return SageAdapter(SageConfig(**sage.config(**overrides)), context)
