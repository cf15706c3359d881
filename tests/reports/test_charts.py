"""The report's charts read on their own (issue 20.6): axes with ticks and units, a legend naming
each series, the success rate shown with how many items it judges and how many still wait."""

from __future__ import annotations

import re

from connector.reports import Report
from connector.reports.render_html import render


def _chart(html: str, name: str) -> str:
    found = re.search(rf'<svg data-chart="{name}".*?</svg>', html, re.S)
    assert found, name
    return found.group(0)


def test_dso_chart_has_a_y_axis_in_days_and_a_legend(golden_report: Report) -> None:
    svg = _chart(render(golden_report, "fr"), "dso_trend")
    assert svg.count('data-axis="y"') == 1
    ticks = [float(t) for t in re.findall(r'data-tick="([\d.]+)"', svg)]
    assert ticks[0] == 0 and ticks[-1] > 0 and ticks == sorted(ticks)
    values = [float(v) for v in re.findall(r'<circle[^>]*data-value="([\d.]+)"', svg)]
    assert values and max(values) <= ticks[-1]  # every point is on the scale drawn
    assert re.search(r'data-unit="y">jours<', svg)
    assert re.findall(r'data-legend="([^"]+)"', svg) == ["DSO ratio", "DSO épuisement"]


def test_aging_chart_has_a_y_axis_in_thousands(golden_report: Report) -> None:
    svg = _chart(render(golden_report, "en"), "aging")
    assert 'data-axis="y"' in svg and 'data-unit="y">k€<' in svg


def test_success_rate_is_shown_with_the_items_judged_and_pending(golden_report: Report) -> None:
    html = render(golden_report, "fr")
    table = re.search(r'<table data-table="reminders">.*?</table>', html, re.S)
    assert table
    assert "Délai en cours" in table.group(0) and "Jugées (payées + non payées)" in table.group(0)
    first = next(lv for lv in golden_report.levels if lv.level == "first")
    assert (first.paid, first.unpaid, first.pending) == (1, 1, 1)
    row = re.search(r"<tr><td>first</td>(.*?)</tr>", table.group(0))
    assert row
    cells = re.findall(r"<td class=n>([^<]*)</td>", row.group(1))
    assert cells == ["3", "1", "1", "1", "0", "2", "50,0 %"]
