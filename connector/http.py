"""The one transport layer: sessions, timeouts, retries, classification (budgets: budget.py).

Adapters call `HttpClient.request()` and get a response or one of the errors of `connector.errors`.
A `Retry-After` is honoured up to `max_wait`; beyond it the request fails at once (RateLimited with
the server's delay) so that the run stops that source and goes on later, rather than sleeping.
Retries live here and nowhere else (DESIGN §5.3). A request that is not idempotent (a POST that
creates something, on an API without idempotency keys) is retried only where we know the server did
not act: a 429, or a connection that was never established.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable, Collection, Mapping
from typing import Any

import requests
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from connector import __version__
from connector.budget import RateBudget, seconds_until
from connector.errors import AuthError, PermanentError, RateLimited, TransientError
from connector.secrets import redact

log = logging.getLogger(__name__)
USER_AGENT = f"relance/{__version__} (+accounts-receivable connector)"
DEFAULT_TIMEOUT = (10.0, 60.0)  # connect, read


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds: either a number or an HTTP date."""
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return seconds_until(when.timestamp())


# Classification is a table (DESIGN §5.4): status → error class to raise. 2xx passes.
STATUS_TABLE: dict[int, type[Exception]] = {
    400: PermanentError, 401: AuthError, 403: AuthError, 404: PermanentError,
    405: PermanentError, 408: TransientError, 409: PermanentError, 410: PermanentError,
    422: PermanentError, 425: TransientError, 429: RateLimited, 500: TransientError,
    502: TransientError, 503: TransientError, 504: TransientError,
}


def classify_status(status: int) -> type[Exception] | None:
    """The error class for an HTTP status, or None when the response is a success."""
    if 200 <= status < 300:
        return None
    if status in STATUS_TABLE:
        return STATUS_TABLE[status]
    return TransientError if status >= 500 else PermanentError


class _NotSent(TransientError):
    """The connection was never established: the server cannot have acted, any method may retry."""


class HttpClient:
    """A requests session bound to one API: base URL, auth headers, rate budget, retry policy."""

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        auth: Callable[[], Mapping[str, str]] | None = None,
        budget: RateBudget | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        max_attempts: int = 5,
        max_wait: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
        describe_error: Callable[[requests.Response], str] | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.session.headers.update(headers or {})
        self.auth, self.budget, self.timeout = auth, budget, timeout
        self.max_attempts, self.max_wait, self._sleep = max_attempts, max_wait, sleep
        self.describe_error = describe_error
        self.request_count = 0

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else f"{self.base_url}/{path.lstrip('/')}"

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        json: Any = None,
        data: Any = None,
        files: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        allow: Collection[int] = (),
    ) -> requests.Response:
        """Send with retries. Statuses in `allow` are returned to the caller instead of raised."""
        if idempotent is None:
            idempotent = method.upper() in {"GET", "HEAD", "OPTIONS", "PUT", "DELETE"}

        def retryable(exc: BaseException) -> bool:
            if isinstance(exc, RateLimited) and (exc.retry_after or 0) > self.max_wait:
                return False  # longer than we may wait in a run: the caller goes on without it
            return isinstance(exc, (RateLimited, _NotSent)) or (
                idempotent and isinstance(exc, TransientError))

        retrying = Retrying(
            retry=retry_if_exception(retryable),
            stop=stop_after_attempt(self.max_attempts),
            wait=self._wait,
            sleep=self._sleep,
            reraise=True,
        )
        return retrying(self._send_once, method, path, params, json, data, files, headers, allow)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            return min(float(exc.retry_after), self.max_wait)
        backoff = min(0.5 * 2 ** (state.attempt_number - 1), 30.0)
        return float(backoff * (0.5 + random.random() / 2))

    def _send_once(self, method: str, path: str, params: Any, json: Any, data: Any, files: Any,
                   headers: Mapping[str, str] | None, allow: Collection[int]) -> requests.Response:
        if self.budget is not None:
            self.budget.acquire()
        merged = dict(self.auth() if self.auth else {})
        merged.update(headers or {})
        url = self.url(path)
        self.request_count += 1
        try:
            response = self.session.request(method, url, params=params, json=json, data=data,
                                            files=files, headers=merged, timeout=self.timeout)
        except (requests.ConnectTimeout, requests.exceptions.InvalidURL) as exc:
            raise _NotSent(f"could not connect to {_public(url)}: {type(exc).__name__}") from None
        except requests.ConnectionError as exc:
            if "NewConnectionError" in repr(exc) or "Name or service" in repr(exc):
                raise _NotSent(f"could not connect to {_public(url)}") from None
            raise TransientError(f"connection to {_public(url)} failed: {type(exc).__name__}") from None
        except requests.Timeout:
            raise TransientError(f"{method} {_public(url)} timed out") from None
        except requests.RequestException as exc:
            raise TransientError(f"{method} {_public(url)} failed: {type(exc).__name__}") from None
        if self.budget is not None:
            self.budget.observe(response.headers)
        if response.status_code in allow:
            return response
        error_class = classify_status(response.status_code)
        if error_class is None:
            return response
        detail = self.describe_error(response) if self.describe_error else _snippet(response)
        message = redact(f"{method} {_public(url)} answered {response.status_code}: {detail}")
        if error_class is RateLimited:
            wait = retry_after_seconds(response.headers.get("Retry-After"))
            if self.budget is not None and wait:
                # capped: a server asking for 15 min must not stall every client of the budget
                self.budget.block_for(min(wait, self.max_wait))
            raise RateLimited(message, retry_after=wait)
        raise error_class(message)


def _public(url: str) -> str:
    """The URL without its query string, which may carry tokens."""
    return url.split("?", 1)[0]


MESSAGE_KEYS = ("message", "error_description", "detail", "error", "title", "$message",
                "description", "reason")


def json_detail(body: Any, limit: int = 300) -> str:
    """Any JSON error body as one readable sentence: the message-like fields first, then the
    others as "key: value", lists joined; never a Python repr."""
    def flat(value: Any, depth: int = 0) -> str:
        if depth > 3:
            return "…"
        if isinstance(value, dict):
            first = [flat(value[k], depth + 1) for k in MESSAGE_KEYS
                     if value.get(k) not in (None, "", [], {})]
            rest = [f"{k}: {flat(v, depth + 1)}" for k, v in value.items()
                    if k not in MESSAGE_KEYS and v not in (None, "", [], {})]
            return "; ".join(first + rest)
        if isinstance(value, list):
            return "; ".join(flat(v, depth + 1) for v in value[:5] if v not in (None, ""))
        return str(value).strip()

    return flat(body)[:limit]


def _snippet(response: requests.Response) -> str:
    text = (response.text or "").strip().replace("\n", " ")
    return text[:300] or response.reason or ""
