"""Shared set-up of the Odoo adapter tests: a fake server and an adapter talking to it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from connector.adapters.base import AdapterContext
from connector.adapters.odoo import OdooAdapter, OdooConfig
from connector.adapters.odoo.push import parse_task_remote_id
from connector.secrets import SecretStore
from tests.fakes.odoo_server import FakeOdooServer

TODAY = dt.date(2026, 11, 27)
# The same tests on both transports: XML-RPC (16-18, here 17) and JSON-2 (19+).
TRANSPORTS = [pytest.param("17.0", id="xmlrpc"), pytest.param("19.0", id="json2")]


def make_adapter(server: FakeOdooServer | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                 *, url: str | None = None, key: str | None = None,
                 **config: Any) -> OdooAdapter:
    """An adapter on the fake, key in $ODOO_KEY, no real sleeping between retries."""
    if server is None:
        assert url is not None and key is not None
        base, database, username = url, "dunning", "bot@example.fr"
    else:
        base, database, username, server_key = server.credentials()
        base, key = url or base, key or server_key
    monkeypatch.setenv("ODOO_KEY", key)
    settings: dict[str, Any] = {"url": base, "database": database, "username": username,
                                "secret_env": "ODOO_KEY", **config}
    context = AdapterContext("t1", SecretStore("t1"), TODAY, tmp_path, sleep=lambda s: None)
    adapter = OdooAdapter(OdooConfig(**settings), context)
    adapter.http.timeout = (2.0, 5.0)
    return adapter


def pushed_activities(server: FakeOdooServer, pushed: str) -> list[dict[str, Any]]:
    """The activities a `push_task` answer names (`invoice:activity` pairs), still in Odoo."""
    pairs = parse_task_remote_id(pushed)
    assert pairs is not None, pushed
    table = server.data.tables["mail.activity"]
    return [table[activity] for _, activity in pairs if activity in table]
