"""Run one measured step in a child process and read its own resource usage back.

Peak RSS needs care: Linux carries the high-water RSS of the process that forks into the child's
`ru_maxrss` across exec, so a child forked straight from the driver (which holds the fake servers
and their ledgers) would report the driver's size. Each step is therefore started by a small
launcher (this module run as a script, ~10 MB): it forks the step, reads the step's own usage
with `os.wait4` and writes it to a file for the driver.
"""

from __future__ import annotations

import json
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
    """Wall, CPU (user + system) and peak RSS of one step; its output goes to cwd/<name>.log."""
    child_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    stem = name.replace(" ", "_").replace("/", "_")
    log, usage_file = cwd / f"{stem}.log", cwd / f"{stem}.usage.json"
    with log.open("wb") as out:
        subprocess.run([sys.executable, __file__, str(usage_file), str(timeout), *argv], cwd=cwd,
                       env=child_env, stdout=out, stderr=subprocess.STDOUT, check=False)
    usage = json.loads(usage_file.read_text(encoding="utf-8"))
    if usage["exit_code"] != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
        print(f"  ! {name} exited {usage['exit_code']}:\n{tail}", file=sys.stderr)
    shown = " ".join(a if a != sys.executable else "python" for a in argv)
    return Figure(name, round(usage["wall_s"], 2), round(usage["cpu_s"], 2),
                  round(usage["maxrss_kb"] / 1024, 1), usage["exit_code"], shown)


def _launch(usage_file: str, timeout: float, argv: list[str]) -> None:
    started = time.perf_counter()
    process = subprocess.Popen(argv)
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
    Path(usage_file).write_text(json.dumps({
        "wall_s": time.perf_counter() - started, "cpu_s": usage.ru_utime + usage.ru_stime,
        "maxrss_kb": usage.ru_maxrss, "exit_code": os.waitstatus_to_exitcode(status)}),
        encoding="utf-8")


if __name__ == "__main__":
    _launch(sys.argv[1], float(sys.argv[2]), sys.argv[3:])
