"""A short version of the exactly-once trials (issue 15, case 12; full script:
`python benchmarks/crash_trials.py --adapter exactly-once --trials 300`): lost answers after Odoo
writes, relays misbehaving after DATA, a payment and an address change during a slow send."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.trials.exactly_once import exactly_once_trial


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_no_duplicate_no_loss_no_paid_or_stale_send(tmp_path: Path, seed: int) -> None:
    result = exactly_once_trial(tmp_path, seed)
    assert result["emails"] and result["pushed"], result
    assert result["duplicates"] == result["lost"] == 0, result
    assert result["paid_in_between"] == result["stale"] == 0, result
    assert result["pending"] == 0, result
