"""Sage OAuth: the loopback consent, rotating refresh tokens, serialized refreshes, secrecy."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
import requests

from connector.adapters.sage import SageAdapter, SageConfig
from connector.adapters.sage.auth import (
    PREVIOUS,
    TOKENS,
    TokenPair,
    authorize,
    token_age_warning,
)
from connector.errors import AuthError, ConfigError, TransientError
from connector.secrets import SecretStore
from tests.adapters.contract import drain
from tests.adapters.sage.fixtures import (  # noqa: F401 - fixtures
    make_adapter,
    needs_sage_spec,
    sage,
    seed,
)
from tests.fakes.sage_server import RunningSage, SageFake, start_sage


def _browser(log: list[str]) -> Any:
    """Plays the user's browser: follows the authorize URL, consents, lands on the loopback page."""
    def open_browser(url: str) -> None:
        log.append(url)
        answer = requests.get(url, timeout=10)
        log.append(str(answer.status_code))
    return open_browser


def test_authorize_end_to_end(sage: RunningSage, tmp_path: Path) -> None:  # noqa: F811
    secrets = SecretStore("acme")
    secrets.set("source", sage.fake.client_secret)
    second = sage.fake.add_business("SAS Seconde")
    config = SageConfig(**sage.config())
    seen: list[str] = []
    offered: list[list[dict[str, Any]]] = []

    def pick(businesses: list[dict[str, Any]]) -> str:
        offered.append(businesses)
        return second

    assert authorize(config, secrets, open_browser=_browser(seen), pick_business=pick) == second
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(seen[0]).query))
    assert query["client_id"] == sage.fake.client_id and query["response_type"] == "code"
    assert query["redirect_uri"].startswith("http://127.0.0.1:") and len(query["state"]) >= 24
    assert seen[1] == "200"  # the loopback page answered the browser
    assert [b["name"] for b in offered[0]] == ["SARL Démo Relance", "SAS Seconde"]
    stored = TokenPair.from_json(secrets.get(TOKENS))
    assert stored.refresh_token == sage.fake.refresh_token_now()
    # the stored pair works for the chosen business
    adapter = SageAdapter(SageConfig(**sage.config(business_id=second)),
                          _context(secrets, tmp_path))
    assert adapter.check().user == "SAS Seconde"


def test_authorize_single_business_needs_no_choice(sage: RunningSage) -> None:  # noqa: F811
    secrets = SecretStore("solo")
    secrets.set("source", sage.fake.client_secret)
    assert authorize(SageConfig(**sage.config()), secrets, open_browser=_browser([]),
                     pick_business=None) == sage.business_id


def test_authorize_checks_the_state(sage: RunningSage) -> None:  # noqa: F811
    secrets = SecretStore("acme")
    secrets.set("source", sage.fake.client_secret)

    def forged(url: str) -> None:
        parts = urllib.parse.urlsplit(url)
        query = dict(urllib.parse.parse_qsl(parts.query))
        query["state"] = "forged"
        requests.get(parts._replace(query=urllib.parse.urlencode(query)).geturl(), timeout=10)

    with pytest.raises(AuthError, match="wrong state"):
        authorize(SageConfig(**sage.config()), secrets, open_browser=forged, pick_business=None)
    assert secrets.get(TOKENS, required=False) is None
    assert sage.fake.token_calls == []  # the code was never exchanged


def test_authorize_with_several_businesses_and_no_picker(sage: RunningSage) -> None:  # noqa: F811
    sage.fake.add_business("Autre")
    secrets = SecretStore("acme")
    secrets.set("source", sage.fake.client_secret)
    with pytest.raises(ConfigError, match="several businesses"):
        authorize(SageConfig(**sage.config()), secrets, open_browser=_browser([]),
                  pick_business=None)


class RecordingSecrets(SecretStore):
    """Records every keyring write and delete, with the fake's token calls, in order."""

    def __init__(self, tenant: str, fake: SageFake, events: list[str]) -> None:
        super().__init__(tenant)
        self.fake, self.events = fake, events

    def set(self, name: str, value: str) -> None:
        if name in (TOKENS, PREVIOUS):
            self.events.append(f"set {name} {json.loads(value)['refresh_token']} "
                               f"after {len(self.fake.token_calls)} token calls")
        super().set(name, value)

    def delete(self, name: str) -> None:
        self.events.append(f"delete {name} after {len(self.fake.token_calls)} token calls")
        super().delete(name)


def _context(secrets: SecretStore, tmp_path: Path) -> Any:
    from connector.adapters.base import AdapterContext
    from tests.adapters.sage.fixtures import TODAY
    return AdapterContext(secrets.tenant, secrets, TODAY, tmp_path, sleep=lambda s: None)


def _expire(secrets: SecretStore) -> None:
    data = json.loads(secrets.get(TOKENS))
    data["expires_at"] = 0.0
    secrets.set(TOKENS, json.dumps(data))


def test_rotation_stores_new_pair_before_old_is_discarded(sage: RunningSage,  # noqa: F811
                                                          tmp_path: Path) -> None:
    events: list[str] = []
    secrets = RecordingSecrets("acme", sage.fake, events)
    secrets.set("source", sage.fake.client_secret)
    old = sage.grant_tokens()
    old["expires_at"] = 0.0
    SecretStore.set(secrets, TOKENS, json.dumps(old))
    adapter = SageAdapter(SageConfig(**sage.config()), _context(secrets, tmp_path))
    drain(adapter.customers(None))
    new = sage.fake.refresh_token_now()
    assert new != old["refresh_token"]
    assert events == [
        f"set {PREVIOUS} {old['refresh_token']} after 1 token calls",  # the fallback, first
        f"set {TOKENS} {new} after 1 token calls",  # the new pair, at once
        f"delete {PREVIOUS} after 1 token calls",  # only once the new pair served a call
    ]
    assert adapter.tokens.refresh_count == 1


@pytest.mark.parametrize("fault", ["500_before_rotate", "500_after_rotate", "drop_after_rotate"])
def test_refresh_failing_mid_run_loses_no_token(sage: RunningSage, tmp_path: Path,  # noqa: F811
                                                fault: str) -> None:
    seed(sage)
    adapter = make_adapter(sage, tmp_path, expired=True)
    kept = adapter.tokens.load()
    # the transport retries the call whose auth failed, so the fault must outlast its 5 attempts
    sage.fake.token_faults.extend([fault] * 5)
    with pytest.raises(TransientError):
        drain(adapter.customers(None))
    assert adapter.tokens.load() == kept  # the pair we had is still the stored one
    # the next run succeeds with what was kept
    again = make_adapter(sage, tmp_path, tokens=False)
    assert len(drain(again.customers(None))[0]) == 3
    assert again.tokens.load().refresh_token == sage.fake.refresh_token_now()
    assert SecretStore("acme").get(PREVIOUS, required=False) is None


def test_new_pair_refused_falls_back_to_previous(sage: RunningSage, tmp_path: Path) -> None:  # noqa: F811
    adapter = make_adapter(sage, tmp_path, expired=True)
    adapter.tokens.ensure_fresh()  # refreshed, not yet used: the previous pair is still kept
    with sage.fake.lock:
        sage.fake.grants.pop()  # the server lost the rotation (never committed it)
    _expire(SecretStore("acme"))
    again = make_adapter(sage, tmp_path, tokens=False)
    assert again.check().kind == "sage"
    assert sage.fake.token_calls == ["refresh_token", "refresh_token", "refresh_token"]


def test_concurrent_refreshes_are_serialized(sage: RunningSage, tmp_path: Path) -> None:  # noqa: F811
    sage.fake.token_delay = 0.3
    one = make_adapter(sage, tmp_path, expired=True)
    two = make_adapter(sage, tmp_path, tokens=False)  # a second instance of the same tenant
    barrier = threading.Barrier(2)
    headers: list[dict[str, str]] = []

    def run(adapter: SageAdapter) -> None:
        barrier.wait()
        headers.append(adapter.tokens.auth_header())

    threads = [threading.Thread(target=run, args=(a,)) for a in (one, two)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sage.fake.token_calls == ["refresh_token"]
    assert headers[0] == headers[1]


def test_old_refresh_token_refused_once_rotated(tmp_path: Path) -> None:
    running = start_sage(SageFake(strict_rotation=True))
    try:
        adapter = make_adapter(running, tmp_path, expired=True)
        old = adapter.tokens.load()
        adapter.check()
        answer = requests.post(running.token_url, data={
            "grant_type": "refresh_token", "refresh_token": old.refresh_token,
            "client_id": running.fake.client_id, "client_secret": running.fake.client_secret},
            timeout=10)
        assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"
    finally:
        running.stop()


def test_invalid_grant_tells_the_user_what_to_do(sage: RunningSage, tmp_path: Path) -> None:  # noqa: F811
    adapter = make_adapter(sage, tmp_path, expired=True)
    sage.fake.revoke_all()
    with pytest.raises(AuthError, match=r"invalid_grant.*run `relance auth sage` again"):
        adapter.check()


def test_missing_tokens_point_to_auth(sage: RunningSage, tmp_path: Path) -> None:  # noqa: F811
    adapter = make_adapter(sage, tmp_path, tokens=False)
    with pytest.raises(AuthError, match="relance auth sage"):
        adapter.check()


def test_token_age_warning() -> None:
    issued = {"refresh_issued_at": "2026-11-01T08:00:00+00:00"}
    assert token_age_warning(issued, dt.date(2026, 11, 25)) is None  # day 24
    assert "expires in 6 day(s)" in token_age_warning(issued, dt.date(2026, 11, 26))  # day 25
    assert "expired" in token_age_warning(issued, dt.date(2026, 12, 2))  # day 31
    assert "relance auth sage" in token_age_warning(None, dt.date(2026, 11, 26))


def test_tokens_never_in_logs_or_errors(sage: RunningSage, tmp_path: Path,  # noqa: F811
                                        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    seed(sage)
    secrets = SecretStore("acme")
    secrets.set("source", sage.fake.client_secret)
    authorize(SageConfig(**sage.config()), secrets, open_browser=_browser([]), pick_business=None)
    _expire(secrets)
    adapter = SageAdapter(SageConfig(**sage.config()), _context(secrets, tmp_path))
    adapter.check()
    drain(adapter.invoices(None))
    pairs = [adapter.tokens.load()]
    sage.fake.revoke_all()
    _expire(secrets)
    with pytest.raises(AuthError) as refused:
        adapter.check()
    secret_values = [sage.fake.client_secret] + [v for p in pairs for v in
                                                 (p.access_token, p.refresh_token)]
    secret_values += [g for g in sage.fake.codes]
    texts = [caplog.text, str(refused.value), repr(pairs[0]), repr(adapter.config)]
    for value in secret_values:
        assert all(value not in text for text in texts)


def test_access_token_refused_early_is_refreshed_once(sage: RunningSage,  # noqa: F811
                                                      tmp_path: Path) -> None:
    adapter = make_adapter(sage, tmp_path)
    adapter.check()
    sage.fake.expire_access()  # dead before its stored expiry
    assert len(drain(adapter.customers(None))[0]) == 0
    assert sage.fake.token_calls == ["refresh_token"]
    sage.fake.revoke_all()
    with pytest.raises(AuthError, match="relance auth sage"):
        drain(adapter.customers(None))
