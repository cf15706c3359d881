"""Crash and paid-in-between trials: `relance run` in a subprocess, killed with SIGKILL at a random
moment, then run again to the end; the invariants are counted at a real SMTP sink and in the store.

Used by the short trial tests (tests/trials/) and by the full script (benchmarks/crash_trials.py).
The sources (demo ledger or a fake accounting server) and the SMTP sink live in this process, so
they outlive every killed `relance`.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from connector.adapters.demo.streams import OVERLAY_FILE
from connector.app.tenant import open_tenant
from connector.config import load_config
from connector.store import tables as t
from connector.store.store import Store

ROOT = Path(__file__).resolve().parents[2]
SENDER = """\
[sender]
name = "Atelier Dupuis"
email = "compta@atelier-dupuis.fr"

[email]
transport = "smtp"
host = "127.0.0.1"
port = {port}
security = "none"
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Received:
    message_id: str
    body: str
    at: float


class SmtpSink:
    """A real SMTP server (aiosmtpd) in a thread, remembering every message it accepted."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[Received] = []
        self._lock = threading.Lock()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.original_content or envelope.content,
                                           policy=email.policy.default)
        body = message.get_body(("plain",))
        with self._lock:
            self.messages.append(Received(str(message["Message-ID"]),
                                          body.get_content() if body else "", time.time()))
        return "250 OK"

    def __enter__(self) -> SmtpSink:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()

    def snapshot(self) -> list[Received]:
        with self._lock:
            return list(self.messages)


class Source(Protocol):
    """One accounting system under trial."""

    name: str
    today: dt.date

    def source_toml(self, workdir: Path) -> str: ...

    def env(self) -> dict[str, str]: ...

    def pay_some(self, rng: random.Random, workdir: Path, count: int) -> list[str]:
        """Pay `count` open invoices at the source; return their numbers."""


class DemoSource:
    name = "demo"
    today = dt.date(2026, 11, 27)

    def __init__(self, seed: int = 42, *, customers: int | None = None,
                 invoices: int | None = None) -> None:
        """`customers`/`invoices`: a smaller ledger than the demo's default (50 and 720)."""
        self.seed = seed
        self.size = "".join(f"{key} = {value}\n" for key, value in
                            (("customers", customers), ("invoices", invoices)) if value)

    def source_toml(self, workdir: Path) -> str:
        return (f'[source]\nkind = "demo"\nseed = {self.seed}\nanchor = "2026-11-27"\n'
                + self.size)

    def env(self) -> dict[str, str]:
        return {}

    def stop(self) -> None:
        """Nothing runs: the demo ledger lives in the tenant's files."""

    def pay_some(self, rng: random.Random, workdir: Path, count: int) -> list[str]:
        tenant = open_tenant(load_config(workdir / "relance.toml"), today=self.today)
        adapter = tenant.adapter
        open_ids = sorted(i.external_id for c, items in tenant.store.open_ledger(
            tenant.name, tenant.source) for i in items if i.kind == "invoice")
        chosen = rng.sample(open_ids, min(count, len(open_ids)))
        for invoice_id in chosen:
            adapter.record_payment(invoice_id)  # type: ignore[attr-defined]
        return [adapter.ledger.by_id[i].number for i in chosen]  # type: ignore[attr-defined]


@dataclass
class TrialResult:
    seed: int
    killed: bool
    sent: int = 0
    duplicates: int = 0
    lost: int = 0
    uncertain: int = 0
    paid_in_between: int = 0
    cursor_mismatches: int = 0
    notes: list[str] = field(default_factory=list)


def relance(workdir: Path, source: Source, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, **source.env(), "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "connector", "--config", str(workdir / "relance.toml"),
         "--today", source.today.isoformat(), *args],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=workdir)


def run_to_end(workdir: Path, source: Source, runs: int = 3) -> None:
    """Run again until nothing is left to deliver (a crash survivor may need a second pass)."""
    for _ in range(runs):
        process = relance(workdir, source, "run")
        _, err = process.communicate(timeout=300)
        if process.returncode not in (0, 1):
            raise RuntimeError(f"relance run failed ({process.returncode}): {err.decode()[-2000:]}")
        if not pending(workdir):
            return


def pending(workdir: Path) -> int:
    store = Store(f"sqlite:///{workdir / 'state.db'}")
    with store.engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(t.outbox).where(
            t.outbox.c.status.in_(("planned", "sending")))).scalar()
    store.close()
    return int(count or 0)


def trial(source: Source, sink: SmtpSink, workdir: Path, seed: int, window: float,
          pay: int = 2) -> TrialResult:
    """One trial: a run killed at a random moment, payments at the source, a rerun to the end."""
    rng = random.Random(seed)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "relance.toml").write_text(
        f'tenant = "trial{seed}"\nstate = "sqlite:///state.db"\n\n'
        + source.source_toml(workdir) + "\n" + SENDER.format(port=sink.port), encoding="utf-8")
    prepare = getattr(source, "prepare", None)
    if prepare is not None:
        prepare(f"trial{seed}")
    refill = getattr(source, "refill", None)
    if refill is not None:
        refill(rng)  # the trials pay invoices: keep late ones coming
    before = {m.message_id for m in sink.snapshot()}
    process = relance(workdir, source, "run")
    try:
        process.wait(timeout=rng.uniform(0.0, window))
        killed = False
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait()
        killed = True
    paid_at = time.time()
    paid = source.pay_some(rng, workdir, pay) if pay and (workdir / "state.db").exists() else []
    run_to_end(workdir, source)
    return check(source, sink, workdir, seed, killed, before, paid, paid_at)


def check(source: Source, sink: SmtpSink, workdir: Path, seed: int, killed: bool,
          before: set[str], paid: list[str], paid_at: float) -> TrialResult:
    result = TrialResult(seed=seed, killed=killed)
    config = load_config(workdir / "relance.toml")
    store = Store(config.state_url)
    mine = [m for m in sink.snapshot() if m.message_id not in before
            and f"@{config.sender.email.split('@')[1]}" in m.message_id]
    ids = [m.message_id for m in mine]
    result.sent = len(set(ids))
    result.duplicates = len(ids) - len(set(ids))
    with store.engine.connect() as conn:
        rows = conn.execute(select(t.outbox.c.key, t.outbox.c.status, t.outbox.c.channel)
                            .where(t.outbox.c.tenant == config.tenant)).all()
    emailed = {f"<{key}@{config.sender.email.split('@')[1]}>" for key, status, channel in rows
               if channel == "email" and status == "sent"}
    result.uncertain = sum(1 for _, status, _ in rows if status == "uncertain")
    result.lost = sum(1 for _, status, _ in rows if status in ("planned", "sending"))
    result.lost += len(emailed - set(ids))  # marked sent but never received
    for number in paid:
        result.paid_in_between += sum(1 for m in mine if m.at > paid_at and number in m.body)
    result.cursor_mismatches = compare_with_fresh_sync(source, workdir, config, store)
    store.close()
    return result


def compare_with_fresh_sync(source: Source, workdir: Path, config: Any, store: Store) -> int:
    """The incremental store must equal a fresh full read of the source (in its own process)."""
    fresh_dir = workdir / "fresh"
    fresh_dir.mkdir(exist_ok=True)
    text = (workdir / "relance.toml").read_text(encoding="utf-8")
    (fresh_dir / "relance.toml").write_text(text, encoding="utf-8")
    overlay = workdir / OVERLAY_FILE  # the demo "books" live beside the config
    if overlay.exists():
        shutil.copy(overlay, fresh_dir / OVERLAY_FILE)
    process = relance(fresh_dir, source, "sync")
    _, err = process.communicate(timeout=300)
    if process.returncode != 0:
        raise RuntimeError(f"fresh sync failed: {err.decode()[-2000:]}")
    fresh = Store(f"sqlite:///{fresh_dir / 'state.db'}")
    query = select(t.invoices.c.external_id, t.invoices.c.status,
                   t.invoices.c.residual_minor).where(t.invoices.c.tenant == config.tenant)
    with store.engine.connect() as a, fresh.engine.connect() as b:
        mine, theirs = set(a.execute(query).all()), set(b.execute(query).all())
    fresh.close()
    return len(mine ^ theirs)


def clean_run_seconds(source: Source, sink: SmtpSink, workdir: Path) -> float:
    """How long an uninterrupted run takes here: the window in which kills are drawn."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "relance.toml").write_text(
        'tenant = "probe"\nstate = "sqlite:///state.db"\n\n' + source.source_toml(workdir)
        + "\n" + SENDER.format(port=sink.port), encoding="utf-8")
    prepare = getattr(source, "prepare", None)
    if prepare is not None:
        prepare("probe")
    started = time.monotonic()
    run_to_end(workdir, source, runs=1)
    return time.monotonic() - started


def totals(results: list[TrialResult]) -> dict[str, int]:
    keys = ("sent", "duplicates", "lost", "uncertain", "paid_in_between", "cursor_mismatches")
    summary = {k: sum(getattr(r, k) for r in results) for k in keys}
    summary["trials"] = len(results)
    summary["killed"] = sum(r.killed for r in results)
    return summary
