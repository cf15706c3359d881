"""The cost of `relance worker`'s beat: one beat over a firm of N clients on a throwaway
PostgreSQL (every job due: N defers), then a second beat (every job already waiting). Usage:

    python benchmarks/worker_beat.py --clients 200

The beat runs once a minute for the whole firm, so it must stay well under a minute.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from connector.app import worker as queue  # noqa: E402
from tests.helpers import write_firm  # noqa: E402
from tests.pg import start_server, unavailable  # noqa: E402

ALWAYS = 'reminders_at = "00:00"\ndays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]\n'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=200)
    args = parser.parse_args()
    if reason := unavailable():
        sys.exit(reason)
    server = start_server()
    try:
        url = server.create_database()
        queue.ensure_schema(url)
        with tempfile.TemporaryDirectory() as folder:
            firm = write_firm(Path(folder), state=url, schedule=ALWAYS, clients={
                f"c{n:05d}": f"seed = {n}\ncustomers = 3\ninvoices = 10\n"
                for n in range(args.clients)})
            app = queue.build_app(url)
            target = queue.Target(firm, dt.date(2026, 11, 27))
            figures: dict[str, object] = {"clients": args.clients}
            with app.open():
                for name in ("first_beat", "second_beat"):
                    start = time.perf_counter()
                    figures[name] = queue.beat(app, target)
                    figures[f"{name}_seconds"] = round(time.perf_counter() - start, 2)
        print(json.dumps(figures, indent=2))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
