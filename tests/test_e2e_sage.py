"""`relance auth sage`, then `check`, `sync`, `plan`, `run` against the fake Sage, as a user runs them;
no token in any output, log or file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from connector.commands import auth
from tests.adapters.sage.fixtures import seed
from tests.e2e import relance, user_loop, write_user_config
from tests.fakes.sage_server import RunningSage, SageFake, start_sage
from tests.fakes.sage_spec import SPEC_PATH


@pytest.fixture
def sage() -> Iterator[RunningSage]:
    if not SPEC_PATH.exists():
        pytest.skip(f"the Sage description is not at {SPEC_PATH}")
    running = start_sage(SageFake())
    seed(running)
    yield running
    running.stop()
    assert running.fake.violations == [], running.fake.violations[:5]


def source_toml(sage: RunningSage) -> str:
    table = {**sage.config(), "secret_env": "SAGE_CLIENT_SECRET"}
    lines = [f'{key} = {value}' if isinstance(value, int) else f'{key} = "{value}"'
             for key, value in table.items()]
    return "[source]\n" + "\n".join(lines) + "\n"


def test_auth_then_the_whole_loop(tmp_path: Path, sage: RunningSage, memory_keyring,
                                  monkeypatch: pytest.MonkeyPatch, caplog) -> None:
    # the "browser": follows the consent page, which redirects to relance's loopback listener
    monkeypatch.setattr(auth.webbrowser, "open", lambda url: requests.get(url, timeout=10))
    config = write_user_config(tmp_path, source_toml(sage))
    env = {"SAGE_CLIENT_SECRET": sage.fake.client_secret}
    code, out = relance(config, "auth", "sage", env=env)
    assert code == 0 and "Accès Sage accordé" in out, out
    loop = user_loop(config, env=env)
    assert loop.emails and loop.emails_written == len(loop.emails)
    tokens = [v for (service, user), v in memory_keyring.passwords.items()
              if user.endswith("source_tokens")]
    assert tokens
    token_values = [sage.fake.refresh_token_now()]
    written = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    for value in token_values + [sage.fake.client_secret]:
        assert value not in loop.first_run and value not in caplog.text
        assert value.encode() not in written


def test_without_auth_check_says_what_to_do(tmp_path: Path, sage: RunningSage) -> None:
    config = write_user_config(tmp_path, source_toml(sage))
    code, out = relance(config, "check", env={"SAGE_CLIENT_SECRET": sage.fake.client_secret})
    assert code == 2 and "relance auth sage" in out
