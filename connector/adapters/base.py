"""The adapter protocol every accounting system implements, and the registry of kinds.

An adapter maps vendor records to `connector.models`, explains vendor quirks at the spot, and
nothing else: it does not retry (connector.http does), does not touch the store, and knows no rules.

Streams yield `Page`s. A page's `checkpoint` is the cursor that is valid once the page's records
are stored; the sync engine stores both in one transaction. Cursors are JSON-serialisable dicts,
opaque to the engine and meaningful only to the adapter that made them.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar, Generic, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel, ConfigDict, ValidationError

from connector.budget import BudgetFactory, shared_budget
from connector.clock import MACHINE, Now
from connector.errors import BadRecordError, ConfigError
from connector.models import Customer, Invoice, Payment, rejected_fields
from connector.secrets import SecretStore

log = logging.getLogger(__name__)

Cursor = Mapping[str, Any]
T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Rejected:
    """A source record that could not be mapped: logged, stored for `status`, and skipped."""

    source_id: str | None
    reason: str


@dataclass(frozen=True)
class Page(Generic[T]):
    records: list[T]
    checkpoint: Cursor | None
    rejected: list[Rejected] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    full_scan_complete: bool = False
    """Set on the last page of a full (non-incremental) read: the store may then drop local rows
    that the source no longer has."""


@dataclass(frozen=True)
class Capabilities:
    notes: bool = False
    tasks: bool = False
    send_via_source: bool = False
    payments: bool = False
    pdf: bool = False


@dataclass(frozen=True)
class SourceInfo:
    kind: str
    url: str | None
    version: str | None
    user: str | None = None
    missing_rights: list[str] = field(default_factory=list)
    rights: dict[str, list[str]] = field(default_factory=dict)
    """Missing rights by need ("read", "notes", "tasks", "send_via_source"), where the adapter
    can tell them apart: `check` then reports only what the configured channels need."""
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PushRequest:
    """What a reminder leaves in the source: a note, a task, or a message sent by the source.

    `key` is our idempotency key; the adapter stamps it on the remote object so that
    `find_pushed(key)` can tell, after a crash, whether the push already happened.
    """

    key: str
    invoice_ids: list[str]
    customer_id: str
    level: str
    channel: str
    summary: str
    body: str
    due_date: dt.date | None = None
    recipients: list[str] = field(default_factory=list)
    attachment: bytes | None = None
    attachment_name: str | None = None
    amounts: Mapping[str, Decimal] = field(default_factory=dict)
    """Each invoice's own amount in this reminder, as sent (after the freshness gate)."""
    currency: str | None = None
    html: str | None = None
    """The body as HTML, for a message the source sends to the customer (`body` is its text)."""
    task: str = "todo"
    """For a task: "call" or "todo"."""


class SourceConfig(BaseModel):
    """Base of each adapter's `[source]` table. Unknown keys are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: str
    secret_env: str | None = None


@dataclass(frozen=True)
class JournalEntry:
    """Where a push was about to go, recorded before its first side effect."""

    customer_id: str
    invoice_ids: tuple[str, ...]


class PushJournal(Protocol):
    """The push intents of one tenant's source, shared by every host that runs the tenant.

    Implemented by the store (connector.store.journal); adapters only see this interface, so the
    dependency points down. `start` is durable when it returns: a crash after it leaves the
    intent for `find_pushed` to look up."""

    def started(self, key: str) -> JournalEntry | None: ...

    def start(self, key: str, entry: JournalEntry) -> None: ...


class MemoryJournal:
    """A journal that lives as long as the process: for one-off commands and unit tests."""

    def __init__(self) -> None:
        self.entries: dict[str, JournalEntry] = {}

    def started(self, key: str) -> JournalEntry | None:
        return self.entries.get(key)

    def start(self, key: str, entry: JournalEntry) -> None:
        self.entries[key] = entry


@dataclass
class AdapterContext:
    """What an adapter may know of its surroundings besides its own `[source]` table."""

    tenant: str
    secrets: SecretStore
    today: dt.date
    state_dir: Path
    sleep: Callable[[float], None] = time.sleep
    now: Now = MACHINE
    """The tenant's clock (its `--today` shift included), for stamps the adapter writes."""
    journal: PushJournal = field(default_factory=MemoryJournal)
    """Push intents, in the store when a tenant runs (so a second host sees them)."""
    budgets: BudgetFactory = shared_budget
    """Rate budgets per (credential, host): in the store when a tenant runs, so that every
    process using one credential shares one budget."""


@runtime_checkable
class Adapter(Protocol):
    """The whole contract between a source and the rest of relance (BaseAdapter implements it)."""

    kind: ClassVar[str]
    config_model: ClassVar[type[SourceConfig]]
    capabilities: Capabilities

    def __init__(self, config: Any, context: AdapterContext) -> None: ...

    def check(self) -> SourceInfo: ...

    def customers(self, since: Cursor | None) -> Iterator[Page[Customer]]: ...

    def invoices(self, since: Cursor | None) -> Iterator[Page[Invoice]]: ...

    def payments(self, since: Cursor | None) -> Iterator[Page[Payment]]: ...

    def refresh(self, invoice_ids: list[str]) -> list[Invoice]: ...

    def push_note(self, request: PushRequest) -> str: ...

    def push_task(self, request: PushRequest) -> str: ...

    def send_via_source(self, request: PushRequest) -> str: ...

    def close_task(self, remote_id: str, *, invoice_ids: Collection[str] | None = None,
                   feedback: str | None = None) -> bool: ...

    def tasks_done(self, remote_ids: Sequence[str], *,
                   settled: Collection[str] = ()) -> set[str]: ...

    def find_pushed(self, key: str) -> str | None: ...

    def status_warnings(self) -> list[str]: ...

    def close(self) -> None: ...


class BaseAdapter:
    """Defaults for the whole `Adapter` contract: no payments stream, no push-back. Override what
    the source allows; `check`, `customers`, `invoices` and `refresh` every source must give."""

    kind: ClassVar[str] = ""
    config_model: ClassVar[type[SourceConfig]] = SourceConfig
    capabilities: Capabilities = Capabilities()

    def __init__(self, config: Any, context: AdapterContext) -> None:
        self.config = config
        self.context = context

    def check(self) -> SourceInfo:
        raise NotImplementedError(f"{self.kind} adapter has no check()")

    def customers(self, since: Cursor | None) -> Iterator[Page[Customer]]:
        raise NotImplementedError(f"{self.kind} adapter has no customers stream")

    def invoices(self, since: Cursor | None) -> Iterator[Page[Invoice]]:
        raise NotImplementedError(f"{self.kind} adapter has no invoices stream")

    def refresh(self, invoice_ids: list[str]) -> list[Invoice]:
        raise NotImplementedError(f"{self.kind} adapter cannot re-read invoices")

    def stream(self, name: str) -> Callable[[Cursor | None], Iterator[Page[Any]]]:
        """The reader of one stream by name ("customers", "invoices", "payments")."""
        readers: dict[str, Callable[[Cursor | None], Iterator[Page[Any]]]] = {
            "customers": self.customers, "invoices": self.invoices, "payments": self.payments}
        try:
            return readers[name]
        except KeyError:
            raise ValueError(f"unknown stream {name!r}") from None

    def payments(self, since: Cursor | None) -> Iterator[Page[Payment]]:
        return iter(())

    def push_note(self, request: PushRequest) -> str:
        raise NotImplementedError(f"{self.kind} cannot store notes")

    def push_task(self, request: PushRequest) -> str:
        raise NotImplementedError(f"{self.kind} cannot store tasks")

    def send_via_source(self, request: PushRequest) -> str:
        raise NotImplementedError(f"{self.kind} cannot send messages itself")

    def status_warnings(self) -> list[str]:
        """Things `relance status` should tell a person about this source (expiring grants...)."""
        return []

    def invoice_pdf(self, invoice_id: str) -> bytes | None:
        """The invoice as the source prints it (PDF bytes), or None when it has none. Asked at
        send time (links such as Pennylane's expire); the caller caps the size and caches."""
        return None

    def find_pushed(self, key: str) -> str | None:
        """Remote id of an object stamped with `key`, or None. Used after a crash."""
        return None

    def close_task(self, remote_id: str, *, invoice_ids: Collection[str] | None = None,
                   feedback: str | None = None) -> bool:
        """Mark a task pushed earlier (`push_task`) as done in the source (only its part on
        `invoice_ids` when given: those were paid), with `feedback` as the reason shown there.
        True when closed there; False when this source cannot (the default): the task is then
        closed here only."""
        return False

    def tasks_done(self, remote_ids: Sequence[str], *,
                   settled: Collection[str] = ()) -> set[str]:
        """Of these pushed tasks, those a person has done in the source (a part on a `settled`
        invoice does not count: relance closes those itself). The default: none can be seen."""
        return set()

    def close(self) -> None:
        """Release sockets; called once by whoever built the adapter."""


def map_records(
    raw_items: Iterable[R],
    mapper: Callable[[R], T],
    source_id: Callable[[R], Any],
) -> tuple[list[T], list[Rejected]]:
    """Map vendor items; a bad one is logged with its source id and rejected, never fatal."""
    records: list[T] = []
    rejected: list[Rejected] = []
    for raw in raw_items:
        try:
            with rejected_fields() as dropped:
                records.append(mapper(raw))
            for reason in dropped:  # the record is kept, without the field
                sid = _safe_id(source_id, raw)
                log.warning("record %s: %s", sid, reason)
                rejected.append(Rejected(sid, reason))
        except (BadRecordError, ValidationError, ValueError, TypeError, KeyError,
                AttributeError, IndexError, ArithmeticError) as exc:
            try:
                sid = source_id(raw)
            except Exception:  # the id itself may be what is malformed
                sid = None
            reason = _short_reason(exc)
            log.warning("skipped a malformed record %s: %s", sid, reason)
            rejected.append(Rejected(None if sid is None else str(sid), reason))
    return records, rejected


def _safe_id(source_id: Callable[[Any], Any], raw: Any) -> str | None:
    try:
        sid = source_id(raw)
    except Exception:  # noqa: BLE001 - the id itself may be what is malformed
        return None
    return None if sid is None else str(sid)


def _short_reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        parts = [f"{'.'.join(map(str, e['loc'])) or 'record'}: {e['msg']}" for e in exc.errors()]
        return f"{type(exc).__name__}: " + "; ".join(parts[:5])
    return f"{type(exc).__name__}: {exc}"[:500]


# kind -> "module:Class"; imported lazily so a missing optional dependency of one adapter
# never breaks the others.
REGISTRY: dict[str, str] = {
    "demo": "connector.adapters.demo:DemoAdapter",
    "fec": "connector.adapters.fec:FecAdapter",
    "odoo": "connector.adapters.odoo:OdooAdapter",
    "pennylane": "connector.adapters.pennylane:PennylaneAdapter",
    "sage": "connector.adapters.sage:SageAdapter",
    "spreadsheet": "connector.adapters.spreadsheet:SpreadsheetAdapter",
}


def adapter_class(kind: str) -> type[BaseAdapter]:
    """The adapter class of a source kind, imported on demand."""
    target = REGISTRY.get(kind)
    if target is None:
        raise ConfigError(
            f"unknown source kind {kind!r}; expected one of {', '.join(sorted(REGISTRY))}",
            key="source.kind",
        )
    module_name, _, class_name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise ConfigError(f"source kind {kind!r} is not available: {exc}",
                          key="source.kind") from exc
    found: type[BaseAdapter] = getattr(module, class_name)
    return found
