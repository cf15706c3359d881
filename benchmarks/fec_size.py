"""How long a FEC takes to read: a generated FEC (`--invoices N`, 70 % lettered with a payment),
read in full, then again unchanged (the digest alone). Usage:

    python benchmarks/fec_size.py --invoices 20000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from connector.adapters.base import AdapterContext  # noqa: E402
from connector.adapters.fec import FecAdapter, FecConfig  # noqa: E402
from connector.secrets import SecretStore  # noqa: E402
from tests.adapters.contract import drain  # noqa: E402
from tests.trials.file_sources import HEADER  # noqa: E402


def books(folder: Path, invoices: int, customers: int) -> int:
    rng, lines = random.Random(1), [HEADER]
    for n in range(invoices):
        day = f"{dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(330)):%Y%m%d}"
        aux, amount = f"CLI{rng.randrange(customers):05d}", f"{rng.randint(100, 99999)},00"
        code = f"L{n}" if rng.random() < 0.7 else ""
        lines += [f"VT|Ventes|VT{n}|{day}|411000|Clients|{aux}|Client {aux}|F{n}|{day}|"
                  f"Facture F{n}|{amount}|0,00|{code}||{day}||",
                  f"VT|Ventes|VT{n}|{day}|706000|Ventes|||F{n}|{day}|Facture F{n}|0,00|"
                  f"{amount}|||{day}||"]
        if code:
            lines += [f"BQ|Banque|BQ{n}|{day}|411000|Clients|{aux}|Client {aux}|R{n}|{day}|"
                      f"Règlement|0,00|{amount}|{code}|{day}|{day}||",
                      f"BQ|Banque|BQ{n}|{day}|512000|Banque|||R{n}|{day}|Règlement|{amount}|"
                      f"0,00|||{day}||"]
    (folder / "123456789FEC20261231.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines) - 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=20_000)
    parser.add_argument("--customers", type=int, default=2_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="relance-fec-size-") as tmp:
        (Path(tmp) / "fec").mkdir()
        lines = books(Path(tmp) / "fec", args.invoices, args.customers)
        context = AdapterContext("bench", SecretStore("bench"), dt.date(2026, 11, 27), Path(tmp))
        started = time.perf_counter()
        records, cursor = drain(FecAdapter(FecConfig(path=Path("fec")), context).invoices(None))
        full = time.perf_counter() - started
        started = time.perf_counter()
        drain(FecAdapter(FecConfig(path=Path("fec")), context).invoices(cursor))
        again = time.perf_counter() - started
    print(json.dumps({"lines": lines, "invoices": len(records), "full_read_s": round(full, 2),
                      "unchanged_s": round(again, 3),
                      "cursor_mb": round(len(json.dumps(cursor)) / 1e6, 2)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
