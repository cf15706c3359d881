"""Crash trials: `relance run` killed with SIGKILL at random moments, per adapter, then run again
to the end; counts duplicates, losses, reminders for invoices paid in between, and cursors that
skipped data. Usage:

    python benchmarks/crash_trials.py --adapter demo --trials 200 [--seed 1]
    python benchmarks/crash_trials.py --adapter all --trials 200
    python benchmarks/crash_trials.py --adapter exactly-once --trials 300
    python benchmarks/crash_trials.py --adapter kinds --trials 1000 [--kind refused-login]

`exactly-once` runs the trials SIGKILL does not cover (tests/trials/exactly_once.py): Odoo writes
whose answer is lost (reset after the write, answer after the timeout), SMTP relays misbehaving
after DATA, a payment and an address change while a slow relay sends; it also counts stale sends.
`kinds` runs the cheap in-process kinds of tests/trials/kinds.py in turn (refused SMTP logins then
fixed and retried, renamed tenants, two instances with one hostname, concurrent first starts on a
new store, Pennylane and Sage writes whose answer is lost): about a second per trial.

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

from tests.trials.bank import BankSource
from tests.trials.exactly_once import exactly_once_trial
from tests.trials.file_sources import FecSource, SpreadsheetSource
from tests.trials.harness import DemoSource, SmtpSink, clean_run_seconds, totals, trial
from tests.trials.kinds import KINDS, World
from tests.trials.sources import OdooSource, PennylaneSource, SageSource


def make_source(name: str, workdir: Path):
    if name == "demo":
        return DemoSource()
    if name == "odoo":
        return OdooSource()
    if name == "odoo19":
        return OdooSource(serie="19.0")
    if name == "pennylane":
        return PennylaneSource()
    if name == "fec":
        return FecSource()
    if name == "spreadsheet":
        return SpreadsheetSource()
    if name == "bank":
        return BankSource(workdir)
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


def run_kinds(trials: int, first_seed: int, only: str | None = None,
              fault_share: float = 0.0) -> dict[str, int]:
    """The in-process kinds in turn (or one), sharing one relay and one fake per source;
    `fault_share`: that share of every fake's answers is a 429, a 5xx or a reset besides."""
    names = [only] if only else sorted(KINDS)
    summary: dict[str, int] = {"trials": 0, "duplicates": 0, "lost": 0, "paid_in_between": 0,
                               "stale": 0}
    per_kind: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="relance-kinds-") as tmp:
        world = World(Path(tmp))
        try:
            if fault_share:
                world.faulty(fault_share, first_seed)
            for seed in range(first_seed, first_seed + trials):
                name = names[seed % len(names)]
                result = KINDS[name](world, Path(tmp) / f"t{seed}", seed)
                summary["trials"] += 1
                per_kind[name] = per_kind.get(name, 0) + 1
                for key, value in result.items():
                    summary[key] = summary.get(key, 0) + value
                if any(result[k] for k in ("duplicates", "lost", "paid_in_between", "stale")):
                    print(f"  trial {seed} ({name}): {result}", flush=True)
                if summary["trials"] % 50 == 0:
                    print(f"  so far: {json.dumps(summary)}", flush=True)
        finally:
            world.stop()
    return {**summary, **{f"trials_{k}": v for k, v in sorted(per_kind.items())}}


def run(adapter: str, trials: int, first_seed: int, kind: str | None = None) -> dict[str, int]:
    if adapter == "exactly-once":
        return run_exactly_once(trials, first_seed)
    if adapter == "kinds":
        return run_kinds(trials, first_seed, kind)
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
                        choices=["demo", "odoo", "odoo19", "pennylane", "sage", "fec",
                                 "spreadsheet", "bank", "exactly-once", "kinds", "all"])
    parser.add_argument("--kind", choices=sorted(KINDS), help="with --adapter kinds: only this")
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    adapters = ["demo", "odoo", "odoo19", "pennylane", "sage", "fec", "spreadsheet", "bank"] \
        if args.adapter == "all" else [args.adapter]
    failed = False
    for adapter in adapters:
        started = time.monotonic()
        summary = run(adapter, args.trials, args.seed, args.kind)
        summary["seconds"] = int(time.monotonic() - started)
        print(json.dumps({"adapter": adapter, **summary}), flush=True)
        failed |= any(summary.get(k) for k in ("duplicates", "lost", "paid_in_between",
                                               "cursor_mismatches", "stale"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
