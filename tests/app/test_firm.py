"""A firm directory: defaults merged under each client file, errors naming the right file, the
`--firm` commands looping over clients, and `clients list` / `status --all` for the firm."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from click.testing import CliRunner

from connector.app.firm import Firm, deep_merge
from connector.cli import main
from connector.errors import ConfigError
from connector.store.store import MIGRATIONS
from tests.helpers import THREE_CLIENTS, write_firm

TODAY = "2026-11-27"


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_deep_merge_merges_tables_and_replaces_the_rest() -> None:
    firm = {"sender": {"name": "Cabinet", "email": "a@b.fr"}, "policy": {"levels": [1, 2]},
            "language": "fr"}
    client = {"sender": {"name": "Client"}, "policy": {"levels": [3]}, "language": "en"}
    assert deep_merge(firm, client) == {"sender": {"name": "Client", "email": "a@b.fr"},
                                        "policy": {"levels": [3]}, "language": "en"}


def test_client_inherits_defaults_and_overrides_them(tmp_path: Path) -> None:
    firm = Firm(write_firm(tmp_path))
    assert firm.slugs() == sorted(THREE_CLIENTS)
    bakery, garage, printer = (firm.config(slug) for slug in sorted(THREE_CLIENTS))
    assert bakery.tenant == "boulangerie-martin" and bakery.sender.name.startswith("Cabinet")
    assert [lvl.name for lvl in garage.policy.levels] == ["first", "final"]
    assert garage.policy.min_gap_days == 3 and bakery.policy.min_gap_days == 5
    assert printer.language == "en" and bakery.language == "fr"
    # one shared store for the firm, one outbox folder per client
    assert bakery.state_url == garage.state_url == f"sqlite:///{tmp_path / 'relance.db'}"
    assert bakery.outbox_dir == tmp_path / "outbox" / "boulangerie-martin"
    assert bakery.outbox_dir != garage.outbox_dir


def test_error_in_a_client_file_names_that_file_and_key(tmp_path: Path) -> None:
    write_firm(tmp_path)
    path = tmp_path / "clients" / "garage-durand.toml"
    path.write_text(path.read_text().replace("seed = 2", "sed = 2"))
    with pytest.raises(ConfigError) as caught:
        Firm(tmp_path).config("garage-durand")
    assert caught.value.file == str(path) and caught.value.key == "source.sed"


def test_error_in_a_firm_default_names_firm_toml(tmp_path: Path) -> None:
    write_firm(tmp_path)
    firm_file = tmp_path / "firm.toml"
    firm_file.write_text(firm_file.read_text().replace('transport = "file"', 'transport = "fax"'))
    with pytest.raises(ConfigError) as caught:
        Firm(tmp_path).config("garage-durand")
    assert caught.value.file == str(firm_file) and caught.value.key == "email.transport"
    assert "garage-durand" in str(caught.value)


def test_bad_schedule_names_the_key(tmp_path: Path) -> None:
    write_firm(tmp_path, schedule='reminders_at = "25:00"')
    with pytest.raises(ConfigError) as caught:
        Firm(tmp_path).client("garage-durand")
    assert caught.value.key == "schedule.reminders_at"
    assert caught.value.file == str(tmp_path / "firm.toml")


def test_the_tenant_is_the_file_name(tmp_path: Path) -> None:
    write_firm(tmp_path)
    path = tmp_path / "clients" / "garage-durand.toml"
    path.write_text('tenant = "someone-else"\n' + path.read_text())
    with pytest.raises(ConfigError) as caught:
        Firm(tmp_path).config("garage-durand")
    assert caught.value.key == "tenant"


def test_unknown_client_lists_the_known_ones(tmp_path: Path) -> None:
    result = invoke("--firm", str(write_firm(tmp_path)), "--client", "nope", "plan")
    assert result.exit_code == 2 and "garage-durand" in result.output


def test_sync_loops_over_clients_and_one_failure_stops_no_one(tmp_path: Path) -> None:
    firm = str(write_firm(tmp_path))
    broken = tmp_path / "clients" / "garage-durand.toml"
    broken.write_text(broken.read_text().replace('kind = "demo"', 'kind = "sage-x"'))
    result = invoke("--firm", firm, "--today", TODAY, "sync")
    assert result.exit_code == 1
    assert "garage-durand" in result.output and "source.kind" in result.output
    listed = json.loads(invoke("--firm", firm, "--today", TODAY, "clients", "list",
                               "--json").output)
    synced = {row["client"]: row["last_sync"] for row in listed}
    why = f"sync output: {result.output!r}; clients: {listed!r}"  # seen failing once, not yet understood
    assert (synced["boulangerie-martin"] or {}).get("status") == "ok", why
    assert (synced["imprimerie-roux"] or {}).get("status") == "ok", why
    assert synced["garage-durand"] is None
    assert any("source.kind" in e for e in next(r for r in listed
                                                if r["client"] == "garage-durand")["errors"])


def test_run_one_client_then_clients_list(tmp_path: Path) -> None:
    firm = str(write_firm(tmp_path))
    assert invoke("--firm", firm, "--client", "boulangerie-martin", "--today", TODAY,
                  "run").exit_code == 0
    assert list((tmp_path / "outbox" / "boulangerie-martin").glob("*.eml"))
    assert not (tmp_path / "outbox" / "garage-durand").exists()
    rows = {r["client"]: r for r in json.loads(invoke("--firm", firm, "--today", TODAY, "clients",
                                                      "list", "--json").output)}
    assert set(rows) == set(THREE_CLIENTS)
    bakery = rows["boulangerie-martin"]
    assert bakery["source"] == "demo" and bakery["errors"] == []
    open_cents, overdue_cents = bakery["open_minor"]["EUR"], bakery["overdue_minor"]["EUR"]
    assert open_cents > overdue_cents > 0
    assert rows["garage-durand"]["open_minor"] == {}  # never synced: nothing known yet
    text = invoke("--firm", firm, "--today", TODAY, "clients", "list").output
    assert all(slug in text for slug in THREE_CLIENTS) and "€" in text


def test_status_all_json_reports_every_client_and_flags_errors(tmp_path: Path) -> None:
    firm = str(write_firm(tmp_path))
    assert invoke("--firm", firm, "--today", TODAY, "run").exit_code == 0
    result = invoke("--firm", firm, "--today", TODAY, "status", "--all", "--json")
    assert result.exit_code == 0
    report = json.loads(result.output)
    assert [c["client"] for c in report["clients"]] == sorted(THREE_CLIENTS)
    assert all(c["outbox"].get("sent") for c in report["clients"])
    broken = tmp_path / "clients" / "imprimerie-roux.toml"
    broken.write_text("[source\n")
    result = invoke("--firm", firm, "--today", TODAY, "status", "--all", "--json")
    assert result.exit_code == 1  # monitoring: someone has to look
    errors = {c["client"]: c["errors"] for c in json.loads(result.output)["clients"]}
    assert errors["imprimerie-roux"] and not errors["garage-durand"]


def test_db_upgrade_reports_the_revision(tmp_path: Path) -> None:
    scripts = ScriptDirectory.from_config(_alembic_config())
    result = invoke("--firm", str(write_firm(tmp_path)), "db", "upgrade")
    assert result.exit_code == 0
    assert f"schéma à la révision {scripts.get_current_head()}" in result.output


def _alembic_config() -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config
