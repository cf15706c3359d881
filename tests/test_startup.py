"""`relance --help` and `--version` start without the heavy libraries, `status` and `plan` without
what they do not use; the command table is true.

A `sys.modules` check, not a timing: a person typing `relance` should not wait for SQLAlchemy,
Alembic, pydantic or every country's holidays to load."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from connector.cli import main as cli_main
from connector.commands import COMMANDS, load_area
from tests.helpers import write_config

HEAVY = ("sqlalchemy", "alembic", "pydantic", "holidays", "jinja2", "babel", "keyring",
         "requests", "fpdf", "openpyxl", "rich")
PROBE = """
import json, sys
from connector.cli import main
try:
    main({args!r})
except SystemExit:
    pass
print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})), file=sys.stderr)
"""


@pytest.mark.parametrize("args", [["--help"], ["--version"], []], ids=["help", "version", "bare"])
def test_the_first_screen_imports_nothing_heavy(args: list[str]) -> None:
    done = subprocess.run([sys.executable, "-c", PROBE.format(args=args)], capture_output=True,
                          text=True, timeout=60)
    loaded = set(json.loads(done.stderr.strip().splitlines()[-1]))
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))
    if args == ["--help"]:
        assert "Commands:" in done.stdout and "demo" in done.stdout


@pytest.mark.parametrize("area", sorted({area for area, _ in COMMANDS.values()}))
def test_the_command_table_says_what_each_area_registers(area: str) -> None:
    registered = load_area(area)
    listed = {name for name, (where, _) in COMMANDS.items() if where == area}
    assert set(registered) == listed, "update connector.commands.COMMANDS"
    for name, command in registered.items():
        assert isinstance(command, click.Command)
        assert command.get_short_help_str(limit=300) == COMMANDS[name][1], name


# What the daily read-only commands must not load on a store that is already current: the
# schema check compares revisions without Alembic, the source is not opened (no HTTP stack, no
# keyring), nothing is delivered (no Jinja, MIME, PDF), nothing is synced, and the public holidays
# are computed from their rules (no `holidays` package).
DAILY_NEVER = ("alembic", "mako", "jinja2", "requests", "urllib3", "tenacity", "keyring", "fpdf",
               "openpyxl", "sqlalchemy.dialects.postgresql", "connector.delivery",
               "connector.sync", "connector.http", "holidays")
STATUS_NEVER = (*DAILY_NEVER, "email_validator")
MODULES_PROBE = """
import gc, json, sys
from connector.cli import main
try:
    main({args!r})
except SystemExit as exc:
    code = exc.code
print(json.dumps({{"code": code, "modules": sorted(sys.modules), "frozen": gc.get_freeze_count(),
                  "collecting": gc.isenabled()}}), file=sys.stderr)
"""


@pytest.mark.parametrize(("command", "never"), [(["status"], STATUS_NEVER),
                                                (["plan"], DAILY_NEVER),
                                                (["plan", "--json"], DAILY_NEVER)],
                         ids=["status", "plan", "plan-json"])
def test_the_daily_commands_load_only_what_they_use(tmp_path: Path, command: list[str],
                                                    never: tuple[str, ...]) -> None:
    config = write_config(tmp_path, small=True)
    synced = CliRunner().invoke(cli_main, ["--config", str(config), "--today", "2026-11-27",
                                           "sync"])
    assert synced.exit_code == 0, synced.output
    args = ["--config", str(config), "--today", "2026-11-30", *command]
    done = subprocess.run([sys.executable, "-c", MODULES_PROBE.format(args=args)],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    probe = json.loads(done.stderr.strip().splitlines()[-1])
    assert probe["code"] in (0, None), done.stdout + done.stderr
    assert done.stdout.strip(), "the command printed nothing: it measured nothing"
    loaded = [m for m in probe["modules"] if any(m == n or m.startswith(n + ".") for n in never)]
    assert not loaded, loaded
    # what the imports built was frozen (no collection walks it again) and collecting is back on
    assert probe["frozen"] > 10_000 and probe["collecting"], probe["frozen"]
