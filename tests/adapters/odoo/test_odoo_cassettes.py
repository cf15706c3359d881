"""The adapter's XML-RPC conversation, replayed from vcrpy cassettes (no server, no network).

The cassettes under tests/cassettes/odoo/ were recorded once against the fake Odoo server:

    RELANCE_RECORD_CASSETTES=1 python -m pytest tests/adapters/test_odoo_cassettes.py

Requests are matched on method, path and body (never host or port: the fake's port is random).
The API key is scrubbed from request bodies before anything is written or matched, so replay
works with any key, and the files hold none.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import vcr

from connector.adapters.base import PushRequest
from connector.adapters.odoo import OdooAdapter
from connector.errors import AuthError
from tests.adapters.contract import drain
from tests.adapters.odoo.helpers import make_adapter
from tests.fakes.odoo_server import API_KEY, FakeOdooServer, running_fake_odoo

CASSETTES = Path(__file__).parent.parent.parent / "cassettes" / "odoo"
RECORD = os.environ.get("RELANCE_RECORD_CASSETTES") == "1"
REPLAY_URL = "http://odoo.invalid:8069"  # nothing listens there: replay must not need it
REPLAY_KEY = "replay-key-3f9a0c1d5e"
PLACEHOLDER = b"SCRUBBED-API-KEY"


def scrubber(*keys: str) -> Callable[[Any], Any]:
    def scrub(request: Any) -> Any:  # vcrpy hands us a copy of the request
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        for key in keys:
            body = body.replace(key.encode("utf-8"), PLACEHOLDER)
        request.body = body
        return request
    return scrub


@contextmanager
def conversation(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                 **config: Any) -> Iterator[tuple[OdooAdapter, FakeOdooServer | None]]:
    """An adapter whose calls are recorded (RECORD) or replayed from `name`.yaml."""
    recorder = vcr.VCR(
        cassette_library_dir=str(CASSETTES),
        record_mode="all" if RECORD else "none",
        match_on=["method", "path", "body"],
        before_record_request=scrubber(API_KEY, REPLAY_KEY, "wrong-key-for-cassette"),
        decode_compressed_response=True,
    )
    if RECORD:
        with running_fake_odoo() as odoo:
            odoo.data.now = "2026-11-26 10:00:00"  # deterministic write dates
            adapter = make_adapter(odoo, tmp_path, monkeypatch, **config)
            with recorder.use_cassette(f"{name}.yaml"):
                yield adapter, odoo
        return
    adapter = make_adapter(None, tmp_path, monkeypatch, url=REPLAY_URL,
                           key=config.pop("key", REPLAY_KEY), **config)
    with recorder.use_cassette(f"{name}.yaml"):
        yield adapter, None


def test_sync_conversation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with conversation("sync", tmp_path, monkeypatch, page_size=3) as (adapter, odoo):
        info = adapter.check()
        assert info.version == "17.0-20240709" and info.missing_rights == []
        customers, _ = drain(adapter.customers(None))
        assert {c.external_id for c in customers} == {"7", "8", "9"}
        invoices, cursor = drain(adapter.invoices(None))
        assert len(invoices) == 7
        if odoo is not None:
            odoo.register_payment(4, 200.0)
        changed = {i.external_id: i for i in drain(adapter.invoices(cursor))[0]}
        assert changed["4"].status == "partial"
        assert changed["4"].residual == Decimal("1000.00")
        fresh = adapter.refresh(["4", "9", "999999"])
        assert sorted(i.external_id for i in fresh) == ["4", "9"]
        nine = next(i for i in fresh if i.external_id == "9")
        assert [i.due_date for i in nine.instalments] == [dt.date(2026, 9, 15),
                                                          dt.date(2026, 11, 14)]


def test_push_conversation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    request = PushRequest(key="c0ffee42", invoice_ids=["4"], customer_id="8", level="1",
                          channel="email", summary="Relance 1", body="Merci de régler.",
                          recipients=["ap@beta.example"], due_date=dt.date(2026, 12, 1))
    with conversation("push", tmp_path, monkeypatch, activity_user="marie@example.fr") as (
            adapter, _):
        assert adapter.find_pushed("c0ffee42") is None
        note = adapter.push_note(request)
        assert adapter.find_pushed("c0ffee42") == note
        task = adapter.push_task(PushRequest(**{**request.__dict__, "key": "c0ffee43"}))
        assert adapter.find_pushed("c0ffee43") == task


def test_refused_key_conversation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with conversation("refused-key", tmp_path, monkeypatch, key="wrong-key-for-cassette") as (
            adapter, _):
        with pytest.raises(AuthError, match="bot@example.fr on database dunning"):
            adapter.check()


def test_cassettes_hold_no_key() -> None:
    files = sorted(CASSETTES.glob("*.yaml"))
    assert {f.stem for f in files} >= {"sync", "push", "refused-key"}
    for file in files:
        text = file.read_text(encoding="utf-8")
        assert API_KEY not in text and REPLAY_KEY not in text
        assert "wrong-key-for-cassette" not in text
        assert PLACEHOLDER.decode() in text
