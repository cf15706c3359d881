"""A throwaway PostgreSQL server for the test suite, started from the machine's initdb/pg_ctl.

initdb refuses to run as root (tests and CI run as root here), so as root the server runs as the
`postgres` system user, in a temporary directory that user owns. Trust auth on 127.0.0.1 only, a
free port, stopped with `pg_ctl stop -m immediate` at the end of the session.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from tests.delivery.test_email import free_port


def find_bin_dir() -> Path | None:
    """Where initdb and pg_ctl live: on PATH, else the Debian layout."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    return Path(candidates[0]).parent if candidates else None


@dataclass
class PgServer:
    bin_dir: Path
    root: Path
    port: int = 0
    user: str = "postgres"
    template: str | None = None

    @property
    def _as_root(self) -> bool:
        return os.geteuid() == 0

    def _run(self, *args: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self._as_root else []
        subprocess.run([*prefix, *args], check=True, capture_output=True, text=True, timeout=120)

    def start(self) -> None:
        data = self.root / "data"
        if self._as_root:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(str(self.bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", self.user,
                  "-E", "UTF8", "--locale=C", "--no-sync")
        self.port = free_port()
        options = (f"-p {self.port} -h 127.0.0.1 -k '' -c fsync=off -c synchronous_commit=off "
                   "-c full_page_writes=off -c max_connections=200")
        self._run(str(self.bin_dir / "pg_ctl"), "start", "-w", "-t", "60", "-D", str(data),
                  "-l", str(self.root / "server.log"), "-o", options)

    def stop(self) -> None:
        try:
            self._run(str(self.bin_dir / "pg_ctl"), "stop", "-m", "immediate",
                      "-D", str(self.root / "data"))
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def create_database(self, template: str | None = None) -> str:
        """A fresh, empty (or template-copied) database; returns its SQLAlchemy URL."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            query += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        self._admin(query)
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Drop a test's database, closing what the test left connected (PostgreSQL 13+)."""
        name = url.rsplit("/", 1)[1]
        self._admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))

    def _admin(self, query: sql.Composable) -> None:
        with psycopg.connect(host="127.0.0.1", port=self.port, user=self.user,
                             dbname="postgres", autocommit=True) as conn:
            conn.execute(query)


def unavailable() -> str | None:
    """Why no server can be started here, or None."""
    if find_bin_dir() is None:
        return ("PostgreSQL is not installed (no initdb on PATH nor in /usr/lib/postgresql); "
                ".ci/run installs it")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no `postgres` user to run initdb as"
    return None


def start_server() -> PgServer:
    """Start one server (check `unavailable()` first)."""
    bin_dir = find_bin_dir()
    assert bin_dir is not None
    server = PgServer(bin_dir, Path(tempfile.mkdtemp(prefix="relance-pg-")))
    try:
        server.start()
    except BaseException:
        shutil.rmtree(server.root, ignore_errors=True)
        raise
    return server
