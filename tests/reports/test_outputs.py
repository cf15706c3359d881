"""What a person opens: the HTML dashboard (parsed), CSV and XLSX read back, JSON."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import json
import re
from dataclasses import replace
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest

from connector.reports import Report
from connector.reports.export import report_dict, sheet_title, write_csv, write_json, write_xlsx
from connector.reports.render_html import render
from connector.reports.tables import header, report_tables
from tests.helpers import NOW


class Page(HTMLParser):
    """Collects charts (with their marks' data), tables (cell texts) and every URL-ish attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.charts: dict[str, list[dict[str, str]]] = {}
        self.tables: dict[str, list[list[str]]] = {}
        self.urls: list[str] = []
        self.tags: set[str] = set()
        self._chart: str | None = None
        self._table: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.tags.add(tag)
        self.urls += [v for k, v in values.items() if k in ("href", "src", "xlink:href", "action")]
        if tag == "svg":
            self._chart = values.get("data-chart", "?")
            self.charts[self._chart] = []
        elif self._chart and "data-value" in values:
            self.charts[self._chart].append(values)
        if tag == "table":
            self._table = values["data-table"]
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self._chart = None
        elif tag == "table":
            self._table = None
        elif tag in ("td", "th") and self._cell is not None and self._table:
            self.tables[self._table][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def parse(text: str) -> Page:
    page = Page()
    page.feed(text)
    return page


def test_html_has_its_charts_with_data_and_its_tables(golden_report: Report) -> None:
    page = parse(render(golden_report, "fr"))
    assert set(page.charts) == {"aging", "forecast", "dso_trend", "top_late"}
    aging = {m["data-label"]: Decimal(m["data-value"]) for m in page.charts["aging"]}
    assert aging == {"Non échu": Decimal("500.00"), "1–30 j": Decimal("1100.00"),
                     "31–60 j": 0, "61–90 j": 0, "> 90 j": Decimal("500.00")}
    weeks = page.charts["forecast"]
    assert len(weeks) == 13
    assert all(Decimal(w["data-low"]) <= Decimal(w["data-value"]) <= Decimal(w["data-high"])
               for w in weeks)
    ratio = [m for m in page.charts["dso_trend"] if m["data-series"] == "DSO ratio"]
    assert ratio[-1]["data-value"] == "64.3"
    late = [(m["data-label"], m["data-value"]) for m in page.charts["top_late"]]
    assert late == [("Bravo", "1200.00"), ("Alpha", "400.00")]
    assert set(page.tables) == {"summary", "aging", "reminders", "payers", "forecast",
                                "dso_trend"}
    aging_rows = page.tables["aging"]
    assert aging_rows[0][:3] == ["Code client", "Client", "Non échu"]
    assert aging_rows[-1][1] == "Total" and aging_rows[-1][-2] == "2\u202f000,00\xa0€"
    summary = {row[0]: row[1] for row in page.tables["summary"][1:]}
    assert summary["DSO, méthode de l'épuisement"] == "61,0 j"


def test_html_is_self_contained(golden_report: Report) -> None:
    text = render(golden_report, "fr")
    page = parse(text)
    assert page.urls == []  # no link, image, script or stylesheet to fetch
    assert not {"script", "link", "img", "iframe"} & page.tags
    assert not re.search(r"https?://|//cdn|url\(", text)
    assert "<style>" in text


def test_html_in_english(golden_report: Report) -> None:
    page = parse(render(golden_report, "en"))
    summary = {row[0]: row[1] for row in page.tables["summary"][1:]}
    assert summary["DSO, count-back method"] == "61.0 d"
    assert summary["Receivables net of credit notes"] == "€2,000.00"
    assert 'lang="en"' in render(golden_report, "en")


def test_csv_round_trip(golden_report: Report, tmp_path: Path) -> None:
    paths = write_csv(golden_report, tmp_path / "csv", "plain")
    assert sorted(p.name for p in paths) == ["aging.csv", "dso_trend.csv", "forecast.csv",
                                             "payers.csv", "reminders.csv", "summary.csv"]
    for table in report_tables(golden_report):
        with (tmp_path / "csv" / f"{table.name}.csv").open(encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        assert rows[0] == table.keys
        expected = [["" if v is None else (v.isoformat() if isinstance(v, dt.date) else str(v))
                     for v in row] for row in table.rows]
        assert rows[1:] == expected
    with (tmp_path / "csv" / "summary.csv").open(encoding="utf-8") as f:
        summary = {r["key"]: r["value"] for r in csv.DictReader(f)}
    assert summary["receivables_net"] == "2000.00" and summary["cei"] == "59.0"


def test_xlsx_round_trip(golden_report: Report, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = write_xlsx(golden_report, tmp_path / "report.xlsx", "fr")
    book = load_workbook(path)
    tables = report_tables(golden_report)
    assert book.sheetnames == [sheet_title(t, "fr") for t in tables]
    assert book.sheetnames[:2] == ["Indicateurs", "Balance âgée par client"]
    for table in tables:
        sheet = list(book[sheet_title(table, "fr")].iter_rows(values_only=True))
        assert len(sheet) == len(table.rows) + 1
        if table.name == "summary":  # the sheet names each indicator in the report's language
            assert sheet[1][0] == "Encours clients (factures)"
            sheet = [sheet[0]] + [(want[0], got[1], want[2]) for got, want in
                                  zip(sheet[1:], table.rows, strict=True)]
        for got, want in zip(sheet[1:], table.rows, strict=True):
            for g, w in zip(got, want, strict=True):
                if isinstance(w, Decimal):
                    assert Decimal(str(g)).quantize(w) == w
                elif isinstance(w, dt.date):
                    assert g.date() == w
                else:
                    assert g == (None if w == "" else w)
    aging = book["Balance âgée par client"]
    assert aging["A1"].value == "Code client" and aging["C2"].number_format == '#,##0.00 "€"'
    assert aging.cell(row=len(tables[1].rows) + 1, column=2).value == "Total"
    assert aging.freeze_panes == "A2"  # the header stays in view
    assert aging.auto_filter.ref == aging.dimensions  # every column filterable
    longest = max(len(str(r[1])) for r in tables[1].rows)  # customer names are not cut off
    assert aging.column_dimensions["B"].width >= longest
    assert book["Indicateurs"]["B2"].number_format == '#,##0.00 "€"'


def test_csv_opens_as_columns_in_french_excel(golden_report: Report, tmp_path: Path) -> None:
    write_csv(golden_report, tmp_path / "csv")  # the default dialect
    raw = (tmp_path / "csv" / "aging.csv").read_bytes()
    assert raw.startswith(codecs.BOM_UTF8)  # else Excel reads UTF-8 as ANSI: "BÃ¢timent"
    with (tmp_path / "csv" / "aging.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f, delimiter=";"))
    table = report_tables(golden_report)[1]
    assert rows[0] == [header(c, "fr") for c in table.columns]
    assert rows[0][:2] == ["Code client", "Client"]
    assert all(len(row) == len(table.columns) for row in rows)  # columns, not one cell
    total = rows[-1][table.keys.index("net")]
    assert "," in total and "." not in total
    assert Decimal(total.replace(",", ".")) == table.rows[-1][table.keys.index("net")]
    with (tmp_path / "csv" / "summary.csv").open(encoding="utf-8-sig", newline="") as f:
        summary = {r[0]: r[1] for r in csv.reader(f, delimiter=";")}
    assert summary["Encours net des avoirs"] == "2000,00" and summary["Efficacité du "
                                                                       "recouvrement (CEI)"] == "59,0"
    with (tmp_path / "csv" / "forecast.csv").open(encoding="utf-8-sig", newline="") as f:
        week = list(csv.reader(f, delimiter=";"))[1][0]
    assert re.fullmatch(r"\d\d/\d\d/\d{4}", week)


def test_csv_for_english_excel(golden_report: Report, tmp_path: Path) -> None:
    write_csv(golden_report, tmp_path / "csv", "excel-en")
    with (tmp_path / "csv" / "summary.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["Indicator", "Value", "Unit"]
    assert {r[0]: r[1] for r in rows[1:]}["Receivables net of credit notes"] == "2000.00"


def test_json_has_every_table(golden_report: Report, tmp_path: Path) -> None:
    data = json.loads(write_json(golden_report, tmp_path / "r.json"))
    assert data == json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert data["summary"]["dso"] == "64.3" and data["summary"]["open_invoices"] == 5
    assert data["reminders"][0] == {"level": "first", "reminded": 3, "paid": 1, "unpaid": 1,
                                    "pending": 1, "credited": 0, "judged": 2, "rate": "50.0"}
    assert report_dict(golden_report)["aging"][-1]["net"] == "2000.00"


@pytest.mark.parametrize("name", ["Bâtiment « Sud » \u2028 \x1f\t\"q\" \\ 😀", "lone \udc80"])
def test_json_is_the_standard_librarys_indented_text(golden_report: Report, name: str) -> None:
    """`write_json` indents with orjson (fast) but must print the text `json.dumps` prints,
    whatever a customer is called (orjson refuses a lone surrogate: the standard library's)."""
    lines = [replace(line, name=name) for line in golden_report.customers]
    report = replace(golden_report, customers=lines)
    assert write_json(report) == json.dumps(report_dict(report), indent=2, ensure_ascii=False)
    assert name in json.loads(write_json(report))["aging"][0]["customer"]


def test_customers_without_a_balance_are_left_out_of_the_aged_balance(golden_store) -> None:  # type: ignore[no-untyped-def]
    from connector.reports import build_report
    from tests.helpers import customer, invoice
    from tests.reports import golden

    golden_store.save_page(golden.TENANT, golden.SOURCE, "customers", [customer("E")], [], None, now=NOW)
    golden_store.save_page(golden.TENANT, golden.SOURCE, "invoices", [invoice(
        "E1", dt.date(2026, 6, 1), "50.00", customer_id="E", residual="0", status="paid",
        paid_date=dt.date(2026, 6, 3))], [], None, now=NOW)
    tables = {t.name: t for t in report_tables(
        build_report(golden_store, [(golden.TENANT, golden.SOURCE)], golden.TODAY))}
    assert [r["customer_id"] for r in tables["aging"].records()] == ["B", "A", "C", ""]
    payer = next(r for r in tables["payers"].records() if r["customer_id"] == "E")
    assert (payer["paid_items"], payer["avg_days_late"], payer["score"]) == (1, Decimal("2.0"), 58)
