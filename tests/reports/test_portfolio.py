"""`relance --firm DIR report`: the firm's portfolio, each client's line agreeing with its own
report (issue 20.6)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from tests.helpers import write_firm
from tests.test_cli import TODAY, invoke


def test_firm_report_lists_every_client_with_its_own_figures(tmp_path: Path) -> None:
    firm = str(write_firm(tmp_path / "firm"))
    assert invoke("--firm", firm, "--today", TODAY, "sync").exit_code == 0
    shown = invoke("--firm", firm, "--today", TODAY, "report")
    assert shown.exit_code == 0, shown.output
    assert "encours" in shown.output and "DSO" in shown.output
    lines = json.loads(invoke("--firm", firm, "--today", TODAY, "report", "--json").output)
    assert [x["client"] for x in lines] == ["boulangerie-martin", "garage-durand",
                                            "imprimerie-roux"]
    for line in lines:
        own = json.loads(invoke("--firm", firm, "--client", line["client"], "--today", TODAY,
                                "report", "--json").output)["summary"]
        assert Decimal(line["outstanding"]) == Decimal(own["receivables_net"]) > 0
        assert Decimal(line["overdue"]) == Decimal(own["overdue"])
        assert Decimal(line["dso"]) == Decimal(own["dso"])
        assert line["client"] in shown.output
    assert len({x["outstanding"] for x in lines}) == 3  # three different ledgers


def test_a_broken_client_file_is_shown_not_hidden(tmp_path: Path) -> None:
    firm = write_firm(tmp_path / "firm")
    (firm / "clients" / "casse.toml").write_text("[source]\nkind = 'nope'\n", encoding="utf-8")
    result = invoke("--firm", str(firm), "--today", TODAY, "report")
    assert result.exit_code == 1 and "casse" in result.output
