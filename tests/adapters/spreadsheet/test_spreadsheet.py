"""The spreadsheet adapter: the contract, French formats, header guessing, `import inspect`
writing a block that imports the seed spreadsheet and reminds its late rows."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from connector.adapters.base import AdapterContext, BaseAdapter
from connector.adapters.spreadsheet import SpreadsheetAdapter, SpreadsheetConfig
from connector.adapters.spreadsheet.mapping import guess
from connector.app.tenant import open_tenant
from connector.cli import main
from connector.config import load_config, parse_config
from connector.errors import ConfigError
from connector.formatting import money
from connector.secrets import SecretStore
from tests.adapters.contract import AdapterContract, drain
from tests.helpers import BASE_CONFIG

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "spreadsheet" / "factures.csv"
TODAY = dt.date(2026, 4, 30)
COLUMNS = {"number": "N° facture", "customer": "Nom du client", "email": "Email",
           "issue_date": "Date de facture", "due_date": "Date prévue", "amount": "Montant",
           "status": "Statut"}


def make_sheet(tmp_path: Path, **config: object) -> SpreadsheetAdapter:
    if not (tmp_path / "factures.csv").exists():
        shutil.copy(FIXTURE, tmp_path / "factures.csv")
    context = AdapterContext("t1", SecretStore("t1"), TODAY, tmp_path)
    settings = {"path": "factures.csv", "columns": COLUMNS, **config}
    return SpreadsheetAdapter(SpreadsheetConfig.model_validate(settings), context)


def mark_paid(path: Path, number: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    fixed = [line.rsplit(";", 1)[0] + ";Payée" if line.startswith(number + ";") else line
             for line in lines]
    path.write_text("\n".join(fixed) + "\n", encoding="utf-8")


class TestSpreadsheetContract(AdapterContract):
    @pytest.fixture
    def adapter(self, tmp_path: Path) -> BaseAdapter:
        return make_sheet(tmp_path)

    @pytest.fixture
    def make_change(self, tmp_path: Path) -> Callable[[BaseAdapter], str]:
        def pay(adapter: BaseAdapter) -> str:
            mark_paid(tmp_path / "factures.csv", "F-2026-031")
            invoices, _ = drain(adapter.invoices(None))
            return next(i.external_id for i in invoices if i.number == "F-2026-031")
        return pay


def test_rows_read_as_french_spreadsheets_write_them(tmp_path: Path) -> None:
    pages = list(make_sheet(tmp_path).invoices(None))
    invoices = {i.number: i for p in pages for i in p.records}
    late = invoices["F-2026-031"]
    assert (late.total, late.residual, late.due_date) == (Decimal("1250.00"),
                                                          Decimal("1250.00"),
                                                          dt.date(2026, 2, 4))
    assert invoices["F-2026-032"].status == "paid" and invoices["F-2026-032"].residual == 0
    assert invoices["F-2026-032"].due_date == dt.date(2026, 2, 11)  # 30 jours by default
    assert invoices["F-2026-033"].status == "partial"
    assert invoices["F-2026-035"].status == "disputed"
    assert invoices["AV-2026-002"].kind == "credit_note"
    assert invoices["AV-2026-002"].total == Decimal("240.00")
    assert invoices["F-2026-037"].issue_date == dt.date(2026, 3, 15)  # "15 mars 2026"
    rejected = {r.source_id: r.reason for p in pages for r in p.rejected}
    assert "F-2026-036" not in invoices  # 31/02 does not exist
    assert "not a date" in rejected["factures.csv:8"]


def test_an_xlsx_workbook_reads_like_the_csv(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Client", "Facture", "Date", "Échéance", "Montant TTC", "Reste à payer"])
    sheet.append(["Traiteur Morel", "T-001", dt.datetime(2026, 1, 5), dt.datetime(2026, 2, 4),
                  1250.5, 250.5])
    book.save(tmp_path / "ventes.xlsx")
    headers = ["Client", "Facture", "Date", "Échéance", "Montant TTC", "Reste à payer"]
    mapping = guess(headers)
    assert mapping == {"number": "Facture", "customer": "Client", "issue_date": "Date",
                       "due_date": "Échéance", "amount": "Montant TTC",
                       "remaining": "Reste à payer"}
    context = AdapterContext("t1", SecretStore("t1"), TODAY, tmp_path)
    adapter = SpreadsheetAdapter(SpreadsheetConfig.model_validate(
        {"path": "ventes.xlsx", "columns": mapping}), context)
    [invoice] = drain(adapter.invoices(None))[0]
    assert (invoice.total, invoice.residual, invoice.status) == (Decimal("1250.50"),
                                                                Decimal("250.50"), "partial")


def test_the_seed_headers_of_the_issue_are_guessed() -> None:
    mapping = guess(["Nom du client", "Date de facture", "Montant", "Date prévue", "Statut"])
    assert mapping == {"customer": "Nom du client", "issue_date": "Date de facture",
                       "amount": "Montant", "due_date": "Date prévue", "status": "Statut"}
    english = guess(["Customer", "Invoice number", "Invoice date", "Due date", "Amount",
                     "Amount paid", "E-mail"])
    assert english == {"number": "Invoice number", "customer": "Customer",
                       "email": "E-mail", "issue_date": "Invoice date",
                       "due_date": "Due date", "amount": "Amount", "paid": "Amount paid"}


def test_inspect_writes_a_block_that_imports_and_reminds_the_late_rows(tmp_path: Path
                                                                        ) -> None:
    seed = tmp_path / "suivi.csv"
    seed.write_text("Nom du client;Email;Date de facture;Montant;Date prévue;Statut\n"
                    "Boulangerie Lefèvre;compta@boulangerie-lefevre.fr;05/01/2026;1 250,00 €;"
                    "04/02/2026;En retard\n"
                    "SAS Hôtel du Lac;factures@hotel-du-lac.fr;12/01/2026;3 600,00 €;;Payée\n"
                    "Pharmacie Girard;contact@pharmacie-girard.fr;20/04/2026;780,50;"
                    "20/05/2026;À payer\n", encoding="utf-8")
    config = tmp_path / "relance.toml"
    head = BASE_CONFIG.split("[source]")[0].format(tenant="tpe", state="sqlite:///state.db")
    tail = "[sender]" + BASE_CONFIG.split("[sender]")[1]
    config.write_text(head + tail, encoding="utf-8")
    result = CliRunner().invoke(main, ["import", "inspect", str(seed), "--write", str(config)])
    assert result.exit_code == 0, result.output
    assert "client           ← Nom du client" in result.output
    assert money(Decimal("1250"), "EUR", "fr") in result.output and "payée" in result.output
    tenant = open_tenant(load_config(config), today=TODAY)
    tenant.sync()
    reminded = {item.number for intent in tenant.plan() for item in intent.items}
    tenant.store.close()
    assert len(reminded) == 1
    assert next(iter(reminded)).startswith("2026-01-05")  # no number column: date and amount
    again = CliRunner().invoke(main, ["import", "inspect", str(seed), "--write", str(config)])
    assert again.exit_code == 2 and "déjà une table [source]" in again.output


def test_config_errors_name_the_key_and_the_line() -> None:
    text = ('tenant = "t"\n\n[source]\nkind = "spreadsheet"\npath = "f.csv"\n\n'
            '[source.columns]\namount = "Montant"\n')
    with pytest.raises(ConfigError) as caught:
        parse_config(text, file="relance.toml")
    assert "customer" in str(caught.value) and "relance.toml" in str(caught.value)
    typo = text.replace('amount = "Montant"', 'customer = "Client"\namount = "Montant"\n'
                        'montant_paye = "Payé"')
    with pytest.raises(ConfigError) as caught:
        parse_config(typo, file="relance.toml")
    assert "montant_paye" in str(caught.value) and "line 10" in str(caught.value)


def test_a_missing_column_is_a_config_error_naming_it(tmp_path: Path) -> None:
    adapter = make_sheet(tmp_path, columns={**COLUMNS, "customer": "Client final"})
    with pytest.raises(ConfigError, match="Client final"):
        drain(adapter.invoices(None))


def test_inspect_in_english_names_what_it_could_not_find(tmp_path: Path) -> None:
    sheet = tmp_path / "list.csv"
    sheet.write_text("Who,When,How much\nBristol Tea Ltd,2026-01-10,\"1,170.00\"\n",
                     encoding="utf-8")
    result = CliRunner().invoke(main, ["import", "inspect", str(sheet), "--lang", "en"])
    assert result.exit_code == 2
    assert "Not found: customer, amount, issue_date" in result.output
    assert "Columns not used: Who, When, How much" in result.output


def test_inspect_writes_the_path_from_the_configuration_folder(tmp_path: Path) -> None:
    (tmp_path / "partage").mkdir()
    shutil.copy(FIXTURE, tmp_path / "partage" / "factures.csv")
    (tmp_path / "config").mkdir()
    target = tmp_path / "config" / "relance.toml"
    result = CliRunner().invoke(main, ["import", "inspect", str(tmp_path / "partage" /
                                                                "factures.csv"),
                                       "--write", str(target)])
    assert result.exit_code == 0, result.output
    assert 'path = "../partage/factures.csv"' in target.read_text(encoding="utf-8")
    assert "refusée" not in result.output  # the first five rows all read
