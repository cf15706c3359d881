"""The dashboard: ONE self-contained HTML file (inline CSS, inline SVG, no script, no network).

It can be mailed to a client or opened offline years later: nothing is fetched. The charts are
drawn by `svg.py`; under them are the full tables the charts summarise.
"""

from __future__ import annotations

from decimal import Decimal
from html import escape
from pathlib import Path

from connector.reports.build import Report
from connector.reports.kpis import BUCKETS
from connector.reports.labels import labels
from connector.reports.svg import Mark, band, bars, hbars, lines
from connector.reports.tables import (
    SUMMARY_UNITS,
    Table,
    cell,
    display,
    header,
    report_tables,
    summary_values,
)

TOP_LATE = 10
CARDS = ("receivables_net", "overdue", "dso", "dso_countback", "add", "cei",
         "overdue_rate_amount", "overdue_rate_count")
CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2430;
background:#f5f6f8;line-height:1.4}
header{background:#1f3b57;color:#fff;padding:18px 28px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;opacity:.85}main{padding:20px 28px;max-width:1280px;margin:auto}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,160px),1fr));gap:12px}
.card{background:#fff;border-radius:8px;padding:12px 14px;box-shadow:0 1px 2px #0002}
.card .k{font-size:12px;color:#5a6472}.card .v{font-size:22px;font-weight:600;margin-top:4px}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,520px),1fr));gap:16px;
margin:18px 0}
figure{background:#fff;border-radius:8px;margin:0;padding:12px;box-shadow:0 1px 2px #0002}
figcaption{font-weight:600;margin-bottom:6px}figure p{margin:6px 0 0;font-size:12px;color:#5a6472}
svg{width:100%;height:auto;font-size:11px}svg .axis{stroke:#9aa3ad}svg .label{fill:#3b4450}
svg .value{fill:#1d2430;font-weight:600}svg .muted{fill:#7a838e}svg .legend{font-weight:600}
svg .band{fill:#1f5f9933}svg .bar{fill:#1f5f99}svg .whisker{stroke:#0b2f52;stroke-width:1.5}
section{background:#fff;border-radius:8px;padding:12px 14px;margin:16px 0;
box-shadow:0 1px 2px #0002;
overflow-x:auto}h2{font-size:17px;margin:4px 0 10px}
table{border-collapse:collapse;width:100%;font-size:12px}
th,td{padding:4px 6px;border-bottom:1px solid #e4e7eb;white-space:nowrap}
th{background:#eef1f4;text-align:left;position:sticky;top:0}td.n,th.n{text-align:right}
tr.total td{font-weight:700;border-top:2px solid #1d2430}footer{font-size:12px;color:#5a6472;
padding:0 28px 24px;max-width:1280px;margin:auto}
@media print{body{background:#fff}.card,figure,section{box-shadow:none;border:1px solid #ddd}}
"""


def render(report: Report, language: str = "fr") -> str:
    words = labels(language)
    tables = report_tables(report)
    tenants = ", ".join(t for t, _ in report.tenants)
    title = f"{words['title']} — {tenants}"
    return "".join([
        f'<!DOCTYPE html>\n<html lang="{escape(language)}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>",
        (f"<header><h1>{escape(title)}</h1><p>{escape(words['as_of'])} "
         f"{escape(display('date', report.today, report.currency, language))} · "
         f"{escape(words['period'])} {report.period_days} {escape(words['days'])} · "
         f"{escape(words['window'])} {report.window_days} {escape(words['days'])} · "
         f"{escape(report.currency)}</p></header><main>"),
        _cards(report, language), '<div class="charts">', *_charts(report, language), "</div>",
        *(_table(t, report, language) for t in tables), "</main>",
        f"<footer>{_skipped(report, language)}{escape(words['formulas'])}</footer>",
        "</body></html>\n"])


def write_html(report: Report, path: Path, language: str = "fr") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(report, language), encoding="utf-8")
    return path


def _cards(report: Report, language: str) -> str:
    words = labels(language)
    values = summary_values(report)
    return '<div class="cards">' + "".join(
        f'<div class="card" data-kpi="{key}"><div class="k">{escape(words[key])}</div>'
        f'<div class="v">'
        f"{escape(display(SUMMARY_UNITS[key], values[key], report.currency, language))}"
        f"</div></div>" for key in CARDS) + "</div>"


def _figure(svg: str, caption: str, note: str = "") -> str:
    return (f"<figure><figcaption>{escape(caption)}</figcaption>{svg}"
            f"{f'<p>{escape(note)}</p>' if note else ''}</figure>")


def thousands(value: Decimal) -> str:
    """An axis tick in thousands ("12 345" for 12 345 000), grouped with a narrow space."""
    return f"{value / 1000:,.0f}".replace(",", "\u202f")


def charts(report: Report, language: str, aging_links: list[str] | None = None) -> list[str]:
    """The four charts as figures; `aging_links`: where each aging bar leads (the web cockpit's
    drill-down to the invoices behind it)."""
    return _charts(report, language, aging_links)


def cards(report: Report, language: str) -> str:
    return _cards(report, language)


def _charts(report: Report, language: str, aging_links: list[str] | None = None) -> list[str]:
    words = labels(language)
    cur = report.currency

    def money(value: Decimal) -> str:
        return display("money", value, cur, language)

    totals = report.aging_total
    aging = [Mark(words[b], totals[b], money(totals[b])) for b in BUCKETS]
    credits = Decimal(report.summary["open_credit_notes"] or 0)
    colon = " : " if language == "fr" else ": "
    aging_note = f"{words['credit_note_line']}{colon}−{money(credits)}" if credits else ""
    weeks = [Mark(display("date", w.start, cur, language), w.expected, money(w.expected),
                  w.low, w.high) for w in report.forecast.weeks]
    forecast_note = (f"{words['forecast_later']}{colon}{money(report.forecast.later)} · "
                     f"{words['forecast_doubtful']}{colon}{money(report.forecast.doubtful)}")
    trend_labels = [p.day.strftime("%m/%Y") if p.day != report.today
                    else display("date", p.day, cur, language) for p in report.trend]
    dso = [Mark(lbl, p.dso, display("days", p.dso, cur, language))
           for lbl, p in zip(trend_labels, report.trend, strict=True)]
    countback = [Mark(lbl, p.dso_countback, display("days", p.dso_countback, cur, language))
                 for lbl, p in zip(trend_labels, report.trend, strict=True)]
    late = sorted((c for c in report.customers if c.overdue > 0),
                  key=lambda c: (-c.overdue, c.name))[:TOP_LATE]
    late_marks = [Mark(c.name, c.overdue, money(c.overdue)) for c in late]
    return [
        _figure(bars("aging", words["c_aging"], aging, words["no_data"], axis=thousands, links=aging_links,
                     unit=f"k{cur}" if cur != "EUR" else "k€"),
                words["c_aging"],
                aging_note),
        _figure(band("forecast", words["c_forecast"], weeks, words["no_data"], words["band"],
                     money),
                words["c_forecast"], forecast_note),
        _figure(lines("dso_trend", words["c_dso"], [(words["col_dso"], dso),
                                                    (words["col_dso_countback"], countback)],
                      words["no_data"], unit=words["days"]), words["c_dso"]),
        _figure(hbars("top_late", words["c_late"], late_marks, words["no_data"]),
                words["c_late"]),
    ]


def _table(table: Table, report: Report, language: str) -> str:
    words = labels(language)
    numeric = [c.kind not in ("text", "date") for c in table.columns]
    if table.name == "summary":
        head = (f"<tr><th>{escape(words['indicator'])}</th>"
                f"<th class=n>{escape(words['value'])}</th></tr>")
        body = "".join(f'<tr data-key="{row[0]}"><td>{escape(words[row[0]])}</td><td class=n>'
                       f"{escape(cell(table, row, 1, report.currency, language))}</td></tr>"
                       for row in table.rows)
    else:
        head = "<tr>" + "".join(f"<th{' class=n' if n else ''}>{escape(header(c, language))}</th>"
                                for c, n in zip(table.columns, numeric, strict=True)) + "</tr>"
        total_row = len(table.rows) - 1 if table.name == "aging" else -1
        body = "".join(
            f"<tr{' class=total' if r == total_row else ''}>" + "".join(
                f"<td{' class=n' if numeric[i] else ''}>"
                f"{escape(cell(table, row, i, report.currency, language))}</td>"
                for i in range(len(table.columns))) + "</tr>"
            for r, row in enumerate(table.rows))
    return (f'<section><h2>{escape(words["t_" + table.name])}</h2>'
            f'<table data-table="{table.name}"><thead>{head}</thead><tbody>{body}</tbody>'
            f"</table></section>")


def _skipped(report: Report, language: str) -> str:
    notes = "".join(f"prescription: {escape(line)}. " for line in report.prescription)
    if not report.skipped_currencies:
        return notes
    found = ", ".join(f"{c} {n}" for c, n in report.skipped_currencies.items())
    return f"{escape(labels(language)['skipped'])}: {escape(found)}. {notes}"
