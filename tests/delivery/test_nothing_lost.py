"""Nothing lost (issue 15, cases 5 and 6): a refused SMTP login fails the day's reminders, `check`
says so before any run, and once the password is fixed `relance outbox retry` sends them, each
once, under its own key. A reminder resolved `--sent` leaves its note in the source."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from connector.app.tenant import open_tenant
from connector.cli import main
from connector.config import load_config
from connector.store import outbox
from tests.delivery.test_email import PASSWORD, smtp, smtp_config  # noqa: F401 - fixture
from tests.e2e import write_user_config
from tests.fakes.odoo_server import API_KEY, start_fake_odoo

FALLBACK = 'activity_user = "marie@example.fr"\n'  # the seeded invoices' salesperson

TODAY = "2026-11-27"


def relance(config: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--config", str(config), "--today", TODAY, *args],
                                env=env, catch_exceptions=False)
    return result.exit_code, result.output


def test_a_refused_login_loses_nothing_once_the_password_is_fixed(
        tmp_path: Path, smtp, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    sink, port = smtp
    config = smtp_config(tmp_path, port, username="x")
    wrong = {"TEST_SMTP_PW": "wrong-password-123"}
    code, out = relance(config, "check", env=wrong)
    assert code == 2 and "refused the login" in out and "wrong-password-123" not in out
    code, out = relance(config, "run", env=wrong)
    assert code == 1 and not sink.messages
    tenant = open_tenant(load_config(config), today=dt.date(2026, 11, 27))
    failed = outbox.rows(tenant.store, tenant.name, "failed")
    assert failed and all(r["channel"] == "email" for r in failed)
    right = {"TEST_SMTP_PW": PASSWORD}
    assert relance(config, "check", env=right)[0] == 0
    assert relance(config, "outbox", "retry")[0] == 2  # KEY, --all or --status is required
    code, out = relance(config, "outbox", "retry", "--status", "failed")
    assert code == 0 and f"{len(failed)} relance(s) dues maintenant" in out
    code, out = relance(config, "run", env=right)
    assert code == 0, out
    ids = Counter(str(m["Message-ID"]) for _, m in sink.messages)
    assert set(ids.values()) == {1}
    assert {f"<{r['key']}@atelier-dupuis.fr>" for r in failed} <= set(ids)
    assert relance(config, "run", env=right)[0] == 0 and sum(Counter(
        str(m["Message-ID"]) for _, m in sink.messages).values()) == len(ids)


def test_a_reminder_resolved_as_sent_gets_its_note_in_the_source(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    odoo = start_fake_odoo("17.0")
    try:
        monkeypatch.setenv("ODOO_KEY", API_KEY)
        config = write_user_config(tmp_path, odoo.source_toml() + FALLBACK)
        tenant = open_tenant(load_config(config), today=dt.date(2026, 11, 27))
        tenant.sync()
        outbox.enqueue(tenant.store, tenant.plan(), now=tenant.clock.now())
        row = next(r for r in outbox.rows(tenant.store, tenant.name) if r["channel"] == "email")
        with tenant.store.transaction() as conn:  # e.g. the relay's answer was lost
            outbox.mark(conn, row["key"], "uncertain", tenant.clock.now(), reason="lost")
        code, out = relance(config, "outbox", "resolve", row["key"], "--sent")
        assert code == 0, out
        relance(config, "run", "--no-sync", env={"ODOO_KEY": API_KEY})
        notes = [m for m in odoo.data.tables["mail.message"].values()
                 if f"[relance:{row['key'][:28]}note]" in str(m.get("body"))]
        assert len(notes) == 1
    finally:
        odoo.stop()
