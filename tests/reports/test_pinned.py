"""The report prints exactly what it printed before it was made faster (issue 18): every output
of a fixed, varied ledger (tests/reports/pinned.py) against the files written before the change."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reports import pinned


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    store = pinned.filled(tmp_path_factory.mktemp("pinned") / "state.db")
    yield pinned.outputs(store)
    store.close()


@pytest.mark.parametrize("name", ["report.json", "firm.json", "report-fr.txt", "report-en.txt",
                                  "firm-fr.txt", "scores.json"])
def test_the_report_prints_what_it_printed_before(outputs: dict[str, str], name: str) -> None:
    expected = (pinned.EXPECTED / name).read_text(encoding="utf-8")
    assert outputs[name] + "\n" == expected


def test_the_pinned_ledger_reaches_every_kind_of_figure(outputs: dict[str, str]) -> None:
    """A pin on a ledger that leaves figures empty would not pin them."""
    import json

    report = json.loads(outputs["report.json"])
    assert report["skipped_currencies"] and report["prescription"]
    assert all(v not in (None, "0", "0.00") for v in report["summary"].values())
    assert {lv["level"] for lv in report["reminders"]} == {"first", "second", "final"}
    assert all(sum(lv[k] for lv in report["reminders"])
               for k in ("paid", "unpaid", "pending", "credited"))
    assert {p["paid_items"] for p in report["payers"]} >= {0, 1, 2, 3}
    assert json.loads(outputs["firm.json"])["tenants"] == [
        {"tenant": tenant, "source": pinned.SOURCE} for tenant in pinned.TENANTS]


def test_the_expected_files_are_there() -> None:
    assert sorted(p.name for p in Path(pinned.EXPECTED).iterdir()) == sorted(
        ["report.json", "firm.json", "report-fr.txt", "report-en.txt", "firm-fr.txt",
         "scores.json"])
