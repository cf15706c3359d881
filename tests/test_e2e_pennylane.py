"""`relance check`, `sync`, `plan`, `run` against the fake Pennylane, with a config a user would write."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from connector.cli import main
from tests.fakes.pennylane_server import FakePennylane, start_fake_pennylane

CONFIG = """\
tenant = "boulangerie-durand"
state = "sqlite:///state.db"

[source]
kind = "pennylane"
base_url = "{base_url}"
trace = "appendix"
secret_env = "PENNYLANE_TOKEN"

[sender]
name = "Boulangerie Durand"
email = "compta@boulangerie-durand.fr"

[email]
transport = "file"
directory = "outbox"
"""


@pytest.fixture
def fake() -> Iterator[FakePennylane]:
    server = start_fake_pennylane(customers=12, invoices=40, seed=3)
    yield server
    server.stop()
    assert not server.violations, server.violations


def relance(config: Path, *args: str, token: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--config", str(config), *args],
                                env={"PENNYLANE_TOKEN": token}, catch_exceptions=False)
    return result.exit_code, result.output


def test_user_loop_against_fake_pennylane(tmp_path: Path, fake: FakePennylane) -> None:
    config = tmp_path / "relance.toml"
    config.write_text(CONFIG.format(base_url=fake.base_url), encoding="utf-8")
    code, out = relance(config, "check", token=fake.token)
    assert code == 0, out
    code, out = relance(config, "sync", token=fake.token)
    assert code == 0 and "invoices" in out, out
    code, out = relance(config, "plan", "--json", token=fake.token)
    planned = json.loads(out)
    emails = [p for p in planned if p["channel"] == "email"]
    assert code == 0 and emails
    code, out = relance(config, "run", token=fake.token)
    assert code == 0, out
    eml = list((tmp_path / "outbox").glob("*.eml"))
    assert len(eml) == len(emails)
    traces = [a for items in fake.appendices.values() for a in items]
    # one trace on each invoice a reminder covers, named with the key of the note after the email
    for planned_email in emails:
        invoices = {i["item_id"].split("#")[0] for i in planned_email["invoices"]}
        assert sum(planned_email["key"][:28] in a["filename"] for a in traces) == len(invoices)
    # again: nothing new is sent, no trace is added
    code, out = relance(config, "run", token=fake.token)
    assert code == 0 and "Nothing to send today." in out
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == len(eml)
    assert len([a for items in fake.appendices.values() for a in items]) == len(traces)
    assert fake.token not in (tmp_path / "state.db").read_bytes().decode("latin-1")


def test_wrong_token_is_a_clear_error(tmp_path: Path, fake: FakePennylane) -> None:
    config = tmp_path / "relance.toml"
    config.write_text(CONFIG.format(base_url=fake.base_url), encoding="utf-8")
    code, out = relance(config, "check", token="not-the-token-0000000000")
    assert code == 2 and "not-the-token-0000000000" not in out
