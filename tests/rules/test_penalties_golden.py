"""docs/penalties.md's worked examples, reproduced by `relance penalties --json`.

Each example in the doc shows a command and a `Result:` line computed by hand; this test runs the
command and compares. Changing a figure means changing the doc and its arithmetic too.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from connector.cli import main

DOC = Path(__file__).resolve().parents[2] / "docs" / "penalties.md"
EXAMPLE = re.compile(r"```sh\n(relance penalties [^\n]+)\n```\nResult: ([^\n]+)")


def examples() -> list[tuple[str, dict[str, str]]]:
    found = [(command, dict(pair.split("=", 1) for pair in result.split()))
             for command, result in EXAMPLE.findall(DOC.read_text(encoding="utf-8"))]
    assert len(found) >= 10, "docs/penalties.md lost its worked examples"
    return found


@pytest.mark.parametrize(("command", "expected"), examples(), ids=lambda v: str(v)[:60])
def test_worked_example(command: str, expected: dict[str, str], tmp_path: Path,
                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no relance.toml here: the legal defaults
    result = CliRunner().invoke(main, shlex.split(command)[1:] + ["--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["interest"] == expected["interest"]
    assert figures["indemnity"] == expected["indemnity"]
    assert figures["indemnity_currency"] == "EUR"
    assert figures["total"] == expected["total"]
    assert figures["currency"] == expected["currency"]
    assert figures["provisional"] is (expected["provisional"] == "true")
    periods = figures["periods"]
    assert sum(p["days"] for p in periods) > 0
    assert set(periods[0]) >= {"start", "end", "days", "base", "rate", "interest"}


def test_text_output_is_french_and_states_the_forty_euros_apart(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    out = CliRunner().invoke(main, ["penalties", "--amount", "8000", "--due", "2026-02-28",
                                    "--currency", "CHF", "--until", "2026-03-31"]).output
    assert "Total des pénalités : 82,55\xa0CHF + 40,00\xa0€ d'indemnité forfaitaire" in out
    assert "122,55" not in out  # never 82.55 CHF + 40 € added up


def test_consumer_gets_no_forty_euros_and_no_interest_before_notice(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    out = CliRunner().invoke(main, ["penalties", "--amount", "1200", "--due", "2025-01-10",
                                    "--kind", "individual", "--until", "2025-04-30", "--json"])
    figures = json.loads(out.output)
    assert figures["interest"] == "0.00" and figures["indemnity"] == "0.00"


@pytest.mark.parametrize("bad", [["--paid", "2026-05-15"], ["--paid", "soon:100"],
                                 ["--amount", "-5"], ["--paid", "2026-05-15:20000"]])
def test_bad_input_is_refused_with_a_clear_message(bad: list[str], tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    args = ["penalties", "--amount", "10000", "--due", "2026-03-15", "--until", "2026-06-30"]
    if bad[0] == "--amount":
        args[2] = bad[1]
    else:
        args += bad
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and "Traceback" not in result.output
