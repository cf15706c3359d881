"""Increments for sources that are files re-read on each run (FEC, spreadsheets).

A file has no change log, so the adapter reads it whole and the cursor remembers a fingerprint
of every record it handed over: the next read gives only the records whose fingerprint changed,
and the ids that are no longer there as deleted (the file is the truth). When no input file
changed at all (same content digest), nothing is parsed. Rejected lines are reported when the
files change, not on every run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from connector.adapters.base import Cursor, Page, Rejected
from connector.adapters.rest import batches

PAGE_SIZE = 500
M = TypeVar("M", bound=BaseModel)


def digest(paths: Iterable[Path], salt: str = "") -> str:
    """The content of the input files (and the settings that shape the records)."""
    hashed = hashlib.sha256(salt.encode())
    for path in sorted(paths):
        hashed.update(str(path).encode() + b"\0")
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                hashed.update(block)
    return hashed.hexdigest()


def fingerprint(record: BaseModel) -> str:
    return hashlib.sha256(record.model_dump_json().encode()).hexdigest()[:16]


def unchanged(since: Cursor | None, source_digest: str) -> bool:
    return bool(since) and since is not None and since.get("digest") == source_digest


def increment(records: Sequence[M], since: Cursor | None, source_digest: str,
              rejected: Sequence[tuple[str, str]] = ()) -> Iterator[Page[M]]:
    """Pages of what changed since `since` (everything without one); the last page carries
    the checkpoint, the deleted ids and, on a full read, `full_scan_complete`."""
    seen: dict[str, Any] | None = dict(since["seen"]) if since and "seen" in since else None
    prints = {getattr(r, "external_id"): fingerprint(r) for r in records}
    changed = list(records) if seen is None else [
        r for r in records if seen.get(getattr(r, "external_id")) != prints[
            getattr(r, "external_id")]]
    deleted = [] if seen is None else sorted(set(seen) - set(prints))
    checkpoint = {"digest": source_digest, "seen": prints}
    reasons = [Rejected(where[-128:], reason) for where, reason in rejected]
    if not changed:
        yield Page([], checkpoint, rejected=reasons, deleted=deleted,
                   full_scan_complete=seen is None)
        return
    for number, (chunk, last) in enumerate(batches(changed, PAGE_SIZE)):
        yield Page(list(chunk), checkpoint if last else None,
                   rejected=reasons if number == 0 else [],
                   deleted=deleted if last else [], full_scan_complete=last and seen is None)
