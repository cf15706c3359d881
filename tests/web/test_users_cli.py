"""`relance users add|list|disable`, and the users of a firm living in its shared store."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from connector.app import users as users_app
from connector.cli import main
from connector.store.store import Store
from tests.helpers import NOW, write_config, write_firm


def run(*args: str, stdin: str = "") -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)
    return result.exit_code, result.output


def test_add_list_disable_and_log_in_only_while_enabled(tmp_path: Path) -> None:
    config = str(write_config(tmp_path))
    code, out = run("--config", config, "users", "add", "marie", "--admin",
                    stdin="un-long-mot-de-passe\n")
    assert code == 0 and "marie créé (admin)" in out
    code, out = run("--config", config, "users", "add", "paul", "--grant", "acme",
                    stdin="un-autre-mot-de-passe\n")
    assert code == 0 and "collector : acme" in out
    assert run("--config", config, "users", "add", "paul", stdin="un-autre-mot-de-passe\n")[0] \
        == 2  # already there
    code, out = run("--config", config, "users", "add", "court", "--grant", "acme",
                    stdin="court\n")
    assert code == 2 and "at least 10 characters" in out
    code, out = run("--config", config, "users", "add", "seul", stdin="un-long-mot-de-passe\n")
    assert code == 2 and "at least one client" in out
    code, out = run("--config", config, "users", "list")
    assert "marie" in out and "tous les clients" in out and "paul" in out and "acme" in out
    assert "argon2" not in out and "mot-de-passe" not in out
    store = Store(users_app.users_url(config, None))
    assert users_app.authenticate(store, "paul", "un-autre-mot-de-passe", now=NOW) is not None
    assert users_app.authenticate(store, "paul", "un-autre-mot-de-passX", now=NOW) is None
    assert run("--config", config, "users", "disable", "paul")[0] == 0
    assert users_app.authenticate(store, "paul", "un-autre-mot-de-passe", now=NOW) is None
    assert "[désactivé]" in run("--config", config, "users", "list")[1]
    assert run("--config", config, "users", "disable", "personne")[0] == 2


def test_a_firms_users_live_in_its_shared_state(tmp_path: Path) -> None:
    directory = write_firm(tmp_path / "firm")
    code, _ = run("--firm", str(directory), "users", "add", "anne", "--admin",
                  stdin="un-long-mot-de-passe\n")
    assert code == 0
    url = users_app.users_url(None, str(directory))
    assert url == f"sqlite:///{(directory / 'relance.db').resolve()}"
    assert "anne" in run("--firm", str(directory), "--client", "garage-durand", "users",
                         "list")[1]
