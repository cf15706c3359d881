"""Monitoring a firm: `status --all --json` and `/metrics` say what waits for approval and since
when, which client's runs fail, how stale each client's sync is, and which client file is broken;
from a fixed number of queries whatever the number of clients."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import event

from connector.app.scheduler import run_tenant
from connector.store import monitor, outbox
from connector.store.store import Store
from connector.web.site import open_site
from tests.helpers import NOW, write_firm
from tests.pg import PgServer
from tests.test_cli import TODAY, invoke
from tests.web.server import serving

HOLD = 'seed = 4\ncustomers = 12\ninvoices = 90\n\n[policy]\nonboarding = "hold"\n'
LATER = NOW + dt.timedelta(hours=3)


def _firm(tmp_path: Path, state: str) -> Path:
    """`held` keeps every message for approval, `fine` sends, `down` cannot reach its Odoo, and
    `typo` does not load."""
    firm = write_firm(tmp_path / "firm", state=state, clients={
        "held": HOLD, "fine": 'seed = 5\ncustomers = 10\ninvoices = 80\n'})
    (firm / "clients" / "down.toml").write_text(
        '[source]\nkind = "odoo"\nurl = "http://127.0.0.1:9"\ndatabase = "d"\n'
        'username = "u"\nsecret_env = "ODOO_KEY_DOWN"\n', encoding="utf-8")
    (firm / "clients" / "typo.toml").write_text("[source\n", encoding="utf-8")
    for slug in ("held", "fine", "down"):
        run_tenant(firm / "clients" / f"{slug}.toml", dt.date.fromisoformat(TODAY),
                   clock=lambda: NOW)
    return firm


def test_status_all_json_gives_each_clients_health(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ODOO_KEY_DOWN", "k")
    firm = _firm(tmp_path, "sqlite:///relance.db")
    result = invoke("--firm", str(firm), "--today", TODAY, "status", "--all", "--json")
    assert result.exit_code == 1  # down and typo need someone
    health = json.loads(result.output)["health"]
    clients = health["clients"]
    assert sorted(clients) == ["down", "fine", "held"] and health["not_loaded"] == ["typo"]
    store = Store(f"sqlite:///{firm / 'relance.db'}")
    try:
        held = outbox.counts(store, "held")
    finally:
        store.close()
    assert held["pending_approval"] > 0 and held.get("sent", 0) == 0
    assert clients["held"]["pending_approval"] == held["pending_approval"]
    assert clients["held"]["outbox"] == held
    assert clients["fine"]["outbox"].get("sent", 0) > 0 and clients["fine"]["pending_approval"] == 0
    assert clients["down"]["last_sync_failed"] and clients["down"]["failed_runs_24h"] == {
        "reminders": 1}
    assert clients["down"]["last_sync_ok"] is None and clients["down"]["sync_lag_s"] is None
    assert not clients["fine"]["failed_runs_24h"] and clients["fine"]["last_sync_ok"]
    assert health["totals"]["outbox"]["pending_approval"] == held["pending_approval"]


def test_metrics_endpoint_needs_its_token_and_serves_the_same_figures(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ODOO_KEY_DOWN", "k")
    monkeypatch.setenv("RELANCE_METRICS_TOKEN", "jeton-de-supervision")
    firm = _firm(tmp_path, "sqlite:///relance.db")
    site = open_site(None, str(firm), today=dt.date.fromisoformat(TODAY), clock=lambda: LATER)
    with serving(site) as base:
        assert httpx.get(f"{base}/metrics").status_code == 401
        assert httpx.get(f"{base}/metrics", headers={
            "authorization": "Bearer wrong"}).status_code == 401
        answer = httpx.get(f"{base}/metrics",
                           headers={"authorization": "Bearer jeton-de-supervision"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(answer.text)
               for s in family.samples}
    assert samples[("relance_client_loaded", (("client", "typo"),))] == 0
    assert samples[("relance_client_loaded", (("client", "held"),))] == 1
    waiting = samples[("relance_pending_approval_messages", (("client", "held"),))]
    assert waiting > 0 and samples[("relance_outbox_messages", (
        ("client", "held"), ("status", "pending_approval")))] == waiting
    # created at NOW, scraped at NOW + 3 h
    assert samples[("relance_pending_approval_oldest_seconds", (("client", "held"),))] == 3 * 3600
    assert samples[("relance_sync_lag_seconds", (("client", "fine"),))] == 3 * 3600
    assert ("relance_sync_lag_seconds", (("client", "down"),)) not in samples  # never synced
    assert samples[("relance_runs_failed_24h", (("client", "down"), ("job", "reminders")))] == 1
    assert samples[("relance_last_sync_failed", (("client", "down"),))] == 1


def test_metrics_off_without_a_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RELANCE_METRICS_TOKEN", raising=False)
    firm = write_firm(tmp_path / "firm", clients={"fine": "seed = 5\n"})
    with serving(open_site(None, str(firm), clock=lambda: NOW)) as base:
        assert httpx.get(f"{base}/metrics").status_code == 404


@pytest.mark.parametrize("store_url", ["sqlite", "postgresql"], indirect=True)
def test_health_costs_the_same_queries_for_3_or_300_tenants(store_url: str) -> None:
    store = Store(store_url)
    statements: list[str] = []
    event.listen(store.engine, "before_cursor_execute",
                 lambda _c, _cur, sql, *_a: statements.append(sql))
    try:
        counts = []
        for size in (3, 300):
            statements.clear()
            found = monitor.health(store, [f"t{n}" for n in range(size)], NOW)
            assert len(found) == size and found["t1"].due == 0
            counts.append(len(statements))
    finally:
        store.close()
    assert counts[0] == counts[1] and counts[0] <= 10


def test_queue_jobs_waiting_are_counted_per_client(tmp_path: Path, pg_server: PgServer) -> None:
    from connector.app import worker
    state = pg_server.create_database()
    worker.ensure_schema(state)
    firm = write_firm(tmp_path / "firm", state=state, clients={"fine": "seed = 5\n",
                                                               "other": "seed = 6\n"})
    app = worker.build_app(state)
    with app.open():
        worker.defer(app, str(firm / "clients" / "fine.toml"), "sync", "fine")
        worker.defer(app, str(firm / "clients" / "fine.toml"), "reminders", "fine")
    store = Store(state)
    try:
        found = monitor.health(store, ["fine", "other"], NOW)
    finally:
        store.close()
    assert found["fine"].jobs == {"todo": 2} and found["other"].jobs == {}
