"""The terminal at 80 columns: names give way, amounts never; times in the tenant's zone; cursors
summarized; `plan` before any sync says what to do."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from connector.cli import main
from connector.formatting import money
from tests.helpers import write_config

TODAY = "2026-11-27"
NARROW = {"COLUMNS": "80"}


def invoke(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def _demo(tmp_path: Path) -> str:
    workdir = tmp_path / "demo"
    assert invoke("--today", TODAY, "demo", "--dir", str(workdir), env=NARROW).exit_code == 0
    return str(workdir / "relance.toml")


def test_the_report_fits_80_columns_and_never_cuts_an_amount(tmp_path: Path) -> None:
    config = _demo(tmp_path)
    shown = invoke("--config", config, "--today", TODAY, "report", env=NARROW)
    assert shown.exit_code == 0
    lines = shown.output.splitlines()
    assert max(len(line) for line in lines) <= 80
    data = json.loads(invoke("--config", config, "--today", TODAY, "report", "--json").output)
    total = data["aging"][-1]
    for key in ("d91_plus", "net"):  # the Total row's amounts, whole
        assert money(total[key]) in shown.output
    # every table closes its right border: nothing was cropped
    assert all(line.endswith(("┓", "┃", "┩", "│", "┘")) for line in lines
               if line.startswith(("┏", "┃", "┡", "│", "└")))
    assert "Colonnes masquées à cette largeur" in shown.output  # and it says what it left out


def test_plan_lines_fit_80_columns_with_whole_amounts(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    assert invoke("--config", str(config), "--today", TODAY, "sync").exit_code == 0
    plan = invoke("--config", str(config), "--today", TODAY, "plan", env=NARROW)
    rows = json.loads(invoke("--config", str(config), "--today", TODAY, "plan", "--json").output)
    assert rows and max(len(line) for line in plan.output.splitlines()) < 80
    for row in rows:
        assert money(row["amount_to_pay"], row["currency"]) in plan.output
        for invoice in row["invoices"]:
            assert invoice["number"] in plan.output


def test_plan_before_any_sync_says_to_sync_first(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    result = invoke("--config", str(config), "--today", TODAY, "plan")
    assert result.exit_code == 0 and "lancez `relance sync` d'abord" in result.output
    assert "Rien à envoyer aujourd'hui" not in result.output


def test_status_shows_times_in_the_tenants_zone_and_readable_cursors(tmp_path: Path) -> None:
    config = write_config(tmp_path, extra="")
    text = config.read_text().replace('tenant = "acme"', 'tenant = "acme"\ntimezone = '
                                      '"America/New_York"')
    config.write_text(text)
    assert invoke("--config", str(config), "--today", TODAY, "sync").exit_code == 0
    status = invoke("--config", str(config), "--today", TODAY, "status", env=NARROW).output
    raw = json.loads(invoke("--config", str(config), "--today", TODAY, "status", "--json").output)
    assert raw["cursors"] and "{" in raw["cursors"][0]["value"]  # JSON in the store...
    assert "{" not in status  # ...summarized on screen
    sync_line = next(line for line in status.splitlines() if line.startswith("dernière synchro :"))
    assert sync_line.split(" (")[0].endswith(("EST", "EDT"))
    assert max(len(line) for line in status.splitlines()) <= 80
