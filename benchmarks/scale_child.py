"""One `relance worker` process for benchmarks/firm_scale.py, with a recorder around each run.

The recorder appends `start` and `end` lines (tenant, job, pid, CLOCK_MONOTONIC, which every
process on the machine shares) around the locked section of `run_tenant`, one write() each, so a
SIGKILL loses nothing already written. The driver finds overlapping runs of one tenant from these
lines alone, not from what the lock says about itself.

    python -m benchmarks.scale_child STATE_URL LOG_FILE CONCURRENCY
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(state_url: str, log_file: str, concurrency: int) -> None:
    from connector.app import scheduler, worker

    out = open(log_file, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 - for the process
    locked = scheduler._run_locked

    def recorded(config: Any, *args: Any, **kwargs: Any) -> Any:
        job = args[1] if len(args) > 1 else kwargs.get("job")
        out.write(json.dumps(["start", config.tenant, job, os.getpid(), time.monotonic()]) + "\n")
        try:
            return locked(config, *args, **kwargs)
        finally:
            out.write(json.dumps(["end", config.tenant, job, os.getpid(),
                                  time.monotonic()]) + "\n")

    scheduler._run_locked = recorded
    app = worker.build_app(state_url, None, pool_size=concurrency + 1)
    worker.run_worker(app, concurrency=concurrency, stalled_after=3.0, heartbeat=1.0,
                      polling=0.5)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
