"""Fault trials: sync + run against a fake answering a share of calls with 429, 5xx, timeouts,
resets or malformed bodies must end in the same store as a fault-free run.

Runs in process (no kill here): failed syncs are simply run again, reminders rescheduled by a
transient failure are delivered by a later run with the clock moved on, as a scheduler would.
"""

from __future__ import annotations

import datetime as dt
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import keyring
from sqlalchemy import select

from connector import clock
from connector.app.tenant import open_tenant
from connector.config import load_config
from connector.errors import ConnectorError
from connector.store import tables as t
from tests.trials.file_keyring import FileKeyring
from tests.trials.harness import SENDER, Source, free_port, pending
from tests.trials.sources import TODAY

Snapshot = tuple[frozenset[tuple[Any, ...]], frozenset[tuple[Any, ...]]]


@contextmanager
def source_environment(source: Source) -> Iterator[None]:
    """The source's secrets as a user provides them, and its keyring when it needs one."""
    env = source.env()
    saved = {k: os.environ.get(k) for k in env}
    previous = keyring.get_keyring()
    os.environ.update(env)
    if "RELANCE_TEST_KEYRING" in env:
        keyring.set_keyring(FileKeyring())
    try:
        yield
    finally:
        keyring.set_keyring(previous)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run_until_settled(workdir: Path, source: Source, attempts: int = 15) -> int:
    """Runs (sync + plan + deliver) until a run succeeds with nothing left pending; returns how
    many runs it took. The clock moves an hour between runs so rescheduled rows come due."""
    config = load_config(workdir / "relance.toml")
    moment = clock.system_now()
    for attempt in range(1, attempts + 1):
        tenant = open_tenant(config, today=source.today,
                             clock=clock.Clock(config.timezone, source=lambda: moment))
        try:
            tenant.run()
            if not pending(workdir):
                return attempt
        except ConnectorError:
            pass  # a sync that gave up; the next run resumes from the stored cursor
        finally:
            tenant.close()
            tenant.store.close()
        moment += dt.timedelta(hours=1)
    raise AssertionError(f"not settled after {attempts} runs")


def snapshot(workdir: Path) -> Snapshot:
    config = load_config(workdir / "relance.toml")
    tenant = open_tenant(config, today=TODAY)
    with tenant.store.engine.connect() as conn:
        invoices = frozenset(conn.execute(select(
            t.invoices.c.external_id, t.invoices.c.status, t.invoices.c.residual_minor)).all())
        rows = frozenset(conn.execute(select(
            t.outbox.c.key, t.outbox.c.channel, t.outbox.c.status)).all())
    tenant.store.close()
    return invoices, rows


def fault_trial(source: Any, workdir: Path, share: float = 0.2, seed: int = 1) -> dict[str, int]:
    """A fault-free run and a run under `share` faults, on the same books, compared."""
    results: dict[str, Snapshot] = {}
    runs = 0
    for label, faults in (("clean", 0.0), ("faulty", share)):
        directory = workdir / label
        directory.mkdir(parents=True)
        if hasattr(source, "prepare"):
            source.prepare("faults")
        (directory / "relance.toml").write_text(
            'tenant = "faults"\nstate = "sqlite:///state.db"\n\n' + source.source_toml(directory)
            + "\n" + SENDER.format(port=free_port()).replace('transport = "smtp"',
                                                            'transport = "file"'),
            encoding="utf-8")
        source.set_faults(faults, seed)
        with source_environment(source):
            runs = run_until_settled(directory, source)
        source.set_faults(0.0, seed)
        results[label] = snapshot(directory)
    clean, faulty = results["clean"], results["faulty"]
    return {"invoice_differences": len(clean[0] ^ faulty[0]),
            "outbox_differences": len(clean[1] ^ faulty[1]),
            "reminders": len(clean[1]), "faulty_runs": runs}
