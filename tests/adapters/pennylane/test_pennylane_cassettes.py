"""Recorded Pennylane exchanges replayed with record_mode="none": the adapter works from cassettes
alone, with no server and no network, and no credential is ever written into a cassette.

The cassettes were recorded against the fake Pennylane (which validates every exchange against the
OpenAPI document). Re-record with:
    RELANCE_RECORD_CASSETTES=1 pytest tests/adapters/test_pennylane_cassettes.py
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest
import vcr

from connector.adapters.base import AdapterContext, PushRequest
from connector.adapters.pennylane import PennylaneAdapter, PennylaneConfig
from connector.budget import RateBudget
from connector.secrets import SecretStore
from tests.adapters.contract import drain

CASSETTES = Path(__file__).resolve().parent.parent.parent / "cassettes" / "pennylane"
RECORD = os.environ.get("RELANCE_RECORD_CASSETTES") == "1"
# Fixed instants: the changelog start_date and the appendix name must be the same on replay.
NOW = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)
TOKEN = "pl-cassette-token-7f3a9c1e5b2d"
KEY = "rl-cassette-0001"

pytestmark = pytest.mark.filterwarnings("ignore:Unsupported scheme type:UserWarning")

recorder = vcr.VCR(
    cassette_library_dir=str(CASSETTES),
    record_mode="all" if RECORD else "none",
    match_on=["method", "path", "query"],  # not host/port: the fake's port changes every run
    filter_headers=["authorization"],
    decode_compressed_response=True,
)


class _NoTime:
    t = 0.0

    def clock(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds


def scenario(base_url: str, state_dir: Path, fake: Any = None) -> dict[str, Any]:
    """check, full read, (a payment), increment, refresh, appendix push, find it again."""
    SecretStore("t1").set("source", TOKEN)
    no_time = _NoTime()
    context = AdapterContext("t1", SecretStore("t1"), NOW.date(), state_dir, sleep=no_time.sleep)
    adapter = PennylaneAdapter(PennylaneConfig(base_url=base_url, trace="appendix"), context)
    adapter.now = lambda: NOW
    adapter.http.budget = RateBudget(25, 5.0, clock=no_time.clock, sleep=no_time.sleep)
    info = adapter.check()
    customers, _ = drain(adapter.customers(None))
    invoices, cursor = drain(adapter.invoices(None))
    target = next(i for i in invoices if i.is_open and i.kind == "invoice")
    if fake is not None:
        fake.pay(int(target.external_id))
    changed, new_cursor = drain(adapter.invoices(cursor))
    fresh = adapter.refresh([target.external_id])
    pushed = adapter.push_note(PushRequest(
        key=KEY, invoice_ids=[target.external_id], customer_id=target.customer_id, level="N1",
        channel="email", summary="Relance 1", body="Votre facture est échue.",
        recipients=["compta@exemple.fr"]))
    found = adapter.find_pushed(KEY)
    adapter.close()
    return {"info": info, "customers": customers, "invoices": invoices, "target": target,
            "changed": changed, "cursor": new_cursor, "fresh": fresh, "pushed": pushed,
            "found": found}


@pytest.fixture
def recorded(tmp_path: Path) -> dict[str, Any]:
    if not RECORD:
        with recorder.use_cassette("sync_and_push.yaml"):
            return scenario("https://pennylane.invalid/api/external/v2", tmp_path)
    from tests.fakes.pennylane_server import FakePennylane

    fake = FakePennylane(token=TOKEN)
    fake.clock_offset = NOW - dt.datetime.now(dt.UTC).replace(microsecond=0)
    fake.start()
    try:
        fake.seed(customers=4, invoices=10, seed=3)
        with recorder.use_cassette("sync_and_push.yaml"):
            result = scenario(fake.base_url, tmp_path, fake)
    finally:
        fake.stop()
    assert fake.violations == [], fake.violations
    return result


def test_replayed_sync_and_push(recorded: dict[str, Any]) -> None:
    assert recorded["info"].missing_rights == [] and recorded["info"].version == "v2"
    assert len(recorded["customers"]) == 4 and len(recorded["invoices"]) >= 9
    target = recorded["target"]
    assert [i.external_id for i in recorded["changed"]] == [target.external_id]
    assert recorded["changed"][0].status == "paid" and recorded["changed"][0].residual == 0
    assert recorded["cursor"]["changelog"]
    assert [(i.external_id, i.status) for i in recorded["fresh"]] == [(target.external_id, "paid")]
    assert recorded["found"] == recorded["pushed"]


def test_cassettes_hold_no_credentials() -> None:
    files = sorted(CASSETTES.glob("*.yaml"))
    assert files, "no Pennylane cassette found"
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert TOKEN not in text, path
        assert "bearer" not in text.lower(), path
        assert "authorization" not in text.lower(), path
