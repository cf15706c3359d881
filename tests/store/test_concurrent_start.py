"""Twenty processes opening a fresh store at once (issue 15, case 10): one migrates under a lock,
the others wait and go on; none dies with a traceback or reports a busy database as a config error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from connector.store.store import Store, current_revision, head_revision
from tests.pg import PgServer

ROOT = Path(__file__).resolve().parents[2]
OPEN = ("import sys; from connector.store.store import Store; "
        "s = Store(sys.argv[1]); s.close(); print('ok')")


def first_starts(url: str, count: int = 20) -> list[tuple[int, str, str]]:
    processes = [subprocess.Popen([sys.executable, "-c", OPEN, url], cwd=ROOT, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for _ in range(count)]
    results = []
    for process in processes:
        out, err = process.communicate(timeout=180)
        results.append((process.returncode, out, err))
    return results


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_twenty_first_starts_at_once_all_succeed(tmp_path: Path, dialect: str,
                                                 request: pytest.FixtureRequest) -> None:
    if dialect == "sqlite":
        url = f"sqlite:///{tmp_path / 'fresh.db'}"
    else:
        server: PgServer = request.getfixturevalue("pg_server")
        url = server.create_database()  # empty: no schema yet
    results = first_starts(url)
    failures = [(code, err[-400:]) for code, _out, err in results if code != 0]
    assert not failures, failures
    assert all(out.strip() == "ok" for _code, out, _err in results)
    store = Store(url, migrate=False)
    assert current_revision(store.engine) == head_revision()
    store.close()
