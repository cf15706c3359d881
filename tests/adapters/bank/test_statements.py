"""Bank statements read as a bank delivers them: CAMT.053 (.02 and .08), OFX 1.0.2, a French
bank's CSV export; only booked credits count, a bad entry is reported with its place and skipped."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from connector.adapters.bank import CsvMapping, read_statement, sniff
from connector.errors import ConfigError

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "bank"


def test_camt053_v02_keeps_booked_credits_only_with_their_remittance_text() -> None:
    statement = read_statement(FIXTURES / "releve-2026-11-25.camt053.xml")
    assert statement.format == "camt"
    amounts = [c.amount for c in statement.credits]
    assert amounts == [Decimal("1450.00"), Decimal("1000.00"), Decimal("780.00")]  # no debit,
    first = statement.credits[0]                                                  # no pending
    assert first.date == dt.date(2026, 11, 25) and first.value_date == dt.date(2026, 11, 25)
    assert first.payer == "BOULANGERIE MARTIN"
    assert "INV/2026/00001" in first.text
    assert first.reference == "camt:FR7630006000011234567890189:2026112500000417"
    assert "NOTPROVIDED" not in statement.credits[1].text
    assert statement.rejects == []


def test_camt053_v08_splits_a_batch_reads_party_names_and_other_currencies() -> None:
    statement = read_statement(FIXTURES / "releve-2026-11-26.camt053.xml")
    credits = statement.credits
    assert [(c.amount, c.currency) for c in credits] == [
        (Decimal("1320.00"), "EUR"), (Decimal("1320.00"), "EUR"), (Decimal("1200.00"), "USD")]
    assert [c.payer for c in credits[:2]] == ["GARAGE ROUSSEAU", "CAFÉ DU THÉÂTRE"]
    assert credits[0].reference != credits[1].reference
    assert "RF712026000005" in credits[1].text  # structured creditor reference
    # the reversal is not money received; the entry with a broken amount is named and skipped
    assert len(statement.rejects) == 1 and "Ntry[4]" in statement.rejects[0]
    assert "abc" in statement.rejects[0]


def test_ofx_credits_with_fitid_as_reference() -> None:
    statement = read_statement(FIXTURES / "releve-novembre.ofx")
    assert statement.format == "ofx"
    assert [(c.reference, c.amount) for c in statement.credits] == [
        ("ofx:12345678901:2026112400017", Decimal("1450.00")),
        ("ofx:12345678901:2026112500004", Decimal("780.00"))]
    assert "INV/2026/00001" in statement.credits[0].text


def test_french_bank_csv_in_windows_1252_with_lines_before_the_header() -> None:
    statement = read_statement(FIXTURES / "export-banque.csv", CsvMapping(account="00012345678"))
    assert [c.amount for c in statement.credits] == [
        Decimal("780.00"), Decimal("1250.00"), Decimal("2100.00"), Decimal("2100.00")]
    assert "CAFÉ DU THÉÂTRE" in statement.credits[1].text
    # two identical cheque deposits the same day are two credits, each with its own reference
    assert statement.credits[2].reference != statement.credits[3].reference
    assert len(statement.rejects) == 1 and statement.rejects[0].endswith(
        "export-banque.csv:12: not an amount: 'abc'")


def test_csv_references_are_stable_across_overlapping_exports(tmp_path: Path) -> None:
    header = "Date;Libellé;Débit;Crédit\n"
    first = tmp_path / "a.csv"
    first.write_text(header + "24/11/2026;VIR DE X;;10,00\n", encoding="utf-8")
    later = tmp_path / "b.csv"
    later.write_text(header + "23/11/2026;VIR DE Y;;5,00\n24/11/2026;VIR DE X;;10,00\n",
                     encoding="utf-8")
    refs_a = {c.reference for c in read_statement(first).credits}
    refs_b = {c.reference for c in read_statement(later).credits}
    assert refs_a < refs_b


def test_single_signed_amount_column(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("date,label,amount\n2026-11-24,INV/2026/00001,1450.00\n"
                    "2026-11-24,fees,-3.20\n", encoding="utf-8")
    mapping = CsvMapping(date="date", label="label", amount="amount", date_format="%Y-%m-%d",
                         decimal=".")
    assert [c.amount for c in read_statement(path, mapping).credits] == [Decimal("1450.00")]


@pytest.mark.parametrize("content, message", [
    (b"<?xml version='1.0'?><Document xmlns='urn:iso:std:iso:20022:tech:xsd:camt.054.001.02'/>",
     "not a CAMT.053 statement"),
    (b"<?xml version='1.0'?><Document><unclosed>", "not a readable CAMT.053"),
    (b"<?xml version='1.0'?><!DOCTYPE d [<!ENTITY a 'aaaa'><!ENTITY b '&a;&a;&a;'>]>"
     b"<Document>&b;</Document>", "not a readable CAMT.053"),
    (b"OFXHEADER:100\nDATA:OFXSGML\n\n<OFX><BROKEN>", "not a readable OFX"),
    (b"just some text\nwithout the columns\n", "no header line"),
])
def test_unreadable_files_name_the_file(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "releve.dat"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as caught:
        read_statement(path)
    assert message in str(caught.value) and str(path) in str(caught.value)


def test_sniff_by_content_not_name() -> None:
    assert sniff(b"\xef\xbb\xbf<?xml version='1.0'?><Document/>") == "camt"
    assert sniff(b"OFXHEADER:100\r\n") == "ofx"
    assert sniff(b"Date;Libell\xe9;D\xe9bit;Cr\xe9dit\r\n") == "csv"
