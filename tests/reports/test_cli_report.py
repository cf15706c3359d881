"""`relance report` as a user runs it, on the demo ledger after the demo has run."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from connector.cli import main
from tests.reports.test_outputs import parse

TODAY = "2026-11-27"


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_report_on_the_demo_writes_every_output(tmp_path: Path) -> None:
    workdir = tmp_path / "demo"
    assert invoke("--today", TODAY, "demo", "--dir", str(workdir)).exit_code == 0
    config = str(workdir / "relance.toml")
    # Two weeks later, with that day's reminders sent too: the first ones can now be judged.
    assert invoke("--config", config, "--today", "2026-12-14", "run").exit_code == 0
    html = tmp_path / "report.html"
    result = invoke("--config", config, "--today", "2026-12-14", "report", "--html", str(html),
                    "--csv", str(tmp_path / "csv"), "--xlsx", str(tmp_path / "r.xlsx"))
    assert result.exit_code == 0, result.output
    assert "Balance âgée par client" in result.output and "DSO, méthode du ratio" in result.output
    assert f"{html} écrit" in result.output
    page = parse(html.read_text(encoding="utf-8"))
    assert set(page.charts) == {"aging", "forecast", "dso_trend", "top_late"}
    assert all(page.charts[name] for name in page.charts)  # every chart has data marks
    assert len(page.tables["aging"]) > 10 and page.urls == []
    assert min(p.name for p in (tmp_path / "csv").iterdir()) == "aging.csv"
    assert (tmp_path / "r.xlsx").stat().st_size > 0

    data = json.loads(invoke("--config", config, "--today", "2026-12-14", "report", "--json",
                             "--period", "60", "--weeks", "8").output)
    assert data["period_days"] == 60 and len(data["forecast"]) == 8
    levels = {row["level"]: row for row in data["reminders"]}
    # a first run starts gently: the first day's reminders are all first-level ones
    assert levels["first"]["reminded"] > 0
    assert levels["first"]["paid"] + levels["first"]["unpaid"] > 0  # judged after 14 days
    net = sum(float(r["net"]) for r in data["aging"][:-1])
    assert abs(net - float(data["summary"]["receivables_net"])) < 0.01

    english = invoke("--config", config, "--today", "2026-12-14", "report", "--lang", "en")
    assert "Aged balance by customer" in english.output


def test_report_on_an_empty_store_and_an_unwritable_path(tmp_path: Path) -> None:
    from tests.helpers import write_config
    config = str(write_config(tmp_path))
    empty = invoke("--config", config, "--today", TODAY, "report", "--html",
                   str(tmp_path / "empty.html"))
    assert empty.exit_code == 0, empty.output
    page = parse((tmp_path / "empty.html").read_text(encoding="utf-8"))
    assert set(page.charts) == {"aging", "forecast", "dso_trend", "top_late"}
    (tmp_path / "blocker").write_text("a file, not a directory")
    bad = invoke("--config", config, "--today", TODAY, "report", "--csv",
                 str(tmp_path / "blocker" / "csv"))
    assert bad.exit_code == 2 and "impossible d'écrire" in bad.output and "Traceback" not in bad.output
