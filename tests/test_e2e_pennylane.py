"""`relance check`, `sync`, `plan`, `run` against the fake Pennylane, with a config a user would write."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e import relance, user_loop, write_user_config
from tests.fakes.pennylane_server import FakePennylane, start_fake_pennylane


@pytest.fixture
def fake() -> Iterator[FakePennylane]:
    server = start_fake_pennylane(customers=12, invoices=40, seed=3)
    yield server
    server.stop()
    assert not server.violations, server.violations


def source(fake: FakePennylane) -> str:
    return (f'[source]\nkind = "pennylane"\nbase_url = "{fake.base_url}"\ntrace = "appendix"\n'
            'secret_env = "PENNYLANE_TOKEN"\n')


def traces(fake: FakePennylane) -> list[dict]:
    return [a for items in fake.appendices.values() for a in items]


def test_user_loop_against_fake_pennylane(tmp_path: Path, fake: FakePennylane) -> None:
    config = write_user_config(tmp_path, source(fake))
    loop = user_loop(config, env={"PENNYLANE_TOKEN": fake.token})
    assert loop.emails and loop.emails_written == len(loop.emails)
    # one trace on each invoice a reminder covers, named with the key of the note after the email;
    # the second run added none
    for email in loop.emails:
        invoices = {i["item_id"].split("#")[0] for i in email["invoices"]}
        assert sum(email["key"][:28] in a["filename"] for a in traces(fake)) == len(invoices)
    assert fake.token not in (tmp_path / "state.db").read_bytes().decode("latin-1")


def test_wrong_token_is_a_clear_error(tmp_path: Path, fake: FakePennylane) -> None:
    config = write_user_config(tmp_path, source(fake))
    code, out = relance(config, "check", env={"PENNYLANE_TOKEN": "not-the-token-0000000000"})
    assert code == 2 and "not-the-token-0000000000" not in out
