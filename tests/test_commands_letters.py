"""Formal notices as a workflow: no letter without an address, to post until `letters posted`."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import io
from pathlib import Path

import pypdf
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select, update

from connector.app.tenant import Tenant, open_tenant
from connector.cli import main
from connector.config import load_config
from connector.delivery.channels import Delivery
from connector.delivery.dispatch import Dispatcher
from connector.delivery.email import FileTransport
from connector.store import letters as letter_store
from connector.store import outbox
from connector.store import tables as t
from tests.delivery.test_letter import POLICY, TODAY, pdf_text
from tests.helpers import write_config


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return write_config(tmp_path, extra=POLICY, small=True)


def invoke(config: Path, *args: str, today: dt.date = TODAY) -> Result:
    return CliRunner().invoke(main, ["--config", str(config), "--today", today.isoformat(),
                                     *args], catch_exceptions=False)


def planned_letters(tenant: Tenant) -> list[dict]:
    return [r for r in outbox.due(tenant.store, tenant.name, tenant.clock.now(), limit=10_000)
            if r["channel"] == "letter"]


def run_with_one_address_missing(config_path: Path) -> tuple[Tenant, str]:
    """Sync, forget the postal address of one customer who gets a letter, plan, deliver (a week
    after the first reminders: a formal notice needs an earlier reminder)."""
    open_tenant(load_config(config_path), today=TODAY - dt.timedelta(days=7)).run()
    tenant = open_tenant(load_config(config_path), today=TODAY)
    tenant.sync()
    intents = tenant.plan()
    letters = sorted(i.customer_id for i in intents if i.channel == "letter")
    assert len(letters) >= 2, "the small demo ledger has several formal notices due"
    victim = next(c for c in letters if c != "C00013")  # C00013's address is in [customers]
    with tenant.store.transaction() as conn:
        conn.execute(update(t.customers).where(t.customers.c.external_id == victim)
                     .values(address=None))
    outbox.enqueue(tenant.store, tenant.plan(), now=tenant.clock.now())
    Dispatcher(tenant.store, tenant.adapter, tenant.config, FileTransport(
        tenant.config.outbox_dir), now=tenant.clock, exclusive=True).run()
    return tenant, victim


def test_no_letter_without_an_address_but_a_task_and_the_letter_waits(config_path: Path) -> None:
    tenant, victim = run_with_one_address_missing(config_path)
    rows = outbox.rows(tenant.store, tenant.name, limit=10_000)
    waiting = [r for r in rows if r["channel"] == "letter" and r["customer_id"] == victim]
    assert [r["status"] for r in waiting] == ["planned"]
    assert "no postal address" in waiting[0]["reason"]
    written = letter_store.listing(tenant.store, tenant.name)
    assert written and victim not in {x.customer_id for x in written}
    for letter in written:  # every letter written names its recipient's address
        text = pdf_text(Path(letter.file).read_bytes())
        assert "adresse postale" not in text and "postal address" not in text
    with tenant.store.engine.connect() as conn:
        titles = {r.customer_id: r.title for r in conn.execute(select(t.tasks))}
    assert titles[victim].startswith("Compléter l'adresse postale")
    assert all(titles[x.customer_id].startswith("Poster la lettre recommandée")
               or x.customer_id == victim for x in written if x.customer_id in titles)

    # the address is completed in [customers]: the next run writes the letter
    config_path.write_text(config_path.read_text(encoding="utf-8")
                           + f'\n[customers."{victim}"]\naddress = "5 quai Saint-Antoine\\n'
                             f'69002 Lyon"\n', encoding="utf-8")
    later = open_tenant(load_config(config_path), today=TODAY + dt.timedelta(days=3))
    later.run()
    letter = next(x for x in letter_store.listing(later.store, later.name)
                  if x.customer_id == victim)
    assert "5 quai Saint-Antoine" in pdf_text(Path(letter.file).read_bytes())


def test_letters_are_to_post_until_posted_and_the_email_says_so(config_path: Path) -> None:
    open_tenant(load_config(config_path), today=TODAY - dt.timedelta(days=7)).run()
    result = invoke(config_path, "run")
    # exit 1: the demo's customers without a postal address have letters waiting (a task each)
    assert result.exit_code == 1 and "no postal address" in result.output, result.output
    tenant = open_tenant(load_config(config_path), today=TODAY)
    todo = letter_store.listing(tenant.store, tenant.name, status="to_post")
    assert todo and not letter_store.listing(tenant.store, tenant.name, status="posted")
    listed = invoke(config_path, "letters")
    assert listed.exit_code == 0
    assert all(Path(x.file).name in listed.output and "à poster" in listed.output for x in todo)

    # the email that went with each letter says it is being sent, not that it was
    emails = [r for r in outbox.rows(tenant.store, tenant.name, "sent", limit=1000)
              if r["channel"] == "email" and r["level"] == "formal_notice"]
    assert emails
    for row in emails:
        text = eml_text(tenant.config.outbox_dir / f"{row['key']}.eml")
        assert "est en cours d'envoi" in text or "is being sent" in text
        assert "également adressée le" not in text and "also sent on" not in text

    # one printable batch: a cover listing every letter, then the letters themselves
    batch = invoke(config_path, "letters", "batch", TODAY.isoformat())
    assert batch.exit_code == 0, batch.output
    reader = pypdf.PdfReader(tenant.config.letters_dir / f"{TODAY.isoformat()}_a-poster.pdf")
    pages = sum(len(pypdf.PdfReader(x.file).pages) for x in todo)
    assert len(reader.pages) == 1 + pages
    cover = reader.pages[0].extract_text()
    assert f"{len(todo)} lettre(s)" in cover
    assert all(Path(x.file).name[:20] in cover for x in todo)

    # posting is recorded by a person, with its tracking number; its task is then done
    first = todo[0]
    posted = invoke(config_path, "letters", "posted", first.key[:12], "--date",
                    TODAY.isoformat(), "--tracking", "1A 234 567 8901 2")
    assert posted.exit_code == 0, posted.output
    done = letter_store.find(tenant.store, tenant.name, first.key)
    assert done is not None and done.status == "posted" and done.posted_on == TODAY
    assert done.tracking == "1A 234 567 8901 2"
    with tenant.store.engine.connect() as conn:
        task = conn.execute(select(t.tasks.c.status).where(
            t.tasks.c.key == f"{first.key[:28]}post")).scalar()
    assert task == "done"
    assert invoke(config_path, "letters", "posted", "nope", "--date",
                  TODAY.isoformat()).exit_code == 2
    status = invoke(config_path, "status")
    assert f"lettres : postées 1, à poster {len(todo) - 1}" in status.output
    # the posted one leaves the list of letters to post and the next batch
    assert Path(first.file).name not in invoke(config_path, "letters").output

    # once posted, the level's email says the registered letter was sent, with its number
    row = next(r for r in emails if r["customer_id"] == first.customer_id)
    resent = Dispatcher(tenant.store, tenant.adapter, tenant.config,
                        FileTransport(tenant.config.base_dir / "again"), now=tenant.clock)
    resent.channel("email").deliver(Delivery(row, outbox.readable(tenant.store, row)))
    text = eml_text(tenant.config.base_dir / "again" / f"{row['key']}.eml")
    assert "également adressée le 27 novembre 2026" in text or "also sent on" in text
    assert "1A 234 567 8901 2" in text


def eml_text(path: Path) -> str:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return " ".join(body.get_content().split())


def test_letter_batch_is_a_real_pdf_even_when_empty_day(config_path: Path) -> None:
    result = invoke(config_path, "letters", "batch", "2026-01-05")
    assert result.exit_code == 0 and "Aucune lettre" in result.output
    assert not list(config_path.parent.glob("letters/*.pdf"))


def test_pdf_text_reads_back(config_path: Path) -> None:
    """Guard for the helpers above: pypdf reads what fpdf writes, accents included."""
    from connector.app.lint import sample_payload
    from connector.delivery.letter import letter_pdf
    from connector.delivery.messages import template_context
    config = load_config(config_path)
    data = letter_pdf(template_context(sample_payload(config, "formal_notice"), config), "fr")
    assert "Boulangerie Lefèvre" in " ".join(pypdf.PdfReader(io.BytesIO(data)).pages[0]
                                             .extract_text().split())


def test_a_letter_waiting_for_an_address_waits_without_using_attempts(config_path: Path) -> None:
    """Day after day the letter waits for a person: its attempt count stays 0 (a failure budget
    or a "gave up after N attempts" must never count days of waiting), one task asks for the
    address, and `relance letters` says which letter waits and why."""
    tenant, victim = run_with_one_address_missing(config_path)
    for days in (1, 2, 3):  # the daily runs that follow, still without the address
        later = open_tenant(load_config(config_path), today=TODAY + dt.timedelta(days=days))
        Dispatcher(later.store, later.adapter, later.config, FileTransport(
            later.config.outbox_dir), now=later.clock, exclusive=True).run()
    rows = [r for r in outbox.rows(tenant.store, tenant.name, limit=10_000)
            if r["channel"] == "letter" and r["customer_id"] == victim]
    assert [(r["status"], r["attempts"]) for r in rows] == [("planned", 0)]
    with tenant.store.engine.connect() as conn:
        tasks = conn.execute(select(t.tasks.c.title).where(
            t.tasks.c.customer_id == victim)).scalars().all()
    assert [x for x in tasks if x.startswith("Compléter l'adresse postale")] and len(
        [x for x in tasks if "adresse postale" in x]) == 1
    listed = invoke(config_path, "letters", today=TODAY + dt.timedelta(days=3))
    line = next(x for x in listed.output.splitlines() if rows[0]["key"][:12] in x)
    assert "en attente de l'adresse postale" in line and victim in line


def test_a_letter_posted_after_its_date_says_its_deadline_is_shorter(config_path: Path) -> None:
    """27 Nov letter, 3 days' delivery + 15 days: it asks for payment by 15 Dec. Posted on
    2 Dec (5 days late), the debtor has 5 days fewer after receipt: the collector is told."""
    open_tenant(load_config(config_path), today=TODAY - dt.timedelta(days=7)).run()
    invoke(config_path, "run")
    tenant = open_tenant(load_config(config_path), today=TODAY)
    first, second = letter_store.listing(tenant.store, tenant.name, status="to_post")[:2]
    late = CliRunner().invoke(main, ["--config", str(config_path), "--today", "2026-12-02",
                                     "letters", "posted", first.key[:12], "--date",
                                     "2026-12-02"])
    assert late.exit_code == 0, late.output
    assert ("lettre postée 5 jour(s) après sa date ; le délai qu'elle fixe (jusqu'au "
            "15/12/2026) laisse 5 jour(s) de moins") in late.output
    on_time = invoke(config_path, "letters", "posted", second.key[:12], "--date",
                     TODAY.isoformat())
    assert on_time.exit_code == 0 and "attention" not in on_time.output
