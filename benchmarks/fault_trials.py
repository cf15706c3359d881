"""Fault trials: for each accounting system, sync + run under a share of faulty answers (429 with
Retry-After, 5xx, timeouts, connection resets, truncated or malformed bodies) must end in the same
store as a fault-free run on the same books. Usage:

    python benchmarks/fault_trials.py --adapter all --share 0.2 --trials 10

About 10-40 s per trial and adapter (the fakes' rate limits and the client's back-off are real).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.crash_trials import make_source  # noqa: E402
from tests.trials.faults import fault_trial  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--adapter", default="all",
                        choices=["odoo", "pennylane", "sage", "fec", "spreadsheet", "all"])
    parser.add_argument("--share", type=float, default=0.2)
    parser.add_argument("--trials", type=int, default=10)
    args = parser.parse_args()
    adapters = ["odoo", "pennylane", "sage", "fec", "spreadsheet"] if args.adapter == "all" \
        else [args.adapter]
    failed = False
    for adapter in adapters:
        totals = {"trials": 0, "invoice_differences": 0, "outbox_differences": 0,
                  "reminders": 0, "faulty_runs": 0}
        for seed in range(1, args.trials + 1):
            with tempfile.TemporaryDirectory(prefix=f"relance-faults-{adapter}-") as tmp:
                source = make_source(adapter, Path(tmp))
                try:
                    result = fault_trial(source, Path(tmp) / "trial", args.share, seed)
                finally:
                    source.stop()
            totals["trials"] += 1
            for key in ("invoice_differences", "outbox_differences", "reminders", "faulty_runs"):
                totals[key] += result[key]
        print(json.dumps({"adapter": adapter, "share": args.share, **totals}), flush=True)
        failed |= bool(totals["invoice_differences"] or totals["outbox_differences"])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
