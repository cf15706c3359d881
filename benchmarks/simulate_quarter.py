"""Play a quarter of daily `relance run`s on the demo ledger and audit the result.

    python benchmarks/simulate_quarter.py [--days 90] [--customers 50] [--invoices 720] [--dir D]

Run from the repository root. Prints the time taken, the messages and formal notices sent, and
every problem found (two messages to a customer within the gap, a message on a weekend or French
holiday, one for a disputed or promised invoice, a formal notice with wrong figures). Exit 1 on
any problem. The test suite runs the same audit on a smaller ledger (tests/rules/test_simulation.py).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.rules.test_simulation import simulate  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--customers", type=int, default=50)
    parser.add_argument("--invoices", type=int, default=720)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        workdir = args.dir or Path(scratch)
        started = time.perf_counter()
        quarter = simulate(workdir, days=args.days, customers=args.customers,
                           invoices=args.invoices)
        elapsed = time.perf_counter() - started
    print(f"{quarter.days} days, {args.customers} customers, {args.invoices} invoices: "
          f"{quarter.messages} messages sent ({quarter.letters} formal notices) in {elapsed:.1f} s")
    for problem in quarter.problems:
        print(f"problem: {problem}")
    print("no problem found" if not quarter.problems else f"{len(quarter.problems)} problem(s)")
    return 1 if quarter.problems else 0


if __name__ == "__main__":
    sys.exit(main())
