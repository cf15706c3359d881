"""Templates outside the package: `templates_dir` overrides any template by name, `templates copy`
writes the defaults there, `templates preview --customer` renders with a real customer."""

from __future__ import annotations

import email
import email.policy
import json
from pathlib import Path

from click.testing import CliRunner

from connector.cli import main
from connector.delivery.render import TEMPLATES
from tests.helpers import write_config

TODAY = "2026-11-27"


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _config(tmp_path: Path) -> str:
    path = write_config(tmp_path)
    path.write_text('templates_dir = "mes-modeles"\n' + path.read_text(), encoding="utf-8")
    return str(path)


def test_copy_writes_every_default_and_keeps_edited_files(tmp_path: Path) -> None:
    config = _config(tmp_path)
    first = invoke("--config", config, "templates", "copy")
    assert first.exit_code == 0, first.output
    target = tmp_path / "mes-modeles"
    packaged = sorted(p.relative_to(TEMPLATES) for p in TEMPLATES.rglob("*.j2"))
    assert sorted(p.relative_to(target) for p in target.rglob("*.j2")) == packaged
    (target / "fr" / "first.j2").write_text("edited", encoding="utf-8")
    again = invoke("--config", config, "templates", "copy")
    assert "déjà présent(s) gardé(s)" in again.output
    assert (target / "fr" / "first.j2").read_text(encoding="utf-8") == "edited"


def test_copy_without_templates_dir_says_what_to_add(tmp_path: Path) -> None:
    result = invoke("--config", str(write_config(tmp_path)), "templates", "copy")
    assert result.exit_code == 2 and "templates_dir" in result.output


def test_an_edited_template_is_what_customers_receive(tmp_path: Path) -> None:
    config = _config(tmp_path)
    assert invoke("--config", config, "templates", "copy").exit_code == 0
    first = tmp_path / "mes-modeles" / "fr" / "first.j2"
    first.write_text(first.read_text(encoding="utf-8").replace(
        "en attente de règlement", "à régler, merci"), encoding="utf-8")
    preview = invoke("--config", config, "--today", TODAY, "templates", "preview", "first")
    assert "à régler, merci" in preview.output.splitlines()[0]
    assert invoke("--config", config, "--today", TODAY, "rules", "check").exit_code == 0
    assert invoke("--config", config, "--today", TODAY, "run").exit_code == 0
    subjects = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)["Subject"]
                for p in (tmp_path / "outbox").glob("*.eml")]
    firsts = [s for s in subjects if "à régler, merci" in s]
    assert firsts and not any("en attente de règlement" in s for s in subjects)


def test_rules_check_fails_when_templates_dir_is_missing(tmp_path: Path) -> None:
    result = invoke("--config", _config(tmp_path), "--today", TODAY, "rules", "check")
    assert result.exit_code == 2 and "templates_dir" in result.output


def test_preview_with_a_real_customer(tmp_path: Path) -> None:
    config = str(write_config(tmp_path))
    assert invoke("--config", config, "--today", TODAY, "sync").exit_code == 0
    rows = json.loads(invoke("--config", config, "--today", TODAY, "plan", "--json").output)
    row = next(r for r in rows if r["channel"] == "email")
    shown = invoke("--config", config, "--today", TODAY, "templates", "preview", "second",
                   "--customer", row["customer_id"])
    assert shown.exit_code == 0, shown.output
    assert all(i["number"] in shown.output for i in row["invoices"])
    assert "Boulangerie Lefèvre" not in shown.output  # not the sample
    by_name = invoke("--config", config, "--today", TODAY, "templates", "preview", "_letter",
                     "--customer", row["customer"])
    assert by_name.exit_code == 0 and row["customer"] in by_name.output
    unknown = invoke("--config", config, "--today", TODAY, "templates", "preview", "first",
                     "--customer", "nobody")
    assert unknown.exit_code == 2 and "aucun client 'nobody'" in unknown.output
