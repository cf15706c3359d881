"""Writes into the source whose answer was lost (issue 15, case 1): a note or an activity created
by Odoo although the connection was reset after the write, or answered later than our read
timeout, is found by its key before any retry. One note and one activity per reminder, never two."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from connector.app.tenant import Tenant, open_tenant
from connector.clock import Clock
from connector.config import load_config
from connector.store import outbox
from tests.adapters.odoo.helpers import TRANSPORTS
from tests.e2e import write_user_config
from tests.fakes.odoo_server import API_KEY, FakeOdooServer, start_fake_odoo
from tests.helpers import NOW

FALLBACK = 'activity_user = "marie@example.fr"\n'  # the seeded invoices' salesperson

TODAY = dt.date(2026, 11, 27)


@pytest.fixture(params=TRANSPORTS)
def odoo(request: pytest.FixtureRequest) -> Iterator[FakeOdooServer]:
    server = start_fake_odoo(request.param)
    yield server
    server.stop()


def stamps(odoo: FakeOdooServer) -> Counter[tuple[str, object]]:
    """How many objects Odoo holds per relance stamp and invoice (a note goes on each invoice
    of its reminder; activities alike)."""
    found: Counter[tuple[str, object]] = Counter()
    for table in ("mail.message", "mail.activity"):
        for record in odoo.data.tables[table].values():
            text = f"{record.get('body') or ''} {record.get('note') or ''}"
            if "[relance:" in text:
                stamp = text.rsplit("[relance:", 1)[1].split("]", 1)[0]
                found[(stamp, record.get("res_id"))] += 1
    return found


class Runs:
    """Runs of one tenant an hour apart, on a clock the test moves."""

    def __init__(self, tmp_path: Path, odoo: FakeOdooServer,
                 monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("ODOO_KEY", API_KEY)
        self.config = load_config(write_user_config(tmp_path, odoo.source_toml() + FALLBACK))
        self.moment = NOW

    def tenant(self) -> Tenant:
        tenant = open_tenant(self.config, today=TODAY,
                             clock=Clock(self.config.timezone, source=lambda: self.moment))
        tenant.adapter.http.timeout = (2.0, 0.4)  # type: ignore[attr-defined]
        return tenant

    def run(self) -> Tenant:
        tenant = self.tenant()
        tenant.run()
        self.moment += dt.timedelta(hours=3)
        return tenant


@pytest.mark.parametrize("fault", ["reset-after", "timeout", "reset"])
@pytest.mark.parametrize("method", ["message_post", "create"])
def test_a_write_whose_answer_was_lost_is_never_pushed_twice(
        tmp_path: Path, odoo: FakeOdooServer, monkeypatch: pytest.MonkeyPatch, fault: str,
        method: str) -> None:
    """reset-after / timeout: Odoo wrote, we never heard; reset: Odoo never wrote."""
    runs = Runs(tmp_path, odoo, monkeypatch)
    odoo.timeout_delay = 1.0  # longer than our read timeout: the answer comes too late
    odoo.script(fault, fault, method=method)
    tenant = runs.run()
    for _ in range(3):  # later runs settle what was in doubt
        tenant = runs.run()
    rows = outbox.rows(tenant.store, tenant.name, limit=1000)
    pushed = [r for r in rows if r["channel"] in ("note", "task")]
    assert pushed and all(r["status"] == "sent" for r in pushed), \
        [(r["channel"], r["status"], r["reason"]) for r in pushed]
    found = stamps(odoo)
    assert all(count == 1 for count in found.values()), found
    assert {stamp for stamp, _ in found} == {r["key"] for r in pushed}  # and none lost


def test_a_source_that_cannot_be_asked_keeps_the_row_in_doubt(
        tmp_path: Path, odoo: FakeOdooServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The write's answer was lost and the look-up fails too: nothing is resent on a guess."""
    runs = Runs(tmp_path, odoo, monkeypatch)
    odoo.script("reset-after", method="create")
    odoo.script("503", "503", "503", "503", "503", method="search")
    tenant = runs.run()
    doubt = [r for r in outbox.rows(tenant.store, tenant.name) if r["status"] == "sending"]
    assert len(doubt) == 1 and "looked up by key" in doubt[0]["reason"]
    tenant = runs.run()
    tenant = runs.run()
    assert all(n == 1 for n in stamps(odoo).values()), stamps(odoo)
    assert not [r for r in outbox.rows(tenant.store, tenant.name) if r["status"] == "sending"]

