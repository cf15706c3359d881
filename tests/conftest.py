"""Shared fixtures: an in-memory system keyring; the state database on SQLite and PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend

from connector.store.store import Store
from tests.pg import PgServer, start_server, unavailable

# The CLI speaks the tenant's language once a config is loaded, RELANCE_LANG or the locale before:
# the suite asserts the French, whatever the machine's locale (tests that want English set it).
os.environ["RELANCE_LANG"] = "fr"

# `RELANCE_TEST_YEARS_AHEAD=3 pytest …` runs the suite as if the machine's clock read three years
# later (tests/test_clock.py does it for the tests that step through dates): the product reads time
# only through connector.clock, so moving `system_now` moves every clock at once.
if os.environ.get("RELANCE_TEST_YEARS_AHEAD"):
    import datetime as _dt

    import connector.clock as _clock

    _machine = _clock.system_now
    _ahead = _dt.timedelta(days=round(365.25 * float(os.environ["RELANCE_TEST_YEARS_AHEAD"])))
    _clock.system_now = lambda: _machine() + _ahead


class MemoryKeyring(KeyringBackend):
    """A keyring that lives in a dict: the real protocol, no disk, no desktop session."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.passwords.pop((service, username), None)


@pytest.fixture(autouse=True)
def fresh_process_budgets() -> Iterator[None]:
    """Each test starts with no rate budget shared in this process, as a new process would:
    `budget.shared_budget` keeps the first budget made for a (token, host), and a fake server's
    port is reused by later tests on the same xdist worker, so a test found an earlier test's
    budget with its limit (10,000 a minute where it asked 100: a CI failure of
    test_budget_is_per_business)."""
    from connector import budget

    with budget._budgets_lock:
        budget._budgets.clear()
    yield


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


# -- the store on SQLite and on PostgreSQL ---------------------------------------------------------
@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """One PostgreSQL server for the whole session (skipped where PostgreSQL is not installed);
    under `pytest -n 2` each worker is a session of its own: its own server, data folder and port."""
    reason = unavailable()
    if reason and os.environ.get("CI"):
        pytest.fail(f"CI must run the PostgreSQL tests: {reason}")
    if reason:
        pytest.skip(reason)
    server = start_server()
    try:
        # one migrated template: each test's database is a cheap copy of it
        template = server.create_database()
        Store(template).close()
        server.template = template.rsplit("/", 1)[1]
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh state database: a SQLite file, or a new database on the session's PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'state.db'}"
        return
    server: PgServer = request.getfixturevalue("pg_server")
    url = server.create_database(template=server.template)
    yield url
    server.drop_database(url)
