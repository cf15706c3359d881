"""Measure sync, incremental sync, plan, run --dry-run and report on synthetic ledgers.

    python benchmarks/run_all.py --size 10k [--only demo,plan,pennylane] [--json FILE] [--dir D]

Run from the repository root, with the project installed (or from a checkout: the children get
the root on PYTHONPATH). Every measured step is a child process (`python -m connector ...`); its
wall time, CPU time (user + system) and peak RSS come from `os.wait4`. Fake servers run in this
process on 127.0.0.1 and count the requests they receive. See BENCHMARKS.md for the figures, the
targets and how long each part takes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import ledgers  # noqa: E402
from benchmarks.measure import Figure, measure, relance_command  # noqa: E402

SIZES = {"1k": 1_000, "10k": 10_000, "100k": 100_000}
CUSTOMERS = 20_000
TODAY = "2026-11-27"
NEXT_DAY = "2026-11-30"
ODOO_MAX = 10_000
SAGE_CUSTOMERS, SAGE_INVOICES = 150, 300  # the next business day (27 Nov 2026 is a Friday)


def bench_demo(root: Path, invoices: int) -> list[Figure]:
    """The demo source: full sync, 1 % changed and incremental sync, plan, dry run, report."""
    work = root / "demo"
    config = ledgers.write_config(work, ledgers.demo_source(CUSTOMERS, invoices, TODAY))
    figures = [measure("demo full sync", relance_command(config, TODAY, "sync"), cwd=work)]
    changed = ledgers.pay_one_percent(work, invoices, TODAY)
    figure = measure("demo incremental sync (1 %)", relance_command(config, TODAY, "sync"),
                     cwd=work)
    figure.extra["changed_invoices"] = changed
    figures.append(figure)
    figures.append(measure("demo plan", relance_command(config, TODAY, "plan"), cwd=work))
    figures.append(measure("demo run --dry-run", relance_command(config, TODAY, "run",
                                                                 "--dry-run"), cwd=work))
    figures.append(measure("demo report", relance_command(config, TODAY, "report"), cwd=work))
    return figures


def bench_plan(root: Path, invoices: int) -> list[Figure]:
    """`plan` over N open invoices: the first plan (everything due) and the steady state of a
    daily run (yesterday's plan went out; most items are already at their level)."""
    work = root / "plan"
    config = ledgers.write_config(work, ledgers.demo_source(CUSTOMERS, 0, TODAY))
    ledgers.open_ledger_store(work, CUSTOMERS, invoices, dt.date.fromisoformat(TODAY))
    first = measure("plan, first (all due)", relance_command(config, TODAY, "plan"), cwd=work)
    first.extra["open_invoices"] = invoices
    sent = ledgers.mark_planned_as_sent(work, config, dt.date.fromisoformat(TODAY))
    steady = measure("plan, steady state (next day)", relance_command(config, NEXT_DAY, "plan"),
                     cwd=work)
    steady.extra.update(open_invoices=invoices, sent_the_day_before=sent)
    return [first, steady]


def bench_pennylane(root: Path, invoices: int) -> list[Figure]:
    """The fake Pennylane at its real rate limit: full sync, then 1 % changed and incremental."""
    from benchmarks.sources import PennylaneBench

    return bench_source(root, PennylaneBench(CUSTOMERS, invoices))


def bench_odoo(root: Path, invoices: int) -> list[Figure]:
    """The fake Odoo (no rate limit): full sync, then 1 % of the invoices paid and incremental."""
    from benchmarks.sources import OdooBench

    if invoices > ODOO_MAX:
        print(f"  (odoo: the fake seeds in O(n^2); measured at {ODOO_MAX} invoices instead)")
    return bench_source(root, OdooBench(CUSTOMERS, min(invoices, ODOO_MAX)))


def bench_sage(root: Path, invoices: int) -> list[Figure]:
    """The fake Sage at its real limit, on a small ledger (see SageBench)."""
    from benchmarks.sources import SageBench

    print(f"  (sage: {SAGE_CUSTOMERS} customers, {SAGE_INVOICES} invoices at 100 requests/min; "
          "20k customers extrapolated in BENCHMARKS.md)")
    return bench_source(root, SageBench(SAGE_CUSTOMERS, SAGE_INVOICES))


def bench_source(root: Path, bench: Any) -> list[Figure]:
    kind = bench.source.kind
    try:
        work = root / kind
        config = ledgers.write_config(work, bench.source.toml)
        child = [sys.executable, str(Path(__file__).with_name("sage_child.py")), "--config",
                 str(config), "--today", TODAY, "sync"] if kind == "sage" \
            else relance_command(config, TODAY, "sync")
        env = bench.env() if hasattr(bench, "env") else bench.source.env
        full = measure(f"{kind} full sync", child, cwd=work, env=env)
        _requests(full, bench, bench.full_minimum())
        bench.reset()
        bench.change(0.01)
        env = bench.env() if hasattr(bench, "env") else bench.source.env
        incremental = measure(f"{kind} incremental sync (1 %)", child, cwd=work, env=env)
        _requests(incremental, bench, bench.incremental_minimum())
        incremental.extra["changed_invoices"] = bench.changed
        return [full, incremental]
    finally:
        bench.stop()


def _requests(figure: Figure, bench: Any, minimum: int) -> None:
    counts = bench.counts()
    figure.extra.update(counts, minimum_requests=minimum)
    floor = bench.source.floor_seconds(counts["requests"])
    if floor is not None:
        figure.extra["rate_floor_s"] = round(floor, 1)
        figure.extra["wall_over_floor"] = round(figure.wall_s / floor, 3) if floor else None


def bench_delivery(root: Path, invoices: int) -> list[Figure]:
    """Delivery with the file transport: CPU ms per reminder beside a stdlib floor."""
    from benchmarks.delivery import bench_delivery as measure_delivery

    return measure_delivery(root, invoices)


BENCHES = {"demo": bench_demo, "plan": bench_plan, "pennylane": bench_pennylane,
           "odoo": bench_odoo, "sage": bench_sage, "delivery": bench_delivery}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="10k",
                        help="invoices in the ledger (customers: 20k)")
    parser.add_argument("--only", default=",".join(BENCHES),
                        help=f"comma-separated subset of: {', '.join(BENCHES)}")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--dir", type=Path, help="keep the work files here (default: a temp dir)")
    args = parser.parse_args()
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in BENCHES]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    invoices = SIZES[args.size]
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="relance-bench-") as scratch:
        root = args.dir or Path(scratch)
        root.mkdir(parents=True, exist_ok=True)
        # the fixed cost inside every figure below: start Python, import the CLI
        start = measure("cli start (--version)", [sys.executable, "-m", "connector", "--version"],
                        cwd=root)
        _print(start)
        figures.append(start)
        for name in chosen:
            print(f"== {name}, {args.size} invoices, {CUSTOMERS} customers", flush=True)
            for figure in BENCHES[name](root / args.size, invoices):
                _print(figure)
                figures.append(figure)
    if args.json:
        args.json.write_text(json.dumps({"size": args.size, "customers": CUSTOMERS,
                                         "figures": [f.row() for f in figures]}, indent=1),
                             encoding="utf-8")
    return 1 if any(f.exit_code for f in figures) else 0


def _print(figure: Figure) -> None:
    extra = " ".join(f"{k}={v}" for k, v in figure.extra.items())
    print(f"  {figure.name:34} wall {figure.wall_s:7.2f} s  cpu {figure.cpu_s:7.2f} s  "
          f"rss {figure.peak_rss_mb:6.1f} MB  {extra}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
