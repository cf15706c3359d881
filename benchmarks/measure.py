"""Run one measured step in a child process and read its own resource usage back.

`os.wait4` returns the rusage of exactly that child (not of every child so far, as RUSAGE_CHILDREN
would), so the driver can keep fake servers running in its own process without blurring figures.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Figure:
    name: str
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    exit_code: int
    command: str
    extra: dict[str, Any] = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        return asdict(self)


def relance_command(config: Path, today: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "connector", "--config", str(config), "--today", today, *args]


def measure(name: str, argv: list[str], *, cwd: Path, env: dict[str, str] | None = None,
            timeout: float = 1800.0) -> Figure:
    """Wall, CPU (user + system) and peak RSS of one child; its output goes to cwd/<name>.log."""
    child_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    log = cwd / f"{name.replace(' ', '_').replace('/', '_')}.log"
    with log.open("wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(argv, cwd=cwd, env=child_env, stdout=out,
                                   stderr=subprocess.STDOUT)
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                process.kill()
                pid, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.01)
        wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
        print(f"  ! {name} exited {process.returncode}:\n{tail}", file=sys.stderr)
    shown = " ".join(a if a != sys.executable else "python" for a in argv)
    return Figure(name, round(wall, 2), round(usage.ru_utime + usage.ru_stime, 2),
                  round(usage.ru_maxrss / 1024, 1), process.returncode, shown)
