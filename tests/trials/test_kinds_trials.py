"""A short version of the in-process trial kinds (full series:
`python benchmarks/crash_trials.py --adapter kinds --trials 1000`): refused SMTP logins fixed and
retried, renamed tenants, another container with our hostname holding the lock, concurrent first
starts on a new store, Pennylane and Sage writes whose answer is lost."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.trials.kinds import KINDS, World

# `pytest -n 2 --dist loadgroup`: the shared world (fakes, relay) is set up by one worker only
pytestmark = pytest.mark.xdist_group("kinds-world")
DID_SOMETHING = {"refused-login": "refused", "renamed-tenant": "refused",
                 "first-start": "emails", "pennylane-push": "pushed", "sage-push": "pushed"}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    shared = World(tmp_path_factory.mktemp("kinds"))
    try:
        yield shared
    finally:
        shared.stop()


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_no_duplicate_no_loss_no_paid_or_stale_send(world: World, kind: str,
                                                     tmp_path: Path) -> None:
    for seed in (1, 2):
        result = KINDS[kind](world, tmp_path / f"t{seed}", seed)
        assert result["duplicates"] == result["lost"] == 0, (seed, result)
        assert result["paid_in_between"] == result["stale"] == 0, (seed, result)
        if kind in DID_SOMETHING:
            assert result[DID_SOMETHING[kind]] > 0, (seed, result)  # the trial was not empty
