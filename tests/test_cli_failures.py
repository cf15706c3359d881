"""Failures that are seen: `check` opens the SMTP connection and says what fails; `run` lists each
reminder that did not leave, with its reason, and exits 1; `outbox retry` sends them now."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from connector.cli import main
from tests.delivery.test_email import PASSWORD, free_port, smtp, smtp_config  # noqa: F401

TODAY = "2026-11-27"


def invoke(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_check_fails_when_the_smtp_server_cannot_be_reached(tmp_path: Path) -> None:
    config = str(smtp_config(tmp_path, free_port()))  # nothing listens there
    result = invoke("--config", config, "--today", TODAY, "check")
    assert result.exit_code == 1
    assert "cannot be reached" in result.output and "tout est en ordre" not in result.output


def test_check_fails_on_a_refused_login(tmp_path: Path, smtp) -> None:  # noqa: F811
    sink, port = smtp
    config = str(smtp_config(tmp_path, port, username="x"))
    result = invoke("--config", config, "--today", TODAY, "check",
                    env={"TEST_SMTP_PW": "not-the-password"})
    assert result.exit_code == 2  # credentials: the user must fix them
    assert "refused the login" in result.output
    assert "not-the-password" not in result.output
    assert not sink.messages  # a check sends nothing


def test_check_says_all_good_when_the_login_is_accepted(tmp_path: Path, smtp) -> None:  # noqa: F811
    sink, port = smtp
    config = str(smtp_config(tmp_path, port, username="x"))
    result = invoke("--config", config, "--today", TODAY, "check", env={"TEST_SMTP_PW": PASSWORD})
    assert result.exit_code == 0, result.output
    assert "connected" in result.output and "accepted" in result.output
    assert "tout est en ordre" in result.output and not sink.messages


def test_check_without_the_password_says_how_to_store_it(tmp_path: Path, smtp) -> None:  # noqa: F811
    _sink, port = smtp
    config = str(smtp_config(tmp_path, port, username="x"))
    result = invoke("--config", config, "--today", TODAY, "check", env={"TEST_SMTP_PW": ""})
    assert result.exit_code == 2 and "TEST_SMTP_PW" in result.output


def test_run_with_smtp_down_lists_each_rescheduled_reminder_and_exits_1(tmp_path: Path) -> None:
    port = free_port()
    config = str(smtp_config(tmp_path, port))
    result = invoke("--config", config, "--today", TODAY, "run")
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("  replanifiée : ")]
    assert lines and all("cannot" in line or "Connection refused" in line or "SMTP" in line
                         for line in lines)
    assert "relance outbox retry" in result.output
    # the next run has nothing new to plan, but still says what waits and still exits 1
    again = invoke("--config", config, "--today", TODAY, "run")
    assert "Rien à envoyer aujourd'hui." in again.output
    assert again.exit_code == 1 and f"{len(lines)} relance(s) attendent une nouvelle tentative" in again.output
    # after three failures in a row a run stops delivering by SMTP (issue 15): the second run
    # tried the rest, so every reminder now waits
    tried = [line for line in again.output.splitlines() if line.startswith("  replanifiée : ")]
    retried = invoke("--config", config, "--today", TODAY, "outbox", "retry", "--all")
    assert retried.exit_code == 0, retried.output
    assert f"{len(lines) + len(tried)} relance(s) dues maintenant" in retried.output


def test_run_with_a_refused_login_lists_the_failures_and_exits_1(tmp_path: Path, smtp) -> None:  # noqa: F811
    sink, port = smtp
    config = str(smtp_config(tmp_path, port, username="x"))
    result = invoke("--config", config, "--today", TODAY, "run",
                    env={"TEST_SMTP_PW": "not-the-password"})
    assert result.exit_code == 1
    failed = [line for line in result.output.splitlines() if line.startswith("  en échec : ")]
    assert failed and all("refused the login" in line for line in failed)
    assert not sink.messages
    # fixed: retry now, and they leave
    assert invoke("--config", config, "--today", TODAY, "outbox", "retry", "--all").exit_code == 0
    fixed = invoke("--config", config, "--today", TODAY, "run", "--no-sync",
                   env={"TEST_SMTP_PW": PASSWORD})
    assert fixed.exit_code == 0, fixed.output
    assert len(sink.messages) == len(failed)
