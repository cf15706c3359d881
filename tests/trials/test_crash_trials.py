"""Short crash trials (the full ones: benchmarks/crash_trials.py): SIGKILL at random moments,
payments at the source in between, and still no duplicate, no loss, no reminder for a paid invoice,
no cursor that skipped data — for the demo ledger and each accounting system's fake."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.crash_trials import make_source
from tests.trials.harness import DemoSource, SmtpSink, clean_run_seconds, totals, trial

TRIALS = {"demo": 3, "odoo": 2, "pennylane": 2, "sage": 2, "fec": 2, "spreadsheet": 2}


@pytest.mark.parametrize("adapter", sorted(TRIALS))
def test_crash_trials(adapter: str, tmp_path: Path) -> None:
    # a demo ledger of 20 customers, near the fakes' size: the kill window is the clean run's
    # length, so kills still fall among its messages, and each run is shorter
    source = DemoSource(customers=20, invoices=300) if adapter == "demo" \
        else make_source(adapter, tmp_path)
    try:
        with SmtpSink() as sink:
            window = clean_run_seconds(source, sink, tmp_path / "probe")
            results = [trial(source, sink, tmp_path / f"t{seed}", seed, window)
                       for seed in range(TRIALS[adapter])]
    finally:
        source.stop()
    summary = totals(results)
    assert summary["sent"] > 0
    assert summary["duplicates"] == 0, results
    assert summary["lost"] == 0, results
    assert summary["paid_in_between"] == 0, results
    assert summary["cursor_mismatches"] == 0, results
