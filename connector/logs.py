"""Log context (tenant, run id) for every line logged during a run, and an optional JSON format.

A long-running `relance serve` interleaves many tenants; each log line carries the tenant and the
run it belongs to, also lines logged deep inside the sync engine or the dispatcher, which know
nothing of runs. `--log-json` prints one JSON object per line for log collectors.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from connector.secrets import install_log_redaction

_context: contextvars.ContextVar[tuple[tuple[str, Any], ...]] = contextvars.ContextVar(
    "relance_log_context", default=())
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


@contextmanager
def bound(**fields: Any) -> Iterator[None]:
    """Add fields (e.g. tenant=…, run_id=…) to every log line emitted inside the block."""
    token = _context.set(tuple({**dict(_context.get()), **fields}.items()))
    try:
        yield
    finally:
        _context.reset(token)


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _context.get():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.timezone.utc).isoformat(),
            "level": record.levelname.lower(), "logger": record.name,
            "msg": record.getMessage()}
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD
                      and not k.startswith("_")})
        if record.exc_text:
            entry["exc"] = record.exc_text
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The usual line, with `[tenant run]` when inside a run."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        tenant, run_id = getattr(record, "tenant", None), getattr(record, "run_id", None)
        if tenant:
            line = line.replace(": ", f" [{tenant}{' ' + run_id[:8] if run_id else ''}]: ", 1)
        return line


def configure(*, as_json: bool, level: int | None = None) -> None:
    """Switch the root logger's handlers to the context-aware (and optionally JSON) format."""
    root = logging.getLogger()
    if level is not None:
        root.setLevel(level)
    if not root.handlers:
        root.addHandler(logging.StreamHandler())
    for handler in root.handlers:
        handler.setFormatter(JsonFormatter() if as_json else TextFormatter(
            "%(asctime)s %(levelname)s %(name)s: %(message)s"))
        if not any(isinstance(f, ContextFilter) for f in handler.filters):
            handler.addFilter(ContextFilter())
    logging.getLogger("alembic").setLevel(logging.WARNING)  # "Context impl …" on every open
    install_log_redaction()
