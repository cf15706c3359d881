"""Pull: stream pages from an adapter into the store, one transaction per page.

Each page's records and its checkpoint are committed together (DESIGN §5.6): a crash between pages
loses at most the page in hand, which the next sync reads again from the stored cursor.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from connector.adapters.base import BaseAdapter, Page
from connector.clock import Now
from connector.errors import ConnectorError
from connector.secrets import redact
from connector.store.store import Store

log = logging.getLogger(__name__)
STREAMS = ("customers", "invoices", "payments")


@dataclass
class SyncResult:
    counts: dict[str, int] = field(default_factory=dict)
    rejected: int = 0
    deleted: int = 0
    pages: int = 0
    tasks_closed: int = 0
    """Tasks closed after the sync because their invoices were settled or done in the source."""

    def add(self, stream: str, n: int) -> None:
        self.counts[stream] = self.counts.get(stream, 0) + n


def sync(store: Store, adapter: BaseAdapter, tenant: str, source: str | None = None,
         streams: tuple[str, ...] = STREAMS,
         on_page: Callable[[str, Page[Any]], None] | None = None, *,
         now: Now) -> SyncResult:
    """Read every stream from its stored cursor to now. Raises what the adapter raises, after
    recording the run as failed; what was committed before stays committed. `now` is the
    tenant's clock: it stamps the rows and the run."""
    source = source or adapter.kind
    run_id = store.start_sync_run(tenant, source, now())
    result = SyncResult()
    try:
        for stream in streams:
            if stream == "payments" and not adapter.capabilities.payments:
                continue
            cursor = store.cursor(tenant, source, stream)
            pages: Iterator[Page[Any]] = adapter.stream(stream)(cursor)
            for page in pages:
                for rejected in page.rejected:
                    log.warning("%s %s: skipped record %s: %s", source, stream,
                                rejected.source_id, redact(rejected.reason))
                store.save_page(tenant, source, stream, page.records, page.deleted,
                                page.checkpoint,
                                [(r.source_id, redact(r.reason)) for r in page.rejected],
                                now=now())
                result.add(stream, len(page.records))
                result.rejected += len(page.rejected)
                result.deleted += len(page.deleted)
                result.pages += 1
                if on_page is not None:
                    on_page(stream, page)
    except (ConnectorError, OSError) as exc:
        store.finish_sync_run(run_id, "failed", _summary(result), redact(str(exc)), now=now())
        raise
    except Exception as exc:  # a bug: still raised, but the run must not stay "running"
        store.finish_sync_run(run_id, "failed", _summary(result),
                              redact(f"{type(exc).__name__}: {exc}")[:2000], now=now())
        raise
    store.finish_sync_run(run_id, "ok", _summary(result), now=now())
    log.info("synced %s for %s: %s", source, tenant, _summary(result))
    return result


def _summary(result: SyncResult) -> dict[str, int]:
    return {**result.counts, "rejected": result.rejected, "deleted": result.deleted,
            "pages": result.pages}
