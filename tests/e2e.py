"""The loop a user runs against a source: check, sync, plan, run, run again (CliRunner)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from connector.cli import main

SENDER = """
[sender]
name = "Boulangerie Durand"
email = "compta@boulangerie-durand.fr"

[email]
transport = "file"
directory = "outbox"
"""


def write_user_config(directory: Path, source_toml: str, tenant: str = "boulangerie") -> Path:
    path = directory / "relance.toml"
    path.write_text(f'tenant = "{tenant}"\nstate = "sqlite:///state.db"\n\n{source_toml}\n{SENDER}',
                    encoding="utf-8")
    return path


def relance(config: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--config", str(config), *args], env=env,
                                catch_exceptions=False)
    return result.exit_code, result.output


@dataclass
class Loop:
    planned: list[dict[str, Any]]
    first_run: str
    second_run: str
    emails_written: int

    @property
    def emails(self) -> list[dict[str, Any]]:
        return [p for p in self.planned if p["channel"] == "email"]

    @property
    def tasks(self) -> list[dict[str, Any]]:
        return [p for p in self.planned if p["channel"] == "task"]


def user_loop(config: Path, env: dict[str, str] | None = None) -> Loop:
    """check, sync, plan --json, run, run: each must succeed; the second run sends nothing."""
    outputs = []
    for args in (("check",), ("sync",), ("plan", "--json"), ("run",)):
        code, out = relance(config, *args, env=env)
        assert code == 0, f"relance {' '.join(args)} failed ({code}):\n{out}"
        outputs.append(out)
    written = len(list((config.parent / "outbox").glob("*.eml")))
    code, second = relance(config, "run", env=env)
    assert code == 0 and "Rien à envoyer aujourd'hui." in second, second
    assert len(list((config.parent / "outbox").glob("*.eml"))) == written
    return Loop(json.loads(outputs[2]), outputs[3], second, written)
