"""Containment and hardening (issue 15, cases 11 and 12): a firm's client file cannot write into
another client's folders; what relance creates is readable by its owner only; the PostgreSQL
password stays out of the state URL."""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path

import pytest

from connector.app.firm import Firm
from connector.app.tenant import open_tenant
from connector.config import load_config
from connector.errors import ConfigError
from connector.store.store import open_engine
from tests.helpers import write_config, write_firm

TODAY = dt.date(2026, 11, 27)


@pytest.mark.parametrize("line", [
    'state = "sqlite:///clients/garage-durand/state.db"',
    'state = "sqlite:////tmp/elsewhere.db"',
    '[email]\ndirectory = "outbox/garage-durand"',
    '[letter]\ndirectory = "../garage-durand/letters"',
])
def test_a_client_file_cannot_point_into_another_clients_folder(tmp_path: Path,
                                                                line: str) -> None:
    firm_dir = write_firm(tmp_path / "firm")
    client = firm_dir / "clients" / "boulangerie-martin.toml"
    client.write_text(line + "\n" + client.read_text() if line.startswith("state")
                      else client.read_text() + "\n" + line + "\n")
    with pytest.raises(ConfigError, match="outside this client's folder") as caught:
        Firm(firm_dir).config("boulangerie-martin")
    assert caught.value.file == str(client)
    # the firm may allow it, knowingly
    firm_toml = firm_dir / "firm.toml"
    firm_toml.write_text("allow_client_paths = true\n" + firm_toml.read_text())
    Firm(firm_dir).config("boulangerie-martin")


def test_paths_inside_the_clients_own_folder_are_fine(tmp_path: Path) -> None:
    firm_dir = write_firm(tmp_path / "firm")
    client = firm_dir / "clients" / "boulangerie-martin.toml"
    client.write_text(client.read_text() + '\n[letter]\ndirectory = "courriers"\n')
    config = Firm(firm_dir).config("boulangerie-martin")
    assert config.letters_dir == (firm_dir / "clients" / "boulangerie-martin" / "courriers")


def test_state_emails_and_letters_are_created_for_their_owner_only(tmp_path: Path) -> None:
    tenant = open_tenant(load_config(write_config(tmp_path / "t", small=True)), today=TODAY)
    tenant.run()
    state = tmp_path / "t" / "state.db"
    emails = list((tmp_path / "t" / "outbox").glob("*.eml"))
    assert emails
    for path in [state, *emails]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE((tmp_path / "t" / "outbox").stat().st_mode) == 0o700


def test_the_postgresql_password_comes_from_the_environment_not_the_url(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELANCE_STATE_PASSWORD", "pg-secret-4c1d9e")
    engine = open_engine("postgresql+psycopg://relance@127.0.0.1:5432/relance")
    assert engine.url.password == "pg-secret-4c1d9e"
    assert "pg-secret-4c1d9e" not in repr(engine.url) and "pg-secret-4c1d9e" not in str(engine.url)
    engine.dispose()
