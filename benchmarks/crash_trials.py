"""Crash trials: `relance run` killed with SIGKILL at random moments, per adapter, then run again
to the end; counts duplicates, losses, reminders for invoices paid in between, and cursors that
skipped data. Usage:

    python benchmarks/crash_trials.py --adapter demo --trials 200 [--seed 1]
    python benchmarks/crash_trials.py --adapter all --trials 200
    python benchmarks/crash_trials.py --adapter exactly-once --trials 300

`exactly-once` runs the trials SIGKILL does not cover (tests/trials/exactly_once.py): Odoo writes
whose answer is lost (reset after the write, answer after the timeout), SMTP relays misbehaving
after DATA, a payment and an address change while a slow relay sends; it also counts stale sends.

Each trial takes a few seconds (a Python start-up per run); 200 trials of one adapter take about
10-20 minutes on 2 cores. All traffic stays on 127.0.0.1. The test suite runs a short version
(tests/trials/test_crash_trials.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.trials.exactly_once import exactly_once_trial
from tests.trials.file_sources import FecSource, SpreadsheetSource
from tests.trials.harness import DemoSource, SmtpSink, clean_run_seconds, totals, trial
from tests.trials.sources import OdooSource, PennylaneSource, SageSource


def make_source(name: str, workdir: Path):
    if name == "demo":
        return DemoSource()
    if name == "odoo":
        return OdooSource()
    if name == "pennylane":
        return PennylaneSource()
    if name == "fec":
        return FecSource()
    if name == "spreadsheet":
        return SpreadsheetSource()
    return SageSource(workdir / "keyring.json")


def run_exactly_once(trials: int, first_seed: int) -> dict[str, int]:
    summary = {"trials": 0, "duplicates": 0, "lost": 0, "paid_in_between": 0, "stale": 0,
               "emails": 0, "pushed": 0, "uncertain": 0, "pending": 0, "cursor_mismatches": 0}
    for seed in range(first_seed, first_seed + trials):
        with tempfile.TemporaryDirectory(prefix="relance-once-") as tmp:
            result = exactly_once_trial(Path(tmp), seed)
        summary["trials"] += 1
        for key, value in result.items():
            summary[key] += value
        if result["duplicates"] or result["lost"] or result["paid_in_between"] \
                or result["stale"]:
            print(f"  trial {seed}: {result}", flush=True)
        if summary["trials"] % 10 == 0:  # a long series can be stopped: figures so far
            print(f"  so far: {json.dumps(summary)}", flush=True)
    return summary


def run(adapter: str, trials: int, first_seed: int) -> dict[str, int]:
    if adapter == "exactly-once":
        return run_exactly_once(trials, first_seed)
    with tempfile.TemporaryDirectory(prefix=f"relance-trials-{adapter}-") as tmp:
        workdir = Path(tmp)
        source = make_source(adapter, workdir)
        try:
            with SmtpSink() as sink:
                window = clean_run_seconds(source, sink, workdir / "probe")
                results = []
                for seed in range(first_seed, first_seed + trials):
                    results.append(trial(source, sink, workdir / f"t{seed}", seed, window))
                    done = results[-1]
                    if done.duplicates or done.lost or done.paid_in_between \
                            or done.cursor_mismatches:
                        print(f"  trial {seed}: {done}", flush=True)
        finally:
            source.stop()
    summary = totals(results)
    summary["kill_window_ms"] = int(window * 1000)
    return summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--adapter", default="demo",
                        choices=["demo", "odoo", "pennylane", "sage", "fec", "spreadsheet",
                                 "exactly-once", "all"])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    adapters = ["demo", "odoo", "pennylane", "sage", "fec", "spreadsheet"] \
        if args.adapter == "all" else [args.adapter]
    failed = False
    for adapter in adapters:
        started = time.monotonic()
        summary = run(adapter, args.trials, args.seed)
        summary["seconds"] = int(time.monotonic() - started)
        print(json.dumps({"adapter": adapter, **summary}), flush=True)
        failed |= any(summary.get(k) for k in ("duplicates", "lost", "paid_in_between",
                                               "cursor_mismatches", "stale"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
