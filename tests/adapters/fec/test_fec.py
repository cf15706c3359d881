"""The FEC adapter: the contract, the open items of a hand-made FEC (worked out by hand below),
lettering, re-exports, opening entries, malformed lines and files still being written."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from connector.adapters.base import AdapterContext, BaseAdapter
from connector.adapters.fec import FecAdapter, FecConfig
from connector.config import parse_config
from connector.errors import ConfigError, TransientError
from connector.models import Invoice
from connector.secrets import SecretStore
from tests.adapters.contract import AdapterContract, drain

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "fec"
Y2025, Y2026 = "852741963FEC20251231.txt", "852741963FEC20261231.txt"
TODAY = dt.date(2026, 4, 30)
PATTERN = r"[ée]ch\.? *(\d{2}/\d{2}/\d{4})"

# The aged balance of the fixture on 2026-04-30, worked out by hand from the two files:
# number → (customer, currency, amount still due, due date). The 411 balance of the 2026 file
# (opening 4 760 + debits 9 030 - credits 4 900 = 8 890 €) is the sum of these in euros, with
# FA-2026-0001's 1 000 GBP booked at 1 170 € and the open credit note AV-2025-0007 deducted.
AGED_BALANCE = {
    "FA-2025-0102": ("CLI002", "EUR", Decimal("1600.00"), dt.date(2025, 12, 5)),   # 3600 - 1000
    # (partial lettering "ab" in 2025) - 1000 (lettered "AC" with the opening entry in 2026)
    "FA-2025-0103": ("CLI003", "EUR", Decimal("2400.00"), dt.date(2025, 12, 31)),  # 30 jours
    "FA-2026-0001": ("CLI004", "GBP", Decimal("1000.00"), dt.date(2026, 2, 9)),    # 30 days
    "FA-2026-0002": ("CLI005", "EUR", Decimal("3000.00"), dt.date(2026, 3, 15)),   # "éch." in
    # the label; 4800 - 1800 paid by an unlettered transfer
    "FA-2026-0003": ("CLI001", "EUR", Decimal("960.00"), dt.date(2026, 3, 31)),    # 45 j fdm
    "AV-2025-0007": ("CLI001", "EUR", Decimal("240.00"), dt.date(2025, 12, 15)),   # credit note
}


def books(tmp_path: Path, *names: str) -> Path:
    folder = tmp_path / "fec"
    folder.mkdir(exist_ok=True)
    for name in names or (Y2025, Y2026):
        shutil.copy(FIXTURES / name, folder / name)
    shutil.copy(FIXTURES / "contacts.csv", tmp_path / "contacts.csv")
    return folder


def make_fec(tmp_path: Path, **config: object) -> FecAdapter:
    context = AdapterContext("t1", SecretStore("t1"), TODAY, tmp_path)
    settings: dict[str, object] = {"path": "fec", "contacts": "contacts.csv",
                                   "due_date_pattern": PATTERN, **config}
    return FecAdapter(FecConfig.model_validate(settings), context)


def append(path: Path, *lines: str) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "".join(line + "\n" for line in lines), encoding="utf-8")
    stamp = path.stat().st_mtime_ns + 1_000_000_000  # a later export, even on coarse clocks
    os.utime(path, ns=(stamp, stamp))


PAY_0003 = ["BQ|Banque Crédit Agricole|BQ000041|20260415|512000|Banque|||VIR-0415|20260415|"
            "Virement Lefèvre|960,00|0,00|||20260430||",
            "BQ|Banque Crédit Agricole|BQ000041|20260415|411000|Clients|CLI001|Boulangerie "
            "Lefèvre|VIR-0415|20260415|Virement Lefèvre|0,00|960,00|AG|20260416|20260430||"]


def letter_0003(path: Path) -> None:
    """The accountant letters FA-2026-0003 with the new transfer and exports again."""
    text = path.read_text(encoding="utf-8").replace(
        "viennoiseries|960,00|0,00|||20260228", "viennoiseries|960,00|0,00|AG|20260416|20260228")
    path.write_text(text, encoding="utf-8")
    append(path, *PAY_0003)


class TestFecContract(AdapterContract):
    @pytest.fixture
    def adapter(self, tmp_path: Path) -> BaseAdapter:
        books(tmp_path)
        return make_fec(tmp_path)

    @pytest.fixture
    def make_change(self, tmp_path: Path) -> Callable[[BaseAdapter], str]:
        def pay(adapter: BaseAdapter) -> str:
            letter_0003(tmp_path / "fec" / Y2026)
            invoices, _ = drain(adapter.invoices(None))
            return next(i.external_id for i in invoices if i.number == "FA-2026-0003")
        return pay


def open_items(invoices: list[Invoice]) -> dict[str, tuple[str, str, Decimal, dt.date]]:
    return {i.number: (i.customer_id, i.currency, i.residual, i.due_date)
            for i in invoices if i.residual > 0}


def test_open_items_are_the_aged_balance_worked_out_by_hand(tmp_path: Path) -> None:
    books(tmp_path)
    invoices, _ = drain(make_fec(tmp_path).invoices(None))
    assert open_items(invoices) == AGED_BALANCE
    by_number = {i.number: i for i in invoices}
    assert by_number["FA-2025-0101"].status == "paid"
    assert by_number["FA-2025-0101"].paid_date == dt.date(2025, 11, 20)
    assert by_number["FA-2025-0102"].status == "partial"
    assert by_number["FA-2026-0004"].status == "paid"
    assert by_number["FA-2026-0005"].status == "cancelled"  # its credit note, lettered
    assert by_number["AV-2026-0001"].residual == 0
    assert by_number["AV-2025-0007"].kind == "credit_note"
    assert by_number["FA-2026-0001"].total == Decimal("1000.00")
    # the opening entries of 2026 repeat 2025's open items: not counted twice
    assert len([i for i in invoices if i.number == "FA-2025-0103"]) == 1
    euros = sum(i.residual for i in invoices if i.currency == "EUR" and i.kind == "invoice")
    assert euros + Decimal("1170.00") - Decimal("240.00") == Decimal("8890.00")


def test_partial_lettering_gives_partial_payments(tmp_path: Path) -> None:
    books(tmp_path)
    adapter = make_fec(tmp_path)
    payments, _ = drain(adapter.payments(None))
    invoices = {i.external_id: i.number for i in drain(adapter.invoices(None))[0]}
    paid = sorted((invoices[p.invoice_id], p.date, p.amount) for p in payments
                  if p.invoice_id and invoices[p.invoice_id] == "FA-2025-0102")
    assert paid == [("FA-2025-0102", dt.date(2025, 12, 10), Decimal("1000.00")),
                    ("FA-2025-0102", dt.date(2026, 1, 20), Decimal("1000.00"))]  # not DateLet


def test_without_last_year_the_opening_entries_carry_the_balance(tmp_path: Path) -> None:
    books(tmp_path, Y2026)
    invoices, _ = drain(make_fec(tmp_path).invoices(None))
    due = open_items(invoices)
    assert due["FA-2025-0102"][2] == Decimal("1600.00")  # opening 2600 less the 2026 transfer
    assert due["FA-2025-0103"][2:] == (Decimal("2400.00"), dt.date(2025, 12, 31))
    net = {c: Decimal(0) for c in ("CLI001",)}
    for i in invoices:
        if i.customer_id == "CLI001":
            net["CLI001"] += i.residual if i.kind == "invoice" else -i.residual
    assert net["CLI001"] == Decimal("720.00")  # 960 - the 240 credit carried forward


def test_contacts_give_addresses_and_a_bad_email_is_dropped_with_its_line(tmp_path: Path
                                                                          ) -> None:
    books(tmp_path)
    pages = list(make_fec(tmp_path).customers(None))
    customers = {c.external_id: c for p in pages for c in p.records}
    assert customers["CLI001"].email == "compta@boulangerie-lefevre.fr"
    assert customers["CLI004"].language == "en"
    assert customers["CLI003"].name == "Garage Müller & Fils"
    assert customers["CLI005"].email is None
    rejected = {r.source_id: r.reason for p in pages for r in p.rejected}
    assert "not an e-mail address" in rejected["contacts.csv:6"]


def test_terms_the_contacts_file_cannot_read_are_rejected_with_their_line(tmp_path: Path
                                                                          ) -> None:
    books(tmp_path)
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(contacts.read_text(encoding="utf-8").replace(
        ";45 jours fin de mois", ";quand il peut"), encoding="utf-8")
    adapter = make_fec(tmp_path)
    rejected = {r.source_id: r.reason for p in adapter.customers(None) for r in p.rejected}
    assert "quand il peut" in rejected["contacts.csv:2"]
    due = open_items(drain(adapter.invoices(None))[0])
    assert due["FA-2026-0003"][3] == dt.date(2026, 3, 12)  # the default 30 jours


def test_iso_8859_15_tab_file_keeps_its_accents(tmp_path: Path) -> None:
    books(tmp_path, Y2025)
    customers = {c.external_id: c.name for c in drain(make_fec(tmp_path).customers(None))[0]}
    assert customers["CLI002"] == "SAS Hôtel du Lac"


def test_reimport_unchanged_changes_nothing_and_lettering_pays(tmp_path: Path) -> None:
    folder = books(tmp_path)
    adapter = make_fec(tmp_path)
    _, cursor = drain(adapter.invoices(None))
    assert drain(adapter.invoices(cursor))[0] == []
    before = next(i.external_id for i in drain(adapter.invoices(None))[0]
                  if i.number == "FA-2026-0003")
    letter_0003(folder / Y2026)
    pages = list(make_fec(tmp_path).invoices(cursor))
    changed = [i for p in pages for i in p.records]
    assert [(i.external_id, i.status, i.residual) for i in changed] == [
        (before, "paid", Decimal("0.00"))]  # the same invoice, now paid: not a new one
    assert [d for p in pages for d in p.deleted] == []


def test_a_reexport_of_the_period_is_the_truth(tmp_path: Path) -> None:
    folder = books(tmp_path)
    _, cursor = drain(make_fec(tmp_path).invoices(None))
    # the same period exported again into a sub-folder, without the Bristol invoice
    again = folder / "export-mai"
    again.mkdir()
    text = (folder / Y2026).read_text(encoding="utf-8")
    kept = "".join(line for line in text.splitlines(keepends=True) if "FA-2026-0001" not in line)
    (again / Y2026).write_text(kept, encoding="utf-8")
    (folder / Y2026).unlink()
    shutil.move(again / Y2026, folder / Y2026)
    pages = list(make_fec(tmp_path).invoices(cursor))
    deleted = [d for p in pages for d in p.deleted]
    assert len(deleted) == 1 and "VT-VT000001-CLI004" in deleted[0]


def test_newest_of_two_exports_of_a_period_wins(tmp_path: Path) -> None:
    folder = books(tmp_path)
    older = folder / "852741963FEC20261231 (ancien).txt"
    text = (folder / Y2026).read_text(encoding="utf-8")
    older.write_text(text.replace("|960,00|0,00|||", "|999,00|0,00|||"), encoding="utf-8")
    stamp = (folder / Y2026).stat().st_mtime_ns - 10_000_000_000
    os.utime(older, ns=(stamp, stamp))
    with older.open("a", encoding="utf-8") as handle:
        handle.write("VT|ligne abîmée\n")
    os.utime(older, ns=(stamp, stamp))
    pages = list(make_fec(tmp_path).invoices(None))
    due = open_items([i for p in pages for i in p.records])
    assert due["FA-2026-0003"][2] == Decimal("960.00")
    assert [r for p in pages for r in p.rejected] == []  # the older export is not read at all


def test_malformed_lines_are_rejected_with_file_and_line_and_the_rest_goes_on(
        tmp_path: Path) -> None:
    folder = books(tmp_path)
    append(folder / Y2026,
           "VT|Journal des ventes|VT000007|20261345|411000|Clients|CLI005|Menuiserie|"
           "FA-2026-0007|20260401|Facture|100,00|0,00|||20260430||",
           "VT|Journal des ventes|VT000008|20260401|411000|Clients|CLI005|Menuiserie|"
           "FA-2026-0008|20260401|Facture|1O0,00|0,00|||20260430||",
           "VT|trop court|VT000009")
    pages = list(make_fec(tmp_path).invoices(None))
    reasons = {r.source_id: r.reason for p in pages for r in p.rejected}
    path = Y2026  # the file's name: the store keeps 128 characters of an id
    assert "AAAAMMJJ" in reasons[f"{path}:31"]
    assert "Debit" in reasons[f"{path}:32"]
    assert "3 fields" in reasons[f"{path}:33"]
    assert open_items([i for p in pages for i in p.records]) == AGED_BALANCE


def test_a_file_still_being_written_fails_the_run_instead_of_dropping_invoices(
        tmp_path: Path) -> None:
    folder = books(tmp_path)
    data = (folder / Y2026).read_bytes()
    (folder / Y2026).write_bytes(data[: len(data) // 2])  # the copy is half-way
    with pytest.raises(TransientError, match="last line is cut"):
        drain(make_fec(tmp_path).invoices(None))
    (folder / Y2026).write_bytes(b"")
    with pytest.raises(TransientError):
        drain(make_fec(tmp_path).invoices(None))
    for child in folder.iterdir():
        child.unlink()
    with pytest.raises(TransientError, match="no FEC file"):
        drain(make_fec(tmp_path).invoices(None))


def test_terms_per_customer_and_end_of_month_reading(tmp_path: Path) -> None:
    books(tmp_path)
    adapter = make_fec(tmp_path, end_of_month_rule="end_then_add",
                       customer_terms={"CLI003": "60 jours"})
    due = open_items(drain(adapter.invoices(None))[0])
    assert due["FA-2026-0003"][3] == dt.date(2026, 4, 14)  # 28/02 + 45 days
    assert due["FA-2025-0103"][3] == dt.date(2026, 1, 30)  # 01/12 + 60 days


def test_config_errors_name_the_key_and_the_line(tmp_path: Path) -> None:
    text = ('tenant = "t"\n\n[source]\nkind = "fec"\npath = "fec"\n'
            'default_terms = "quand il veut"\n')
    with pytest.raises(ConfigError) as caught:
        parse_config(text, file="relance.toml")
    message = str(caught.value)
    assert "default_terms" in message and "line 6" in message and "relance.toml" in message
    bad_pattern = text.replace('"quand il veut"', '"30 jours"\ndue_date_pattern = "éch("')
    with pytest.raises(ConfigError, match="due_date_pattern"):
        parse_config(bad_pattern, file="relance.toml")


def test_a_tenant_on_the_fec_reminds_the_late_items_with_the_right_amounts(
        tmp_path: Path, store_url: str) -> None:
    """On SQLite and PostgreSQL (which holds ids and rejects to their column widths)."""
    from connector.app.tenant import open_tenant
    from connector.config import load_config
    from tests.helpers import BASE_CONFIG

    folder = books(tmp_path)
    append(folder / Y2026, "VT|Journal des ventes|VT000099|2026041|411000|Clients|CLI005|"
           "Menuiserie Bérénice|FA-2026-0099|20260401|Facture|10,00|0,00|||20260430||")
    head = BASE_CONFIG.split("[source]")[0].format(tenant="books", state=store_url)
    source = ('[source]\nkind = "fec"\npath = "fec"\ncontacts = "contacts.csv"\n'
              f"due_date_pattern = '{PATTERN}'\n\n")
    (tmp_path / "relance.toml").write_text(head + source + "[sender]"
                                           + BASE_CONFIG.split("[sender]")[1], encoding="utf-8")
    tenant = open_tenant(load_config(tmp_path / "relance.toml"), today=TODAY)
    try:
        result = tenant.sync()
        assert result.rejected >= 2  # the line with a bad date; CLI005's "Voir Mme Bérénice"
        rejects = {r["source_id"] for r in tenant.store.recent_rejects("books")}
        assert f"{Y2026}:31" in rejects
        intents = {i.customer_id: i for i in tenant.plan(capped=False)}
    finally:
        tenant.store.close()
    lefevre = intents["CLI001"]  # 960 € late, the 240 € credit note deducted
    assert [item.number for item in lefevre.items] == ["FA-2026-0003"]
    assert lefevre.amount_to_pay == Decimal("720.00")
    assert lefevre.recipients == ("compta@boulangerie-lefevre.fr",)
    assert {item.number for i in intents.values() for item in i.items} == {
        "FA-2025-0102", "FA-2025-0103", "FA-2026-0001", "FA-2026-0002", "FA-2026-0003"}
    assert intents["CLI004"].currency == "GBP" and intents["CLI004"].amount_to_pay == 1000
    assert intents["CLI005"].recipients == ()  # no address: a task instead of an e-mail


def test_the_montant_and_sens_variant_and_a_file_named_otherwise(tmp_path: Path) -> None:
    folder = tmp_path / "fec"
    folder.mkdir()
    rows = ["JournalCode\tJournalLib\tEcritureNum\tEcritureDate\tCompteNum\tCompteLib\t"
            "CompAuxNum\tCompAuxLib\tPieceRef\tPieceDate\tEcritureLib\tMontant\tSens\t"
            "EcritureLet\tDateLet\tValidDate\tMontantdevise\tIdevise",
            "VE\tVentes\t17\t20260105\t411LEFEVRE\tBoulangerie Lefèvre\t\t\tF17\t20260105\t"
            "Facture F17 œuvre d’art\t1 500,00\tD\tA\t20260130\t20260131\t\t",
            "VE\tVentes\t17\t20260105\t706000\tVentes\t\t\tF17\t20260105\tFacture F17\t"
            "1500,00\tC\t\t\t20260131\t\t",
            "BQ\tBanque\t3\t20260130\t411LEFEVRE\tBoulangerie Lefèvre\t\t\tR3\t20260130\t"
            "Règlement F17\t500,00\tC\ta\t20260130\t20260131\t\t",
            "BQ\tBanque\t3\t20260130\t512000\tBanque\t\t\tR3\t20260130\tRèglement\t500,00\tD"
            "\t\t\t20260131\t\t"]
    (folder / "export-compta.txt").write_bytes(("\r\n".join(rows) + "\r\n").encode("cp1252"))
    context = AdapterContext("t1", SecretStore("t1"), TODAY, tmp_path)
    adapter = FecAdapter(FecConfig(path=Path("fec")), context)
    [invoice] = drain(adapter.invoices(None))[0]
    assert (invoice.customer_id, invoice.number, invoice.status, invoice.residual) == (
        "411LEFEVRE", "F17", "partial", Decimal("1000.00"))  # "A" and "a": one lettering
    assert drain(adapter.customers(None))[0][0].name == "Boulangerie Lefèvre"


def test_the_contacts_file_may_sit_in_the_fec_folder(tmp_path: Path) -> None:
    folder = books(tmp_path)
    shutil.move(tmp_path / "contacts.csv", folder / "contacts.csv")
    adapter = make_fec(tmp_path, contacts="fec/contacts.csv")
    assert open_items(drain(adapter.invoices(None))[0]) == AGED_BALANCE
