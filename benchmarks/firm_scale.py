"""A firm of many clients run by `relance worker` processes on one PostgreSQL, for one simulated
business day, with workers SIGKILLed (and restarted) mid-run.

    nice python -m benchmarks.firm_scale --clients 2000 --workers 1,2,4

The firm: `--clients` client companies on fake sources over real sockets (half on the demo ledger,
a quarter on fake Odoo servers, a quarter on fake Pennylane servers, each kind in a small and a
large size; 1 % of the clients point at a source that refuses connections and fail), every email
to a real SMTP sink (aiosmtpd) that records each message's reminder key.

Time is compressed, honestly: the day is a list of ticks (08:00 sync, 08:30 reminders, then a
sync every hour to 18:00). At each tick the driver defers every client's job at once (the worker
API's `defer`, queueing locks included) and the tick ends when the queue is drained; the next
tick starts at once. Every job runs "today" = the simulated day (the worker's `--today`), so the
schedule's business day and the reminders' dates are those of that day while the machine's clock
measures the work. Latency is measured from each job's defer to the start of its run: it is how
long a burst of a whole firm's jobs waits in the queue, the figure that says whether an hour's
syncs fit in an hour.

Measured per number of workers: jobs completed and failed, p50/p99 latency, runs of one tenant
overlapping in time (from start/end lines each worker records around the locked run: must be 0),
duplicate emails at the sink (must be 0), emails sent, and how many workers were killed.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import email
import email.policy
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.scale_figures import (
    children_cpu,
    email_states,
    live_workers,
    overlaps,
    percentile,
    queue_counts,
    queue_waits,
    retried_jobs,
    run_times,
    scrape,
)

ROOT = Path(__file__).resolve().parents[1]
DAY = dt.date(2026, 11, 27)  # a Friday, not a holiday
TICKS = ["sync"] + ["reminders"] + ["sync"] * 10  # 08:00, 08:30, 09:00 … 18:00
FIRM = """\
state = "{state}"
timezone = "Europe/Paris"
workers = 1

[sender]
name = "Cabinet Leroy & Associés"
email = "relances@cabinet-leroy.fr"

[email]
transport = "smtp"
host = "127.0.0.1"
port = {port}
security = "none"
"""


class Sink:
    """The SMTP server: every reminder key it accepted, in order."""

    def __init__(self, delay: float = 0.0) -> None:
        self.keys: list[str] = []
        self.lock = threading.Lock()
        self.delay = delay


    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.delay:
            await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.original_content or envelope.content,
                                           policy=email.policy.default)
        with self.lock:
            self.keys.append(str(message["X-Relance-Key"]))
        return "250 OK"


@dataclass
class Figures:
    workers: int
    clients: int
    ticks: int
    jobs_deferred: int = 0
    jobs_succeeded: int = 0
    jobs_failed: int = 0
    jobs_retried_after_kill: int = 0
    latency_p50_s: float = 0.0
    latency_p99_s: float = 0.0
    latency_max_s: float = 0.0
    run_p50_s: float = 0.0
    """How long one run takes (start to end of the locked run), median."""
    run_p99_s: float = 0.0
    overlapping_runs: int = 0
    emails: int = 0
    duplicate_emails: int = 0
    sent_not_received: int = 0
    """Reminders the outbox says were sent that never reached the sink (must be 0)."""
    uncertain: int = 0
    health_query_s: float = 0.0
    """One scrape of every client's health (connector.store.monitor) at the end of the day."""
    """Emails cut by a kill in mid-SMTP: left for a person (`relance outbox review`)."""
    workers_killed: int = 0
    pg_connections_peak: int = 0
    wall_s: float = 0.0
    worker_cpu_s: float = 0.0
    """CPU (user + system) of every worker process, the killed ones included: what a job costs
    whatever else the machine runs."""
    cpu_per_job_ms: float = 0.0
    per_tick_s: list[float] = field(default_factory=list)


# -- the firm -------------------------------------------------------------------------------------
class Sources:
    """The fake servers the clients read, and the environment their secrets come from."""

    def __init__(self) -> None:
        from benchmarks.sources import OdooBench, PennylaneBench
        self.odoo = [OdooBench(6, 30), OdooBench(15, 100)]
        self.pennylane = [PennylaneBench(6, 30), PennylaneBench(15, 100)]
        self.env: dict[str, str] = {"ODOO_KEY": self.odoo[0].source.env["ODOO_KEY"]}

    def client(self, n: int, rng: random.Random, failing: bool) -> str:
        """The [source] of client n: mixed kinds and sizes, or one that refuses connections."""
        if failing:
            return ('[source]\nkind = "odoo"\nurl = "http://127.0.0.1:9"\ndatabase = "d"\n'
                    'username = "u"\nsecret_env = "ODOO_KEY"\n')
        kind = n % 4
        if kind in (0, 1):
            customers = rng.choice((5, 15, 40))
            return (f'[source]\nkind = "demo"\nanchor = "{DAY}"\nseed = {n}\n'
                    f'customers = {customers}\ninvoices = {customers * 8}\n')
        if kind == 2:
            return "[source]\n" + self.odoo[rng.randrange(2)].source.toml
        bench = self.pennylane[rng.randrange(2)]
        token = f"pl-bench-{n:05d}-token"
        bench.fake.tokens[token] = ["customer_invoices:all", "customers:all"]
        name = f"PL_TOKEN_{n:05d}"
        self.env[name] = token
        return (f'[source]\nkind = "pennylane"\nbase_url = "{bench.fake.base_url}"\n'
                f'secret_env = "{name}"\n')

    def stop(self) -> None:
        for bench in [*self.odoo, *self.pennylane]:
            bench.stop()


def write_firm(directory: Path, clients: int, state: str, port: int, sources: Sources) -> None:
    """`clients` client files; every hundredth fails (the last one, in a firm under 100)."""
    (directory / "clients").mkdir(parents=True)
    (directory / "firm.toml").write_text(FIRM.format(state=state, port=port), encoding="utf-8")
    rng = random.Random(21)
    for n in range(clients):
        failing = n % 100 == 99 or (clients < 100 and n == clients - 1)
        (directory / "clients" / f"client-{n:05d}.toml").write_text(
            sources.client(n, rng, failing), encoding="utf-8")


# -- workers --------------------------------------------------------------------------------------
class Workers:
    def __init__(self, state: str, logs: Path, env: dict[str, str], concurrency: int) -> None:
        self.state, self.logs, self.concurrency = state, logs, concurrency
        self.env = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
        self.processes: list[subprocess.Popen[bytes]] = []
        self.killed: list[tuple[int, float]] = []  # (pid, monotonic moment of the SIGKILL)
        self.started = 0

    def start(self) -> subprocess.Popen[bytes]:
        self.started += 1
        log = self.logs / f"worker-{self.started}.out"
        process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.scale_child", self.state,
             str(self.logs / f"runs-{self.started}.jsonl"), str(self.concurrency)],
            cwd=ROOT, env=self.env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def kill_one(self, rng: random.Random) -> None:
        """SIGKILL a live worker and start another in its place (as systemd would)."""
        alive = [p for p in self.processes if p.poll() is None]
        victim = rng.choice(alive)
        victim.send_signal(signal.SIGKILL)
        self.killed.append((victim.pid, time.monotonic()))
        victim.wait()
        self.processes.remove(victim)
        self.start()

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        for process in self.processes:
            process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                process.kill()

    def runs(self) -> list[list[Any]]:
        lines: list[list[Any]] = []
        for path in sorted(self.logs.glob("runs-*.jsonl")):
            lines += [json.loads(line) for line in path.read_text().splitlines() if line]
        return lines


# -- one simulated day ----------------------------------------------------------------------------
def simulate(state: str, firm: Path, sink: Sink, env: dict[str, str], *, workers: int,
             ticks: int, kills: int, concurrency: int = 2, seed: int = 1,
             kill_ticks: list[int] | None = None) -> Figures:
    """One day on a fresh database; `kill_ticks`: the ticks a worker is killed in (default:
    `kills` ticks drawn at random)."""
    from connector.app import worker
    figures = Figures(workers, len(list((firm / "clients").glob("*.toml"))), ticks)
    worker.ensure_schema(state)
    app = worker.build_app(state)
    conninfo = worker.conninfo(state)
    rng = random.Random(seed)
    kill_plan = Counter(kill_ticks if kill_ticks is not None
                        else [rng.randrange(ticks) for _ in range(kills)])
    paths = sorted((firm / "clients").glob("*.toml"))
    logs = Path(os.environ.get("FIRM_SCALE_LOGS") or firm.parent) / f"logs-{workers}"
    logs.mkdir()
    pool = Workers(state, logs, env, concurrency)
    sent_before = len(sink.keys)
    cpu_before = children_cpu()
    began = time.monotonic()
    deferred: list[tuple[int, str, str, float]] = []  # (tick, tenant, job, moment)
    tick_spans: list[tuple[float, float]] = []
    to_kill, next_recovery = 0, 0.0
    with app.open(), pool:
        for _ in range(workers):
            pool.start()
        while live_workers(conninfo) < workers:  # the day starts once every worker is up
            time.sleep(0.2)
        began = time.monotonic()
        for tick in range(ticks):
            job = TICKS[tick % len(TICKS)]
            start = time.monotonic()
            for path in paths:
                deferred.append((tick, path.stem, job, time.monotonic()))
                worker.defer(app, str(path), job, path.stem, today=DAY)
            total = len(paths) * (tick + 1)
            to_kill += kill_plan.get(tick, 0)  # a kill that found no run in flight moves on
            while True:
                counts = queue_counts(conninfo)
                figures.pg_connections_peak = max(figures.pg_connections_peak,
                                                  counts["connections"])
                finished = counts["succeeded"] + counts["failed"]
                if to_kill and counts["doing"]:
                    pool.kill_one(rng)  # mid-run: jobs are in hand
                    to_kill -= 1
                if finished >= total:
                    break
                if pool.killed and time.monotonic() >= next_recovery:
                    asyncio.run(_recover(state))  # the dead worker's jobs, back in the queue
                    next_recovery = time.monotonic() + 1.0
                time.sleep(0.1)
            tick_spans.append((start, time.monotonic()))
            print(f"workers {workers}: tick {tick} ({job}) {len(paths)} jobs in "
                  f"{tick_spans[-1][1] - start:.1f} s; killed so far {len(pool.killed)}",
                  flush=True)
    figures.wall_s = round(time.monotonic() - began, 1)
    figures.worker_cpu_s = round(children_cpu() - cpu_before, 1)
    figures.per_tick_s = [round(end - start, 1) for start, end in tick_spans]
    counts = queue_counts(conninfo)
    figures.jobs_deferred = len(deferred)
    figures.cpu_per_job_ms = round(1000 * figures.worker_cpu_s / max(len(deferred), 1), 1)
    figures.jobs_succeeded, figures.jobs_failed = counts["succeeded"], counts["failed"]
    lines = pool.runs()
    figures.jobs_retried_after_kill = retried_jobs(conninfo)
    figures.overlapping_runs = overlaps(lines, pool.killed)
    figures.workers_killed = len(pool.killed)
    latencies = queue_waits(deferred, lines, tick_spans)
    figures.latency_p50_s = round(percentile(latencies, 0.5), 2)
    figures.latency_p99_s = round(percentile(latencies, 0.99), 2)
    figures.latency_max_s = round(max(latencies, default=0.0), 2)
    durations = run_times(lines)
    figures.run_p50_s = round(percentile(durations, 0.5), 2)
    figures.run_p99_s = round(percentile(durations, 0.99), 2)
    keys = sink.keys[sent_before:]
    figures.emails = len(keys)
    figures.duplicate_emails = len(keys) - len(set(keys))
    figures.health_query_s = scrape(state, [path.stem for path in paths])
    states = email_states(conninfo)
    figures.sent_not_received = len(states.get("sent", set()) - set(keys))
    figures.uncertain = len(states.get("uncertain", set()))
    return figures


async def _recover(state: str) -> int:
    from connector.app import worker
    app = worker.build_app(state, pool_size=1)
    async with app.open_async():
        return await worker.retry_stalled(app, 3.0)


def run(clients: int, worker_counts: list[int], ticks: int, kills: int | None,
        concurrency: int) -> list[Figures]:
    from aiosmtpd.controller import Controller

    from tests.delivery.test_email import free_port
    from tests.pg import start_server
    sink, port = Sink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    server = start_server()
    sources = Sources()
    results: list[Figures] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for count in worker_counts:
                state = server.create_database()
                firm = Path(tmp) / f"firm-{count}" / "firm"
                write_firm(firm, clients, state, port, sources)
                wanted = kills if kills is not None else max(1, round(0.1 * count * ticks))
                figures = simulate(state, firm, sink, sources.env, workers=count, ticks=ticks,
                                   kills=wanted, concurrency=concurrency)
                print(json.dumps(asdict(figures)), flush=True)
                results.append(figures)
    finally:
        sources.stop()
        server.stop()
        controller.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--workers", default="1,2,4", help="worker counts, comma-separated")
    parser.add_argument("--ticks", type=int, default=len(TICKS),
                        help=f"ticks of the day to run (all: {len(TICKS)})")
    parser.add_argument("--kills", type=int, default=None,
                        help="workers SIGKILLed over the day (default: 10 %% of worker-ticks)")
    parser.add_argument("--concurrency", type=int, default=2, help="jobs at once per worker")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_a: sys.exit(1))  # stop the workers and the server
    run(args.clients, [int(n) for n in args.workers.split(",")], args.ticks, args.kills,
        args.concurrency)


if __name__ == "__main__":
    main()
