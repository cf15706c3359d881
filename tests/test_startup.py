"""`relance --help` and `--version` start without the heavy libraries; the command table is true.

A `sys.modules` check, not a timing: a person typing `relance` should not wait for SQLAlchemy,
Alembic, pydantic or every country's holidays to load."""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest

from connector.commands import COMMANDS, load_area

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
