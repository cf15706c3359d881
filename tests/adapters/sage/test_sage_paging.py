"""Sage paging faults: a `$next` that never ends, points back, or a list without `$items`.

Before the REST kit these walked 198 pages until killed, ended the read silently (and still
counted it as a full scan), or read as "no items"; each must now stop with a clear error.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from connector.adapters.base import Page
from connector.adapters.rest import PagingError
from tests.adapters.sage.fixtures import (  # noqa: F401 - fixtures
    make_adapter,
    needs_sage_spec,
    sage,
    seed,
)
from tests.fakes.sage_server import RunningSage


def _requests(sage: RunningSage, resource: str) -> int:  # noqa: F811
    return sum(1 for e in sage.fake.log if e["path"] == f"/v3.1/{resource}")


def test_endless_next_stops_after_two_repeated_pages(sage: RunningSage,  # noqa: F811
                                                     tmp_path: Path) -> None:
    seed(sage)
    adapter = make_adapter(sage, tmp_path)
    sage.fake.paging_faults["/sales_invoices"] = "endless"
    with pytest.raises(PagingError, match="same page of items twice for GET sales_invoices"):
        list(adapter.invoices(None))
    assert _requests(sage, "sales_invoices") == 2


def test_next_pointing_back_raises_and_is_no_full_scan(sage: RunningSage,  # noqa: F811
                                                       tmp_path: Path) -> None:
    seed(sage)
    adapter = make_adapter(sage, tmp_path)
    sage.fake.paging_faults["/sales_invoices"] = "back"
    pages: list[Page[object]] = []
    with pytest.raises(PagingError, match="points back to page 1 from page 2"):
        for page in adapter.invoices(None):
            pages.append(page)
    # nothing that would let the store drop "vanished" invoices was said
    assert not any(p.full_scan_complete or p.checkpoint for p in pages)


def test_list_without_items_envelope_is_an_error_not_an_empty_book(
        sage: RunningSage, tmp_path: Path) -> None:  # noqa: F811
    seed(sage)
    adapter = make_adapter(sage, tmp_path)
    sage.fake.paging_faults["/contacts"] = "no_envelope"
    with pytest.raises(PagingError, match=r"GET contacts without the '\$items' list"):
        list(adapter.customers(None))

