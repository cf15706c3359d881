"""The formal notice: a PDF with the mentions a mise en demeure needs and the right figures."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import io
import json
import re
from decimal import Decimal
from pathlib import Path

import pypdf
import pytest
from sqlalchemy import update

from connector.app.tenant import Tenant, open_tenant
from connector.commands.views import money
from connector.config import load_config
from connector.delivery.channels import Delivery
from connector.delivery.dispatch import Dispatcher
from connector.delivery.email import FileTransport
from connector.delivery.messages import linked_credits
from connector.rules.penalties import claim
from connector.store import letters as letter_store
from connector.store import outbox
from connector.store import tables as t
from tests.helpers import write_config

TODAY = dt.date(2026, 11, 27)
PHRASES = {  # what the letter says, by language: interest to date, indemnity, B2C legal rate
    "fr": ("à ce jour", "Indemnité forfaitaire", "intérêt légal", "15 décembre 2026"),
    "en": ("to date", "Fixed recovery indemnity", "legal rate", "15 December 2026"),
}
POLICY = """
[policy]
onboarding = "resume"

[[policy.levels]]
name = "first"
days = 1
template = "first"

[[policy.levels]]
name = "formal_notice"
days = 30
channel = ["letter", "email"]
template = "formal_notice"
approval = "auto"

[[policy.levels]]
name = "escalate"
basis = "previous_reminder"
days = 10
business_days = true
channel = "task"
template = "formal_notice"
task_title = "Escalade : injonction de payer / recouvrement"

[letter]
deadline_days = 15
court = "le président du tribunal de commerce de Lyon"

[customers."C00013"]
address = "4 place Bellecour\\n69002 Lyon"
"""


@pytest.fixture
def tenant(tmp_path: Path) -> Tenant:
    """A week after the first reminders went out: a formal notice needs an earlier reminder."""
    config = load_config(write_config(tmp_path, extra=POLICY, small=True))
    open_tenant(config, today=TODAY - dt.timedelta(days=7)).run()
    return open_tenant(config, today=TODAY)


def shown(amount: Decimal, language: str) -> str:
    """An amount as the letter prints it (spaces normalised, as text extraction does)."""
    return " ".join(money(amount, "EUR", language).split())


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def test_formal_notices_are_written_attached_and_carry_the_figures(tenant: Tenant) -> None:
    result = tenant.run()
    assert result.delivery is not None and result.delivery.failed == 0
    letters = [r for r in outbox.rows(tenant.store, tenant.name, "sent", limit=1000)
               if r["channel"] == "letter"]
    assert letters, "the demo ledger has invoices 30+ days late"
    kinds = set()
    for row in letters:
        payload = json.loads(row["payload"])
        path = Path(row["remote_id"])
        # named for the person who posts it: day, customer, level, in safe characters
        assert re.fullmatch(r"2026-11-27_[A-Za-z0-9-]+_formal-notice(_[0-9a-f]{8})?\.pdf",
                            path.name), path.name
        assert path.parent == tenant.config.letters_dir
        text = " ".join(pdf_text(path.read_bytes()).split())
        assert "(adresse postale" not in text and "RCS Lyon 123456782" in text
        assert "Paul Dupuis" in text and "Gérant" in text  # signed
        kind, language = payload["customer_kind"], payload["language"]
        to_date, indemnity, legal, deadline = PHRASES[language]
        kinds.add((kind, language))
        assert "mise en demeure" in text.lower()
        assert "Atelier Dupuis" in text and payload["customer_name"] in text  # both parties
        items = list(outbox.payload(row).items)
        for item in items:
            assert item.number in text and shown(item.residual, language) in text
        # a credit note linked to an invoice of the letter lowers that invoice's interest base
        linked = linked_credits(list(outbox.payload(row).credit_notes),
                                {i.invoice_id: i.number for i in items})
        figures = claim(items, TODAY, kind=kind, credits=linked)
        if kind == "company":
            assert f"{shown(figures.interest, language)} {to_date}" in text
            assert figures.indemnity == Decimal(40) * len({i.invoice_id for i in items})
            assert indemnity in text and shown(figures.indemnity, language) in text
        else:
            assert indemnity not in text and legal in text
        assert deadline in text  # 27 Nov + 3 days' delivery + 15 days from receipt
        assert "injonction de payer" in text
        # the competent court follows the debtor: never a commercial court for a consumer
        assert ("tribunal de commerce de Lyon" in text) is (kind == "company")
        if payload["customer_id"] == "C00013":
            assert "4 place Bellecour" in text
    assert {("company", "fr"), ("company", "en")} <= kinds
    # the same level's email carries the PDF
    emails = [r for r in outbox.rows(tenant.store, tenant.name, "sent", limit=1000)
              if r["channel"] == "email" and r["level"] == "formal_notice"]
    message = email.message_from_bytes((tenant.config.outbox_dir /
                                        f"{emails[0]['key']}.eml").read_bytes())
    attachments = [p for p in message.walk() if p.get_content_type() == "application/pdf"]
    assert len(attachments) == 1
    assert "mise en demeure" in pdf_text(attachments[0].get_payload(decode=True)).lower()


def test_english_letter_renders_accents_and_euro(tenant: Tenant) -> None:
    from connector.app.lint import sample_payload
    from connector.delivery.letter import letter_pdf
    from connector.delivery.messages import template_context
    payload = sample_payload(tenant.config, "formal_notice", language="en", today=TODAY)
    text = pdf_text(letter_pdf(template_context(payload, tenant.config), "en"))
    assert "Formal notice to pay (mise en demeure)" in text
    assert "Boulangerie Lefèvre & Fils" in text and "€1,440.00" in text
    french = pdf_text(letter_pdf(template_context(
        dataclasses.replace(payload, customer_name="Œuvres Sociales Élysée"), tenant.config), "fr"))
    assert "Œuvres Sociales Élysée" in french and "€" in french


def test_a_consumer_letter_claims_legal_interest_from_the_notice_and_no_indemnity(
        tenant: Tenant) -> None:
    from connector.app.lint import sample_payload
    from connector.delivery.letter import letter_pdf
    from connector.delivery.messages import template_context
    payload = sample_payload(tenant.config, "formal_notice", kind="individual", today=TODAY)
    context = template_context(payload, tenant.config)
    # sample: a first notice posted 10 days ago, received 3 days later: interest for 7 days; H2
    # 2026 is provisional, so the H1 2026 legal rate "other cases" (2.62 %) is reused, per item
    expected = sum(((Decimal(a) * Decimal("0.0262") * 7 / 365).quantize(Decimal("0.01"))
                    for a in ("1440.00", "380.50")), Decimal(0))
    assert context["penalties"] == expected and context["indemnity"] == 0
    assert context["rates_provisional"] and context["provisional_half_years"] == [
        "2nd semestre 2026"]
    text = " ".join(pdf_text(letter_pdf(context, "fr")).split())
    assert "intérêt légal depuis la réception de notre mise en demeure" in text
    assert f"{shown(expected, 'fr')} à ce jour" in text
    # nothing B2B reaches a consumer: no art. L. 441-10, no €40, no commercial court
    for b2b in ("Indemnité forfaitaire", "441-10", "40 €", "tribunal de commerce", "Pénalités"):
        assert b2b not in text


def test_after_the_formal_notice_an_escalation_task(tenant: Tenant) -> None:
    tenant.run()
    later = open_tenant(tenant.config, today=dt.date(2026, 12, 14)).run()  # > 10 business days
    assert any(i.level == "escalate" and i.channel == "task" for i in later.planned)
    titles = [task["title"] for task in later.delivery and open_tenant(
        tenant.config, today=dt.date(2026, 12, 14)).status()["open_tasks"]]
    assert any("injonction de payer" in title for title in titles)


def test_a_letter_interrupted_is_reconciled_by_its_file(tenant: Tenant) -> None:
    tenant.sync()
    outbox.enqueue(tenant.store, tenant.plan(), now=tenant.clock.now())
    now = tenant.clock.now()
    letters = [r for r in outbox.due(tenant.store, tenant.name, now, limit=10_000)
               if r["channel"] == "letter" and json.loads(r["payload"])["customer_address"]]
    claimed = [outbox.claim_one(tenant.store, r, now, dt.timedelta(minutes=15)) for r in letters[:2]]
    written, lost = claimed[0], claimed[1]
    dispatcher = Dispatcher(tenant.store, tenant.adapter, tenant.config,
                            FileTransport(tenant.config.outbox_dir), now=tenant.clock)
    dispatcher.channel("letter").deliver(Delivery(written, outbox.payload(written)))  # written, then a crash
    with tenant.store.transaction() as conn:
        conn.execute(update(t.outbox).where(t.outbox.c.status == "sending")
                     .values(lease_until=now - dt.timedelta(hours=1)))
    report = dispatcher.run()
    assert (written["key"], "sent", "reconciled after an interruption") in report.details
    assert (lost["key"], "retried", "reconciled after an interruption") in report.details
    files = {r["key"]: r["remote_id"] for r in outbox.rows(tenant.store, tenant.name, "sent",
                                                           limit=10_000)}
    assert Path(files[lost["key"]]).exists()  # then written once
    assert sorted(tenant.config.letters_dir.glob("*.pdf")) == sorted(
        Path(f) for k, f in files.items() if k in {r["key"] for r in letters})
    recorded = {x.key: x for x in letters_of(tenant)}
    assert set(recorded) == {r["key"] for r in letters}  # each recorded, to post
    assert {x.status for x in recorded.values()} == {"to_post"}


def letters_of(tenant: Tenant) -> list[letter_store.Letter]:
    return letter_store.listing(tenant.store, tenant.name)


def test_outside_the_send_window_nothing_is_claimed(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, extra='[policy]\nsend_window = "08:30-18:00"\n'))
    tenant = open_tenant(config, today=TODAY)
    tenant.sync()
    outbox.enqueue(tenant.store, tenant.plan(), now=tenant.clock.now())
    evening = dt.datetime(2026, 11, 27, 19, 0, tzinfo=dt.UTC)  # 20:00 in Paris
    report = Dispatcher(tenant.store, tenant.adapter, config, FileTransport(config.outbox_dir),
                        now=lambda: evening).run()
    assert report.waiting and report.sent == 0
    assert set(outbox.counts(tenant.store, tenant.name)) == {"planned"}
    morning = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)  # Monday 09:00 in Paris
    report = Dispatcher(tenant.store, tenant.adapter, config, FileTransport(config.outbox_dir),
                        now=lambda: morning).run()
    assert report.sent > 0 and not report.waiting


def test_hold_keeps_messages_with_a_provisional_rate_waiting(tmp_path: Path) -> None:
    # 27 Nov 2026: the demo's late invoices accrue in 2026 H2, whose rates are provisional
    extra = POLICY.replace("[penalties]", "[penalties]\nprovisional_rates = \"hold\"") \
        if "[penalties]" in POLICY else POLICY + '\n[penalties]\nprovisional_rates = "hold"\n'
    held = open_tenant(load_config(write_config(tmp_path, extra=extra, small=True)), today=TODAY)
    result = held.run()
    assert result.delivery is not None
    sent = outbox.rows(held.store, held.name, "sent", limit=1000)
    assert not [r for r in sent if r["channel"] in ("letter", "email")
                and json.loads(r["payload"])["customer_kind"] != "individual"
                and json.loads(r["payload"])["template"] in ("final", "formal_notice")]
    waiting = outbox.rows(held.store, held.name, "planned", limit=1000)
    assert any("waiting for the official rate of 2nd semestre 2026" in (r["reason"] or "")
               for r in waiting)
