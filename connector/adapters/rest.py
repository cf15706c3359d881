"""A small kit for REST sources: the parts every JSON-over-HTTP adapter needs, written once.

- `Paginator` walks a list endpoint and refuses to loop or to stop silently: a cursor or next
  link seen twice, a next link pointing back, the same page of items twice, or a page without
  the expected envelope raise `PagingError` naming the source and the request. Subclasses say
  where the items are and what comes next (`CursorPaginator`: Pennylane's `has_more` +
  `next_cursor`; `NextLinkPaginator`: Sage's `$items` + `$next` link with a page number).
- `with_last` (last-page look-ahead), `batches` (pages of a known list), `since` (a stored
  instant minus a look-back), `full_scan_due` (a periodic full read that a clock going back also
  triggers).
- `json_body` and `error_describer`: decoding hooks for `HttpClient(describe_error=...)`.
- `key_stamp`: the one marker (`[relance:KEY]`) written on what we leave in a source.

A new source is then a few class attributes over a paginator, in the manner of a Singer SDK
stream (https://sdk.meltano.com/en/latest/guides/pagination-classes.html).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import urllib.parse
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from connector.errors import PermanentError, TransientError

if TYPE_CHECKING:  # the file sources and the demo use the paging helpers without any HTTP
    import requests

T = TypeVar("T")
Fetch = Callable[[dict[str, Any]], Any]
"""Sends one list request with these extra query parameters; returns the decoded body."""


class PagingError(PermanentError):
    """A list endpoint's paging went wrong; we stopped rather than loop or end early."""


class Paginator(ABC):
    """One walk over a list endpoint, with the loop guard built in.

    `pages(fetch)` yields each page's items. While a page is in hand, `body` is its decoded
    body (for a resumable position, e.g. a changelog's last cursor).
    """

    envelope: ClassVar[str] = "items"
    token_name: ClassVar[str] = "next cursor"

    def __init__(self, source: str, what: str) -> None:
        self.source = source
        self.what = what  # e.g. "GET /customers": named in every error
        self.body: Any = None

    def items(self, body: Any) -> list[Any]:
        """The page's items; a body without the envelope is an error, not an empty page."""
        items = body.get(self.envelope) if isinstance(body, dict) else None
        if not isinstance(items, list):
            raise PagingError(f"{self.source} answered {self.what} without the {self.envelope!r} "
                              "list of a page; stopping instead of reading it as no items")
        return items

    @abstractmethod
    def next_token(self, body: Any) -> str | None:
        """The token of the following page, None after the last one."""

    @abstractmethod
    def params(self, token: str) -> dict[str, Any]:
        """The extra query parameters that ask for the page of `token`."""

    def check_forward(self, previous: str | None, token: str) -> None:
        """Raise if `token` cannot follow `previous` (e.g. a page number going back)."""

    def pages(self, fetch: Fetch, start: str | None = None) -> Iterator[list[Any]]:
        """Every page, from `start` (a token) or from the first page."""
        tokens: set[str] = {start} if start else set()
        seen_pages: set[str] = set()
        token = start
        while True:
            body = fetch(self.params(token) if token else {})
            items = self.items(body)
            fingerprint = _fingerprint(items)
            if fingerprint in seen_pages:
                raise PagingError(f"{self.source} sent the same page of items twice for "
                                  f"{self.what}; stopping instead of looping")
            if items:
                seen_pages.add(fingerprint)
            following = self.next_token(body)
            if following is not None:
                if following in tokens:
                    raise PagingError(f"{self.source} returned the same {self.token_name} twice "
                                      f"for {self.what}; stopping instead of looping")
                self.check_forward(token, following)
                tokens.add(following)
            self.body = body
            yield items
            if following is None:
                return
            token = following


class CursorPaginator(Paginator):
    """`{"items": [...], "has_more": bool, "next_cursor": str}`; the cursor alone carries the
    position, so filters and sort are sent again with it (Pennylane v2 lists and changelogs)."""

    token_name = "next_cursor"

    def next_token(self, body: Any) -> str | None:
        if not body.get("has_more"):
            return None
        cursor = body.get("next_cursor")
        if not cursor:
            raise PagingError(f"{self.source} said {self.what} has more items but gave no "
                              "next_cursor; stopping instead of reading the first page again")
        return str(cursor)

    def params(self, token: str) -> dict[str, Any]:
        return {"cursor": token}


class NextLinkPaginator(Paginator):
    """`{"$items": [...], "$next": "/path?...&page=N"}` (Sage v3.1). Only the page number of
    `$next` is taken: our own parameters are kept, so a server that drops filters from its link
    cannot widen the read. A `$next` whose page does not come after the current one raises."""

    envelope = "$items"
    token_name = "$next page"

    def items(self, body: Any) -> list[Any]:
        return [item for item in super().items(body) if isinstance(item, dict)]

    def next_token(self, body: Any) -> str | None:
        link = body.get("$next")
        if not link:
            return None
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(str(link)).query)
        number = (query.get("page") or [""])[0]
        if not number.isdigit():
            raise PagingError(f"{self.source} gave {self.what} a $next link without a page "
                              f"number ({str(link)[:120]}); stopping")
        return number

    def params(self, token: str) -> dict[str, Any]:
        return {"page": int(token)}

    def check_forward(self, previous: str | None, token: str) -> None:
        current = int(previous or 1)
        if int(token) <= current:
            raise PagingError(f"{self.source}'s $next for {self.what} points back to page "
                              f"{token} from page {current}; stopping instead of ending the "
                              "read early or looping")


def _fingerprint(items: list[Any]) -> str:
    ids = [item.get("id") if isinstance(item, dict) else None for item in items]
    text = json.dumps(ids if all(i is not None for i in ids) else items, sort_keys=True,
                      default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def with_last(pages: Iterable[T]) -> Iterator[tuple[T, bool]]:
    """Each page with a flag telling whether it is the last one (one page of look-ahead)."""
    iterator = iter(pages)
    try:
        current = next(iterator)
    except StopIteration:
        return
    for following in iterator:
        yield current, False
        current = following
    yield current, True


def batches(items: Sequence[T], size: int) -> Iterator[tuple[Sequence[T], bool]]:
    """`items` cut into pages of `size`, each with its last-page flag; one empty page if none
    (so the checkpoint of an empty read is still given)."""
    if not items:
        yield items, True
    for start in range(0, len(items), size):
        yield items[start:start + size], start + size >= len(items)


def stamp(moment: dt.datetime) -> str:
    """An instant as the ISO text stored in cursors (UTC, seconds)."""
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def since(stored: Any, look_back: dt.timedelta) -> str | None:
    """A stored instant moved back by `look_back`: clock skew between us and the source, and
    changes committed while we read, are then read again (harmless: the store upserts)."""
    if not stored:
        return None
    moment = dt.datetime.fromisoformat(str(stored))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return stamp(moment - look_back)


def full_scan_due(last: str | None, today: dt.date, every_days: int) -> bool:
    """True when no full read is recorded, the last is `every_days` old, or it is in the future
    (the clock went back: trust nothing)."""
    if not last:
        return True
    done = dt.date.fromisoformat(last)
    return (today - done).days >= every_days or done > today


def json_body(response: requests.Response, source: str,
              parse_float: Callable[[str], Any] | None = None) -> Any:
    """The decoded body; a body that is not JSON (a proxy's error page) is transient."""
    try:
        return json.loads(response.content or b"null", parse_float=parse_float)
    except ValueError:
        method = response.request.method if response.request is not None else "?"
        raise TransientError(
            f"{source} answered {method} {str(response.url).split('?')[0]} "
            f"({response.status_code}) with a body that is not JSON") from None


def error_describer(pick: Callable[[Any], str | None]) -> Callable[[requests.Response], str]:
    """A `describe_error` hook for HttpClient: `pick` turns the vendor's decoded error body into
    one sentence (None: the body itself, rendered readably whatever its shape, never as a
    Python repr); text bodies are shown cut short."""

    def describe(response: requests.Response) -> str:
        from connector.http import json_detail  # loaded by then: a response came through it

        try:
            body = json.loads(response.content or b"null")
        except ValueError:
            return (response.text or response.reason or "").strip()[:300]
        return (pick(body) or json_detail(body) or response.reason
                or f"HTTP {response.status_code}")[:300]

    return describe


def key_stamp(key: str) -> str:
    """The marker written on every object we leave in a source, found again by `find_pushed`."""
    return f"[relance:{key}]"
