"""French numbers and dates as spreadsheets and FEC files write them; encodings detected."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from connector.adapters.tables import decode, files_in, parse_amount, parse_date, read_table


@pytest.mark.parametrize(("text", "amount"), [
    ("1 234,56 €", "1234.56"), ("1\u202f234,56\u00a0€", "1234.56"), ("1.234,56", "1234.56"),
    ("1,234.56", "1234.56"), ("-12,5", "-12.5"), ("12,50-", "-12.50"), ("(40,00)", "-40.00"),
    ("1234.56", "1234.56"), ("1.234.567", "1234567"), ("12€50", "12.50"), ("0,00", "0.00"), ("EUR 10", "10"),
])
def test_amounts(text: str, amount: str) -> None:
    assert parse_amount(text) == Decimal(amount)


@pytest.mark.parametrize("text", ["", "douze", "1,2,3", "12€5€0", "--1", "1e5"])
def test_what_is_not_an_amount_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not an amount"):
        parse_amount(text)


@pytest.mark.parametrize(("text", "day"), [
    ("15/01/2026", dt.date(2026, 1, 15)), ("5/1/26", dt.date(2026, 1, 5)),
    ("15.01.2026", dt.date(2026, 1, 15)), ("2026-01-15", dt.date(2026, 1, 15)),
    ("20260115", dt.date(2026, 1, 15)), ("1er février 2026", dt.date(2026, 2, 1)),
    ("15 août 2026", dt.date(2026, 8, 15)), ("2026-01-15 00:00:00", dt.date(2026, 1, 15)),
])
def test_dates(text: str, day: dt.date) -> None:
    assert parse_date(text) == day


@pytest.mark.parametrize("text", ["31/02/2026", "2026-13-01", "demain", "15/01"])
def test_what_is_not_a_date_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a date"):
        parse_date(text)


def test_encodings_are_detected() -> None:
    assert decode("Hôtel".encode("utf-8")) == ("Hôtel", "utf-8-sig")
    assert decode("\ufeffHôtel".encode("utf-8")) == ("Hôtel", "utf-8-sig")
    assert decode("Hôtel € œuvre".encode("cp1252")) == ("Hôtel € œuvre", "cp1252")
    assert decode("Hôtel € œuvre".encode("iso-8859-15")) == ("Hôtel € œuvre", "iso-8859-15")


def test_csv_rows_keep_their_line_numbers_and_files_in_progress_are_left(tmp_path: Path
                                                                         ) -> None:
    (tmp_path / "a.csv").write_text("Client;Montant\nLefèvre;10,00\n\n\"Müller\n& Fils\";5\n",
                                    encoding="utf-8")
    (tmp_path / "a.csv.part").write_text("Client;Mon", encoding="utf-8")
    (tmp_path / "~$b.xlsx").write_bytes(b"lock")
    headers, rows = read_table(tmp_path / "a.csv")
    assert headers == ["Client", "Montant"]
    assert [(r.line, r.cells["Client"]) for r in rows] == [(2, "Lefèvre"), (5, "Müller\n& Fils")]
    assert list(files_in(tmp_path, (".csv", ".xlsx"))) == [tmp_path / "a.csv"]
