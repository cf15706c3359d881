"""Tenant identity (issue 15, case 7): renaming the tenant of an Odoo ledger must not send every
reminder again. relance refuses with a clear message naming `relance tenants rename`, which moves
the history; after it, the renamed tenant sends nothing twice."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e import relance, write_user_config
from tests.fakes.odoo_server import API_KEY, FakeOdooServer, start_fake_odoo

FALLBACK = 'activity_user = "marie@example.fr"\n'  # the seeded invoices' salesperson

ENV = {"ODOO_KEY": API_KEY}
DAY = ("--today", "2026-11-27")


@pytest.fixture
def odoo() -> Iterator[FakeOdooServer]:
    server = start_fake_odoo("17.0")
    yield server
    server.stop()


def pushed(odoo: FakeOdooServer) -> int:
    return sum(1 for m in odoo.data.tables["mail.message"].values()
               if "[relance:" in str(m.get("body"))) + len(odoo.data.tables["mail.activity"])


def test_a_renamed_tenant_finds_its_history_or_is_refused(tmp_path: Path,
                                                         odoo: FakeOdooServer) -> None:
    config = write_user_config(tmp_path, odoo.source_toml() + FALLBACK, tenant="boulangerie")
    code, out = relance(config, *DAY, "run", env=ENV)
    assert code == 0, out
    emails, notes = len(list((tmp_path / "outbox").glob("*.eml"))), pushed(odoo)
    assert emails and notes
    config.write_text(config.read_text().replace('tenant = "boulangerie"',
                                                 'tenant = "boulangerie-sas"'))
    code, out = relance(config, *DAY, "run", env=ENV)
    assert code == 2 and "relance tenants rename boulangerie boulangerie-sas" in out, out
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == emails and pushed(odoo) == notes
    code, out = relance(config, "tenants", "rename", "boulangerie", "boulangerie-sas")
    assert code == 0 and "devient boulangerie-sas" in out, out
    for _ in range(2):
        code, out = relance(config, *DAY, "run", env=ENV)
        assert code == 0, out
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == emails and pushed(odoo) == notes


def test_two_tenants_on_different_books_share_a_store(tmp_path: Path,
                                                      odoo: FakeOdooServer) -> None:
    first = write_user_config(tmp_path, odoo.source_toml() + FALLBACK, tenant="one")
    assert relance(first, *DAY, "run", env=ENV)[0] == 0
    other = start_fake_odoo("17.0")
    try:
        (tmp_path / "x").mkdir()
        second = tmp_path / "second.toml"
        second.write_text(write_user_config(tmp_path / "x", other.source_toml() + FALLBACK, tenant="two")
                          .read_text().replace("sqlite:///state.db",
                                               f"sqlite:///{tmp_path / 'state.db'}"))
        code, out = relance(second, *DAY, "run", env=ENV)
        assert code == 0, out
    finally:
        other.stop()
