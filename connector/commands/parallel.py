"""A firm's clients side by side (`relance --firm DIR run|sync|plan`): one client waiting on its
source or its relay must not hold up the others, and each client's output stays in one block.

While the clients run, sys.stdout and sys.stderr are replaced by a proxy that writes into the
calling thread's own buffer (when it has one) or through to the real stream; each block is
printed as its client finishes, so a slow client does not hide the others' results either.
"""

from __future__ import annotations

import io
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from typing import TextIO, TypeVar

T = TypeVar("T")


class _PerThread(io.TextIOBase):
    """A text stream that each thread may redirect into its own buffer."""

    def __init__(self, default: TextIO) -> None:
        super().__init__()
        self.default = default
        self.local = threading.local()

    def _target(self) -> TextIO:
        buffer: TextIO | None = getattr(self.local, "buffer", None)
        return buffer if buffer is not None else self.default

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.default, "encoding", None) or "utf-8"

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return getattr(self.default, "errors", None)

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return getattr(self.local, "buffer", None) is None and self.default.isatty()

    def write(self, text: str) -> int:
        return self._target().write(text)

    def flush(self) -> None:
        self._target().flush()


@contextmanager
def proxied() -> Iterator[tuple[_PerThread, _PerThread]]:
    """Install the per-thread proxies on sys.stdout and sys.stderr for the block."""
    saved = sys.stdout, sys.stderr
    out, err = _PerThread(sys.stdout), _PerThread(sys.stderr)
    sys.stdout, sys.stderr = out, err
    try:
        yield out, err
    finally:
        sys.stdout, sys.stderr = saved


@contextmanager
def captured(out: _PerThread, err: _PerThread) -> Iterator[tuple[io.StringIO, io.StringIO]]:
    """What this thread writes to stdout and stderr inside the block, kept apart."""
    buffers = io.StringIO(), io.StringIO()
    out.local.buffer, err.local.buffer = buffers
    try:
        yield buffers
    finally:
        out.local.buffer = err.local.buffer = None


def completed(items: Iterable[str], work: Callable[[str], T], workers: int) -> Iterator[T]:
    """`work(item)` for every item, up to `workers` at once; results in the order they end."""
    with ThreadPoolExecutor(max(1, workers), thread_name_prefix="client") as pool:
        futures = [pool.submit(work, item) for item in items]
        for future in as_completed(futures):
            yield future.result()
