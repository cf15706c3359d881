"""DESIGN §5.4: HTTP statuses are classified from one table, tested as a table.

Each row says what the caller does next: retry later (transient, rate limited), ask a person to
fix credentials (auth), or give up on this request (permanent)."""

from __future__ import annotations

import pytest

from connector.errors import AuthError, PermanentError, RateLimited, TransientError
from connector.http import STATUS_TABLE, classify_status


@pytest.mark.parametrize(("status", "expected"), [
    (200, None), (201, None), (204, None),
    (400, PermanentError), (401, AuthError), (403, AuthError), (404, PermanentError),
    (405, PermanentError), (408, TransientError), (409, PermanentError), (410, PermanentError),
    (418, PermanentError),  # not in the table: a 4xx is the request's fault
    (422, PermanentError), (425, TransientError), (429, RateLimited),
    (500, TransientError), (502, TransientError), (503, TransientError), (504, TransientError),
    (507, TransientError),  # not in the table: a 5xx is the server's, worth another try
])
def test_status_classification(status: int, expected: type[Exception] | None) -> None:
    assert classify_status(status) is expected


def test_rate_limited_is_a_transient_error() -> None:
    """Callers that retry transient errors retry a 429 too (after its Retry-After)."""
    assert issubclass(RateLimited, TransientError)
    assert all(issubclass(cls, Exception) for cls in STATUS_TABLE.values())
