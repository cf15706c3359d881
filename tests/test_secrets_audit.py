"""Secrets audit: every command a user runs, for every source, at -vv, with known fake secrets and
the failing variants (wrong key, refused token, server down); no secret may show in any output
line, log record, exception text, file under the tenant's folder, or recorded cassette."""

from __future__ import annotations

import datetime as dt
import logging
import re
import sqlite3
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from click.testing import CliRunner

from connector.cli import EXAMPLE, main
from connector.commands import auth
from connector.http import HttpClient
from tests.e2e import write_user_config
from tests.fakes.odoo_server import FakeOdooServer
from tests.fakes.pennylane_server import FakePennylane
from tests.fakes.sage_server import SageFake, start_sage
from tests.fakes.sage_spec import SPEC_PATH

SMTP_PASSWORD = "smtp-Pa55word-audit-71c9e"
ODOO_KEY = "odoo-api-key-audit-5f0e2b7c91"
PENNYLANE_TOKEN = "pl-token-audit-9a8b7c6d5e4f"
SAGE_SECRET = "cs-sage-client-secret-audit-3e1d"
WRONG = {"smtp": "wrong-smtp-pass-audit-0001", "odoo": "wrong-odoo-key-audit-0002",
         "pennylane": "wrong-pl-token-audit-0003", "sage": "wrong-sage-secret-audit-0004"}
CASSETTES = Path(__file__).parent / "cassettes"
READ_ONLY = (("check",), ("plan",), ("plan", "--json"), ("status", "--json"),
             ("report", "--json"), ("rules", "check"), ("outbox", "review"))


class Audit:
    """Runs commands like a user at -vv and checks everything they left behind."""

    def __init__(self, folder: Path, caplog: pytest.LogCaptureFixture) -> None:
        self.folder, self.caplog = folder, caplog
        self.outputs: list[str] = []
        self.secrets: list[str] = []
        caplog.set_level(logging.DEBUG)

    def run(self, config: Path, *args: str, env: dict[str, str] | None = None,
            codes: tuple[int, ...] = (0,), today: str = "2026-11-27") -> str:
        result = CliRunner().invoke(main, ["-vv", "--config", str(config), "--today", today,
                                           *args], env=env)
        text = result.output
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            text += "".join(traceback.format_exception(*result.exc_info))  # type: ignore[misc]
        self.outputs.append(text)
        assert result.exit_code in codes, f"relance {' '.join(args)}: {result.exit_code}\n{text}"
        return text

    def user_commands(self, config: Path, env: dict[str, str]) -> None:
        self.run(config, "sync", env=env)
        self.run(config, "run", env=env, codes=(0, 1))
        for args in READ_ONLY:
            self.run(config, *args, env=env, codes=(0, 1, 2))
        self.run(config, "report", "--html", str(config.parent / "report.html"), env=env)

    def check(self) -> None:
        assert self.secrets and all(len(s) >= 8 for s in self.secrets)
        files = [p for p in self.folder.rglob("*") if p.is_file()]
        assert files, "the commands wrote nothing: the audit would prove nothing"
        blobs = {p: p.read_bytes() for p in files}
        records = [(r.name, r.getMessage() + (r.exc_text or "")) for r in self.caplog.records]
        for secret in self.secrets:
            for text in self.outputs:
                assert secret not in text, f"secret in the output:\n{text}"
            for name, message in records:
                assert secret not in message, f"secret in a log record of {name}: {message}"
            for path, blob in blobs.items():
                for encoded in (secret.encode(), secret.encode("utf-16-le")):
                    assert encoded not in blob, f"secret in {path}"


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """A server that is down is retried without real waiting."""
    monkeypatch.setattr(HttpClient, "_wait", lambda self, state: 0.0)


def user_config(folder: Path, source: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return write_user_config(folder, source)


def closed_port() -> int:
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- demo + SMTP with a password ---------------------------------------------------------------
@pytest.fixture
def smtp() -> Iterator[int]:
    def authenticator(server, session, envelope, mechanism, auth_data):  # noqa: ANN001
        ok = isinstance(auth_data, LoginPassword) and auth_data.password.decode() == SMTP_PASSWORD
        return AuthResult(success=ok, handled=False)

    class Sink:
        async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, N802
            return "250 OK"

    port = closed_port()
    controller = Controller(Sink(), hostname="127.0.0.1", port=port, authenticator=authenticator,
                            auth_require_tls=False)
    controller.start()
    yield port
    controller.stop()


def smtp_config(folder: Path, port: int) -> Path:
    """The commented example (its policy ends with a formal notice letter), a small demo ledger,
    SMTP with a login whose password comes from $SMTP_PW."""
    folder.mkdir(parents=True, exist_ok=True)
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        'kind = "demo"', 'kind = "demo"\ncustomers = 20\ninvoices = 300', 1).replace(
        'transport = "file"', f'transport = "smtp"\nhost = "127.0.0.1"\nport = {port}\n'
        'security = "none"\nusername = "relance@ma-societe.fr"\nsecret_env = "SMTP_PW"\n'
        'allow_plaintext_auth = true', 1)
    text = re.sub(r'^directory = "outbox".*$', "", text, count=1, flags=re.M)
    (folder / "relance.toml").write_text(text, encoding="utf-8")
    return folder / "relance.toml"


def test_demo_with_smtp(tmp_path: Path, smtp: int, caplog: pytest.LogCaptureFixture) -> None:
    audit = Audit(tmp_path, caplog)
    audit.secrets = [SMTP_PASSWORD, WRONG["smtp"]]
    audit.run(tmp_path / "new" / "relance.toml", "init")
    good = smtp_config(tmp_path / "good", smtp)
    audit.user_commands(good, {"SMTP_PW": SMTP_PASSWORD})
    sent = audit.outputs[2]
    assert re.search(r"^envoyés [1-9]\d*, ", sent, re.M), sent
    # climb the ladder (gently from the first run) up to the formal notices, which wait for review
    for later in ("2026-12-09", "2026-12-23", "2027-01-05"):
        audit.run(good, "run", env={"SMTP_PW": SMTP_PASSWORD}, today=later)
    audit.run(good, "approve", "--all", "--by", "audit", env={"SMTP_PW": SMTP_PASSWORD},
              today="2027-01-05")
    # exit 1: the demo's customers without a postal address have letters waiting (a task each)
    audit.run(good, "run", "--no-sync", env={"SMTP_PW": SMTP_PASSWORD}, today="2027-01-05",
              codes=(0, 1))
    assert list((tmp_path / "good").rglob("*.pdf")), "no letter written: PDFs not audited"
    audit.check()


# the wrong password and the relay down: tests of their own (the good path above is long), each
# auditing everything it printed, logged and wrote, for both secrets, as the good path does
def test_demo_with_smtp_and_a_wrong_password(tmp_path: Path, smtp: int,
                                             caplog: pytest.LogCaptureFixture) -> None:
    audit = Audit(tmp_path, caplog)
    audit.secrets = [SMTP_PASSWORD, WRONG["smtp"]]
    wrong = smtp_config(tmp_path / "wrong", smtp)
    out = audit.run(wrong, "run", env={"SMTP_PW": WRONG["smtp"]}, codes=(1, 2))
    assert "refused the login" in out or "failed" in out.lower(), out
    audit.run(wrong, "status", "--json", env={"SMTP_PW": WRONG["smtp"]})
    audit.check()


def test_demo_with_smtp_and_the_relay_down(tmp_path: Path,
                                           caplog: pytest.LogCaptureFixture) -> None:
    audit = Audit(tmp_path, caplog)
    audit.secrets = [SMTP_PASSWORD, WRONG["smtp"]]
    down = smtp_config(tmp_path / "down", closed_port())
    out = audit.run(down, "run", env={"SMTP_PW": SMTP_PASSWORD}, codes=(0, 1))
    assert "replanifiés" in out and "replanifiés 0" not in out, out
    audit.run(down, "outbox", "review", env={"SMTP_PW": SMTP_PASSWORD})
    audit.check()


# -- Odoo: API key ------------------------------------------------------------------------------
def test_odoo(tmp_path: Path, caplog: pytest.LogCaptureFixture, fast_retries: None) -> None:
    audit = Audit(tmp_path, caplog)
    audit.secrets = [ODOO_KEY, WRONG["odoo"]]
    odoo = FakeOdooServer("17.0", key=ODOO_KEY).start()
    try:
        config = user_config(tmp_path / "good", odoo.source_toml())
        audit.user_commands(config, {"ODOO_KEY": ODOO_KEY})
        wrong = user_config(tmp_path / "wrong", odoo.source_toml())
        for args in (("check",), ("sync",), ("run",)):
            out = audit.run(wrong, *args, env={"ODOO_KEY": WRONG["odoo"]}, codes=(2,))
            assert "refused" in out, out
    finally:
        odoo.stop()
    for args in (("check",), ("sync",), ("run",)):
        audit.run(config, *args, env={"ODOO_KEY": ODOO_KEY}, codes=(1, 2))
    audit.check()


# -- Pennylane: bearer token --------------------------------------------------------------------
def test_pennylane(tmp_path: Path, caplog: pytest.LogCaptureFixture, fast_retries: None) -> None:
    audit = Audit(tmp_path, caplog)
    audit.secrets = [PENNYLANE_TOKEN, WRONG["pennylane"]]
    fake = FakePennylane(token=PENNYLANE_TOKEN, rate_limit=10_000, validate=False).start()
    source = (f'[source]\nkind = "pennylane"\nbase_url = "{fake.base_url}"\n'
              'trace = "appendix"\nsecret_env = "PL_TOKEN"\n')
    try:
        fake.seed(customers=6, invoices=20)
        config = user_config(tmp_path / "good", source)
        audit.user_commands(config, {"PL_TOKEN": PENNYLANE_TOKEN})
        with sqlite3.connect(config.parent / "state.db") as db:  # a push was journaled
            assert db.execute("SELECT count(*) FROM push_journal").fetchone()[0] > 0
        wrong = user_config(tmp_path / "wrong", source)
        for args in (("check",), ("sync",), ("run",)):
            audit.run(wrong, *args, env={"PL_TOKEN": WRONG["pennylane"]}, codes=(2,))
    finally:
        fake.stop()
    for args in (("check",), ("sync",), ("run",)):
        audit.run(config, *args, env={"PL_TOKEN": PENNYLANE_TOKEN}, codes=(1, 2))
    audit.check()


# -- Sage: client secret, rotating access and refresh tokens, the authorization code ---------------
def test_sage(tmp_path: Path, caplog: pytest.LogCaptureFixture, fast_retries: None,
              monkeypatch: pytest.MonkeyPatch) -> None:
    if not SPEC_PATH.exists():
        pytest.skip(f"the Sage description is not at {SPEC_PATH}")
    audit = Audit(tmp_path, caplog)
    sage = start_sage(SageFake(client_secret=SAGE_SECRET))
    issued: list[str] = []
    real_issue = sage.fake._issue

    def issue(previous: str | None):  # noqa: ANN202 - records every token the fake hands out
        grant = real_issue(previous)
        issued.extend([grant.access, grant.refresh])
        return grant

    monkeypatch.setattr(sage.fake, "_issue", issue)
    codes: list[str] = []

    def browser(url: str) -> None:
        """The user's browser: consent, then the redirect to relance's loopback listener. Its
        own request log (the code is in the query) is the browser's, not relance's: kept quiet."""
        pool = logging.getLogger("urllib3.connectionpool")
        level = pool.level
        pool.setLevel(logging.INFO)
        try:
            codes.append(requests.get(url, timeout=10, allow_redirects=False).headers["Location"])
            requests.get(codes[-1], timeout=10)
        finally:
            pool.setLevel(level)

    monkeypatch.setattr(auth.webbrowser, "open", browser)
    table = {**sage.config(), "secret_env": "SAGE_SECRET"}
    source = "[source]\n" + "\n".join(
        f"{k} = {v}" if isinstance(v, int) else f'{k} = "{v}"' for k, v in table.items())
    env = {"SAGE_SECRET": SAGE_SECRET}
    try:
        books, business = sage.fake, sage.business_id
        martin = books.add_contact(business, "SARL Martin", email="contact@martin.fr", persons=[
            {"name": "Léa", "email": "factures@martin.fr", "contact_person_types": ["ACCOUNTS"]}])
        dubois = books.add_contact(business, "SAS Dubois", email="compta@dubois.fr")
        for n in range(6):
            books.add_invoice(business, (martin, dubois)[n % 2], f"FA-{n}", f"{100 + n}.50",
                              date=dt.date(2026, 8, 1) + dt.timedelta(days=9 * n))
        config = user_config(tmp_path / "good", source)
        out = audit.run(config, "auth", "sage", env=env)
        assert "Accès Sage accordé" in out, out
        audit.user_commands(config, env)
        sage.fake.expire_access()  # the next call refreshes with the wrong client secret
        audit.run(config, "sync", env={"SAGE_SECRET": WRONG["sage"]}, codes=(1, 2))
        audit.run(config, "auth", "sage", env={"SAGE_SECRET": WRONG["sage"]}, codes=(2,))
        sage.fake.revoke_all()  # every token refused (401): "run relance auth sage"
        out = audit.run(config, "check", env=env, codes=(2,))
        assert "relance auth sage" in out, out
        audit.run(config, "sync", env=env, codes=(1, 2))
    finally:
        sage.stop()
    audit.run(config, "sync", env=env, codes=(1, 2))  # server down
    audit.run(config, "status", "--json", env=env)
    auth_codes = [re.search(r"code=([^&]+)", c).group(1) for c in codes]  # type: ignore[union-attr]
    assert issued and auth_codes
    audit.secrets = [SAGE_SECRET, WRONG["sage"], *issued, *auth_codes]
    audit.check()


# -- cassettes ------------------------------------------------------------------------------------
CREDENTIAL = re.compile(r"(?i)(access_token|refresh_token|client_secret|api_key|password|code)"
                        r"[\"']?\s*[:=]\s*[\"']?([^\"'\s&,}<]+)")


def test_no_secret_in_cassettes() -> None:
    from tests.fakes.odoo_server import API_KEY
    from tests.fakes.pennylane_server import DEFAULT_TOKEN
    files = [p for p in CASSETTES.rglob("*") if p.is_file()]
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        for secret in (API_KEY, DEFAULT_TOKEN, SMTP_PASSWORD, ODOO_KEY, PENNYLANE_TOKEN,
                       SAGE_SECRET, *WRONG.values()):
            assert secret not in text, f"{secret} in {path}"
        assert not re.search(r"(?i)bearer\s+(?!SCRUBBED)[A-Za-z0-9._~+/-]{8,}", text), path
        assert not re.search(r"\b(?:at|rt|cs)-[A-Za-z0-9_-]{16,}", text), path  # fake Sage tokens
        for name, value in CREDENTIAL.findall(text):
            assert "SCRUBBED" in value or value.lower() in {"null", "none", ""} or \
                name.lower() == "code" and not re.fullmatch(r"[A-Za-z0-9_-]{16,}", value), \
                f"{name}={value} in {path}"
