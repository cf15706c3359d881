"""The relance command as a user types it (click's CliRunner)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from connector.cli import main
from tests.helpers import write_config

TODAY = "2026-11-27"


def invoke(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_demo_writes_emails_then_nothing_the_second_time(tmp_path: Path) -> None:
    workdir = tmp_path / "demo"
    first = invoke("--today", TODAY, "demo", "--dir", str(workdir))
    assert first.exit_code == 0, first.output
    written = sorted((workdir / "outbox").glob("*.eml"))
    assert written and "relance(s) pour" in first.output
    second = invoke("--today", TODAY, "demo", "--dir", str(workdir))
    assert second.exit_code == 0
    assert "Rien à envoyer aujourd'hui." in second.output
    assert sorted((workdir / "outbox").glob("*.eml")) == written


def test_plan_json_sync_status(tmp_path: Path) -> None:
    config = str(write_config(tmp_path))
    assert invoke("--config", config, "--today", TODAY, "sync").exit_code == 0
    plan = invoke("--config", config, "--today", TODAY, "plan", "--json")
    assert plan.exit_code == 0
    rows = json.loads(plan.output)
    assert rows and {"key", "customer", "level", "channel", "amount_to_pay"} <= set(rows[0])
    assert not (tmp_path / "outbox").exists()  # plan sends nothing
    status = json.loads(invoke("--config", config, "--today", TODAY, "status", "--json").output)
    assert status["records"]["invoices"] > 500 and status["outbox"] == {}
    assert status["last_sync"]["status"] == "ok"


def test_run_dry_run_sends_nothing(tmp_path: Path) -> None:
    config = str(write_config(tmp_path))
    result = invoke("--config", config, "--today", TODAY, "run", "--dry-run")
    assert result.exit_code == 0 and "Essai à blanc : rien n'a été envoyé." in result.output
    assert not (tmp_path / "outbox").exists()


def test_run_then_status_shows_tasks(tmp_path: Path) -> None:
    config = str(write_config(tmp_path))
    assert invoke("--config", config, "--today", TODAY, "run").exit_code == 0
    status = invoke("--config", config, "--today", TODAY, "status")
    assert "tâches ouvertes (" in status.output and "envoyée " in status.output


def test_config_errors_exit_2_and_name_the_key(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    path.write_text(path.read_text().replace("seed = 42", "seeds = 42"))
    result = invoke("--config", str(path), "plan")
    assert result.exit_code == 2
    assert "source.seeds" in result.output and "relance.toml" in result.output
    assert "Traceback" not in result.output


def test_bad_type_exits_2(tmp_path: Path) -> None:
    path = write_config(tmp_path, extra='\n[policy]\nmin_gap_days = "a week"\n'
                                         '[[policy.levels]]\nname = "a"\ndays = 1\n'
                                         'template = "first"\n')
    result = invoke("--config", str(path), "plan")
    assert result.exit_code == 2 and "policy.min_gap_days" in result.output


def test_missing_secret_exits_2_and_names_it(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    path.write_text(path.read_text().replace(
        'transport = "file"\ndirectory = "outbox"',
        'transport = "smtp"\nhost = "127.0.0.1"\nport = 2525\nusername = "u"\n'
        'secret_env = "RELANCE_TEST_MISSING"'))
    result = invoke("--config", str(path), "--today", TODAY, "run", env={"RELANCE_TEST_MISSING": ""})
    assert result.exit_code == 2
    assert "RELANCE_TEST_MISSING" in result.output and "smtp" in result.output


def test_missing_config_file_exits_2(tmp_path: Path) -> None:
    result = invoke("--config", str(tmp_path / "nope.toml"), "status")
    assert result.exit_code == 2 and "relance init" in result.output


def test_init_writes_a_valid_config(tmp_path: Path) -> None:
    path = tmp_path / "relance.toml"
    assert invoke("--config", str(path), "--today", TODAY, "init").exit_code == 0
    assert invoke("--config", str(path), "init").exit_code == 2  # no silent overwrite
    assert invoke("--config", str(path), "--today", TODAY, "check").exit_code == 0


def test_secret_set_stores_in_the_keyring(tmp_path: Path, memory_keyring) -> None:
    config = str(write_config(tmp_path))
    result = CliRunner().invoke(main, ["--config", config, "secret", "set", "source"],
                                input="k-123456789\n", catch_exceptions=False)
    assert result.exit_code == 0 and "k-123456789" not in result.output
    assert memory_keyring.passwords[("relance", "acme/source")] == "k-123456789"
    # never on the command line, where `ps` and the shell history would keep it (issue 15)
    refused = invoke("--config", config, "secret", "set", "smtp", "--value", "k-123456789")
    assert refused.exit_code == 2 and ("relance", "acme/smtp") not in memory_keyring.passwords


def test_bad_today_is_a_usage_error() -> None:
    assert invoke("--today", "27/11/2026", "status").exit_code == 2


def test_demo_on_a_weekend_shows_the_last_business_day(tmp_path: Path, monkeypatch) -> None:
    import datetime as dt

    import connector.clock as clock
    sunday = dt.datetime(2026, 11, 29, 10, 0, tzinfo=dt.timezone.utc)
    monkeypatch.setattr(clock, "system_now", lambda: sunday)
    result = invoke("demo", "--dir", str(tmp_path / "demo"))
    assert result.exit_code == 0, result.output
    assert "affichage du 27/11/2026" in result.output
    assert list((tmp_path / "demo" / "outbox").glob("*.eml"))


def test_the_demo_emails_carry_invoices_a_statement_and_a_pay_button(tmp_path: Path) -> None:
    import email
    import email.policy
    import io

    import pypdf
    workdir = tmp_path / "demo"
    assert invoke("--today", TODAY, "demo", "--dir", str(workdir)).exit_code == 0
    # a gentle first run sends first reminders only (invoices attached); a week later the second
    # level, which also carries the statement of account
    assert invoke("--today", "2026-12-04", "demo", "--dir", str(workdir)).exit_code == 0
    config = (workdir / "relance.toml").read_text(encoding="utf-8")
    assert 'attach = ["invoices", "statement"]' in config and "payment_link = " in config
    with_statement = with_invoices = buttons = 0
    for path in sorted((workdir / "outbox").glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        files = {part.get_filename(): part.get_payload(decode=True)
                 for part in message.iter_attachments()}
        for name, data in files.items():
            text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages)
            if name.startswith(("facture-", "invoice-")):
                with_invoices += 1
                assert name.removeprefix("facture-").removeprefix("invoice-")[:-4] in text
            if name.startswith(("releve-", "statement-")):
                with_statement += 1
                assert "Relevé de compte" in text or "Statement of account" in text
        html = message.get_body(preferencelist=("html",)).get_content()
        buttons += '<a href="https://pay.example/' in html
    assert with_invoices > 20 and with_statement > 0 and buttons > 20
