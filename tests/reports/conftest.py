from __future__ import annotations

from pathlib import Path

import pytest

from connector.reports import Report, build_report
from connector.store.store import Store
from tests.reports import golden


@pytest.fixture
def golden_store(tmp_path: Path) -> Store:
    store = Store(f"sqlite:///{tmp_path / 'state.db'}")
    golden.fill(store)
    return store


@pytest.fixture
def golden_report(golden_store: Store) -> Report:
    return build_report(golden_store, [(golden.TENANT, golden.SOURCE)], golden.TODAY)
