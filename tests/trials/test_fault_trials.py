"""Under 20 % faults (429, 5xx, resets, timeouts, malformed bodies) the final store equals a
fault-free run's, for each accounting system (full trials: benchmarks/fault_trials.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.crash_trials import make_source
from tests.trials.faults import fault_trial


@pytest.mark.parametrize("adapter", ["odoo", "pennylane", "sage", "fec", "spreadsheet"])
def test_twenty_percent_faults_change_nothing(adapter: str, tmp_path: Path) -> None:
    source = make_source(adapter, tmp_path)
    try:
        result = fault_trial(source, tmp_path / "trial", share=0.2, seed=3)
    finally:
        source.stop()
    assert result["reminders"] > 0
    assert result["invoice_differences"] == 0, result
    assert result["outbox_differences"] == 0, result
