"""What the letters and reminders themselves count interest on: the credit notes linked to an
invoice lower its base (as in `relance penalties`, through the same claim()), and a consumer's
interest runs only from receipt of a formal notice recorded as posted, never from a planned one.

The small demo ledger on 27 Nov 2026 (tests/delivery/test_letter.py's fixture), H2 2026 rates
provisional: ECB 2.15 + 10 = 12.15 %, legal rate "other cases" 2.62 %.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from connector.app.tenant import Tenant
from connector.cli import main
from connector.delivery.channels import Services
from connector.delivery.dispatch import Dispatcher
from connector.delivery.email import FileTransport
from connector.delivery.letter import letter_text
from connector.delivery.render import render
from connector.rules.payload import ReminderPayload
from connector.store import letters as letter_store
from connector.store import outbox
from tests.delivery.test_letter import TODAY, tenant  # noqa: F401  (the fixture)

D = Decimal


def services(tenant: Tenant) -> Services:  # noqa: F811
    return Dispatcher(tenant.store, tenant.adapter, tenant.config,
                      FileTransport(tenant.config.outbox_dir), now=tenant.clock
                      ).channel("letter").services


def letter_row(tenant: Tenant, customer: str) -> dict:  # noqa: F811
    return next(r for r in outbox.rows(tenant.store, tenant.name, "sent", limit=10_000)
                if r["channel"] == "letter" and r["customer_id"] == customer)


def spaced(text: str) -> str:
    return " ".join(text.split())


def test_a_linked_credit_note_lowers_its_invoices_interest_in_the_letter(
        tenant: Tenant) -> None:  # noqa: F811
    tenant.run()
    payload = outbox.readable(tenant.store, letter_row(tenant, "C00012"))
    # F2026-00125: 8 417,18 € due 3 July 2026; credit note CRN000125 linked to it, 1 683,44 €
    # dated 8 June (before the due date: from the start). 4 Jul–27 Nov = 147 days on 6 733,74 €:
    # 6 733.74 × 12.15 % × 147 / 365 = 329.5013 → 329,50 € (on 8 417,18 € it said 411,88 €)
    context = services(tenant).context(payload)
    row = next(r for r in context["breakdown"] if r["number"] == "F2026-00125")
    assert [(p["days"], p["base"]) for p in row["periods"]] == [(147, D("6733.74"))]
    assert row["interest"] == D("329.50")
    assert "329,50" in spaced(letter_text(context, "fr"))
    # the calculator says the same, by the same function
    out = CliRunner().invoke(main, ["penalties", "--amount", "8417.18", "--due", "2026-07-03",
                                    "--credit", "2026-06-08:1683.44", "--until", "2026-11-27",
                                    "--json"])
    assert json.loads(out.output)["interest"] == "329.50"


def consumer(payload: ReminderPayload, day: dt.date) -> ReminderPayload:
    """The same letter as if C00003 were a consumer, rendered again on `day`."""
    return dataclasses.replace(payload, customer_kind="individual", planned_for=day)


def test_consumer_interest_runs_from_receipt_of_the_posted_notice_only(
        tenant: Tenant, tmp_path: Path) -> None:  # noqa: F811
    tenant.run()
    row = letter_row(tenant, "C00003")  # F2026-00091: 6 941,79 € due 12 May 2026
    later = consumer(outbox.readable(tenant.store, row), TODAY + dt.timedelta(days=20))  # 17 December
    # planned and written on 27 Nov but not posted: nobody is on notice, no interest at all
    context = services(tenant).context(later)
    assert context["penalties"] == 0 and context["indemnity"] == 0
    text = spaced(letter_text(context, "fr"))
    assert "à compter de la réception de la présente mise en demeure" in text
    assert "depuis la réception de notre mise en demeure" not in text

    # posted on 29 Nov: received 2 Dec (3 days' delivery by default), interest 3–17 Dec,
    # 15 days: 6 941.79 × 2.62 % × 15 / 365 = 7.4743 → 7,47 €
    letter_store.mark_posted(tenant.store, tenant.name, row["key"], on=dt.date(2026, 11, 29),
                             tracking=None, now=tenant.clock.now())
    context = services(tenant).context(later)
    assert context["penalties"] == D("7.47") and context["indemnity"] == 0
    assert "depuis la réception de notre mise en demeure" in spaced(letter_text(context, "fr"))
    email = spaced(render("formal_notice", context, "fr").text)  # the email of the same level
    assert "depuis la réception de notre mise en demeure : 7,47 € à ce jour" in email
    assert "porteront intérêts" not in email

    # the avis de réception says 1 Dec: 2–17 Dec, 16 days = 7.9726 → 7,97 €
    result = CliRunner().invoke(main, ["--config", str(tmp_path / "relance.toml"), "--today",
                                       (TODAY + dt.timedelta(days=20)).isoformat(), "letters",
                                       "received", row["key"][:12], "--date", "2026-12-01"])
    assert result.exit_code == 0, result.output
    assert services(tenant).context(later)["penalties"] == D("7.97")
    listed = CliRunner().invoke(main, ["--config", str(tmp_path / "relance.toml"), "--today",
                                       (TODAY + dt.timedelta(days=20)).isoformat(), "letters",
                                       "--all"]).output
    assert "reçue le 2026-12-01" in listed


@pytest.mark.parametrize("day", ["2026-11-28", "2026-12-30"])
def test_a_receipt_before_posting_or_in_the_future_is_refused(
        tenant: Tenant, day: str, tmp_path: Path) -> None:  # noqa: F811
    tenant.run()
    row = letter_row(tenant, "C00003")
    letter_store.mark_posted(tenant.store, tenant.name, row["key"], on=dt.date(2026, 11, 29),
                             tracking=None, now=tenant.clock.now())
    result = CliRunner().invoke(main, ["--config", str(tmp_path / "relance.toml"), "--today",
                                       "2026-12-10", "letters", "received", row["key"][:12],
                                       "--date", day])
    assert result.exit_code == 2 and "doit se situer entre" in result.output
