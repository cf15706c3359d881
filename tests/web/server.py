"""The cockpit served for real: uvicorn on 127.0.0.1 (a free port) in a thread, and the sites the
tests log into (a company on the demo ledger, a firm of three clients)."""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn

from connector.app import users as users_app
from connector.clock import Now
from connector.web.app import create_app
from connector.web.site import Site, open_site
from tests.helpers import NOW, write_firm
from tests.test_cli import TODAY, invoke
from tests.test_cli_review import _demo_dir

PASSWORD = "un-mot-de-passe-solide"
PATIENCE = httpx.Timeout(60.0)
"""How long a test waits for a page: httpx's 5 s default timed out once on a loaded 2-core
machine (the suite's two workers beside other jobs). The tests judge what a page says, never how
fast it came."""


@contextmanager
def serving(site: Site) -> Iterator[str]:
    """The base URL of the running cockpit; stopped (and its stores closed) on exit."""
    config = uvicorn.Config(create_app(site), host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(500):  # network start-up, not business time: bounded
        if server.started:
            break
        time.sleep(0.01)
    assert server.started, "uvicorn did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        site.close()


def company(tmp_path: Path, *, clock: Now = lambda: NOW) -> tuple[Site, Path]:
    """The demo company with every message held for approval, and an admin `marie`."""
    workdir = _demo_dir(tmp_path, "hold")
    assert invoke("--today", TODAY, "demo", "--dir", str(workdir)).exit_code == 0
    config = workdir / "relance.toml"
    site = open_site(str(config), None, today=dt.date.fromisoformat(TODAY), clock=clock)
    users_app.add(site.users, "marie", PASSWORD, role="admin", clients=[], now=NOW)
    return site, workdir


def firm(tmp_path: Path) -> Site:
    """Three client companies synced; `paul` collects for garage-durand only, `ines` reads
    imprimerie-roux, `anne` is the firm's admin."""
    directory = write_firm(tmp_path / "firm")
    synced = invoke("--firm", str(directory), "--today", TODAY, "sync")
    assert synced.exit_code == 0, synced.output
    site = open_site(None, str(directory), today=dt.date.fromisoformat(TODAY),
                     clock=lambda: NOW)
    users_app.add(site.users, "anne", PASSWORD, role="admin", clients=[], now=NOW)
    users_app.add(site.users, "paul", PASSWORD, role="collector", clients=["garage-durand"],
                  now=NOW)
    users_app.add(site.users, "ines", PASSWORD, role="reader", clients=["imprimerie-roux"],
                  now=NOW)
    return site


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def log_in(client: httpx.Client, login: str, password: str = PASSWORD) -> httpx.Response:
    page = client.get("/login")
    return client.post("/login", data={"login": login, "password": password,
                                       "csrf": csrf_of(page.text), "next": "/"})


def with_tasks(tmp_path: Path) -> Site:
    """The demo company two runs in (a call task per customer at the second level), `marie`'s."""
    workdir = _demo_dir(tmp_path, "gentle", extra='owner = "marie"\n')
    config = str(workdir / "relance.toml")
    later = "2026-12-14"
    assert invoke("--config", config, "--today", TODAY, "run").exit_code == 0
    assert invoke("--config", config, "--today", later, "run").exit_code == 0
    site = open_site(config, None, today=dt.date.fromisoformat(later), clock=lambda: NOW)
    users_app.add(site.users, "marie", PASSWORD, role="collector", clients=["demo"], now=NOW)
    return site
