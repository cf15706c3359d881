"""Fake sources for the sync benchmarks: seed, serve on 127.0.0.1, count requests, and the
minimum number of requests the real API allows for the same work (the target is minimum + O(1))."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from connector.adapters.pennylane import client as plc
from connector.adapters.pennylane import streams as pl
from tests.fakes.pennylane_server import FakePennylane


@dataclass
class Source:
    kind: str
    toml: str
    env: dict[str, str]
    fake: Any
    period_floor: tuple[int, float] | None  # (requests, seconds) the real API allows, if limited

    def floor_seconds(self, requests: int) -> float | None:
        """The least wall time `requests` can take under the real rate limit."""
        if self.period_floor is None:
            return None
        limit, period = self.period_floor
        # the first `limit` requests go at once; each further window of `limit` waits `period`
        return max(math.ceil(requests / limit) - 1, 0) * period


class PennylaneBench:
    """The fake Pennylane at the real limit (25 requests per 5 s per token)."""

    def __init__(self, customers: int, invoices: int) -> None:
        fake = FakePennylane(validate=False)  # spec validation is for tests, not for speed
        fake.seed(customers, invoices, seed=7)
        self.fake = fake.start()
        self.source = Source("pennylane", f'kind = "pennylane"\nbase_url = "{fake.base_url}"\n'
                             'secret_env = "PENNYLANE_TOKEN"\n', {"PENNYLANE_TOKEN": fake.token},
                             fake, (plc.RATE_LIMIT, plc.RATE_PERIOD))

    def counts(self) -> dict[str, int]:
        fake = self.fake
        return {"requests": len(fake.requests), "rate_limited_429": fake.rate_limited}

    def reset(self) -> None:
        self.fake.requests.clear()
        self.fake.rate_limited = 0

    def full_minimum(self) -> int:
        invoices = sum(1 for i in self.fake.invoices.values() if not i.draft)
        return (math.ceil(len(self.fake.customers) / plc.PAGE_LIMIT)
                + math.ceil(invoices / plc.PAGE_LIMIT))

    def change(self, share: float = 0.01) -> int:
        """Pay `share` of the invoices (an `update` changelog event each)."""
        ids = sorted(i for i, inv in self.fake.invoices.items()
                     if not inv.draft and inv.credited_invoice is None
                     and inv.total - inv.paid_amount > 1)
        wanted = max(int(len(self.fake.invoices) * share), 1)
        chosen = ids[::max(len(ids) // wanted, 1)][:wanted]
        for iid in chosen:
            self.fake.pay(iid, "1.00")
        self.changed = len(chosen)
        return self.changed

    def incremental_minimum(self) -> int:
        # one changelog page per resource (at most 1000 events each), then the changed ids
        # re-read 100 at a time
        return (math.ceil(max(self.changed, 1) / pl.CHANGELOG_LIMIT) + 1
                + math.ceil(self.changed / pl.BATCH))

    def stop(self) -> None:
        self.fake.stop()


class OdooBench:
    """The fake Odoo 17 over XML-RPC (Odoo documents no rate limit: requests are only counted).

    Seeded as books written over time, one record a second (so the adapter's 5-minute look-back
    re-reads at most ~300 records, as it would on live books).
    """

    def __init__(self, customers: int, invoices: int) -> None:
        import random

        from connector.adapters.odoo import streams as odoo
        from tests.fakes.odoo_server import API_KEY, FakeOdooServer

        fake = FakeOdooServer("17.0", seed=False)
        data, rng = fake.data, random.Random(7)
        start = dt.datetime(2026, 10, 1, 8, 0, 0)  # books older than the look-back
        partners = []
        for n in range(customers):
            data.now = (start + dt.timedelta(seconds=n)).strftime("%Y-%m-%d %H:%M:%S")
            pid = fake.add_partner(f"SARL Client {n}", email=f"compta{n}@exemple.fr")
            data.tables["res.partner"][pid]["customer_rank"] = 1
            partners.append(pid)
        start += dt.timedelta(seconds=customers + 1)
        for n in range(invoices):
            data.now = (start + dt.timedelta(seconds=n)).strftime("%Y-%m-%d %H:%M:%S")
            issued = dt.date(2026, 11, 27) - dt.timedelta(days=rng.randint(1, 150))
            fake.add_invoice(rng.choice(partners), float(rng.randint(5_000, 500_000)) / 100,
                             issued.isoformat())
        data.now = None
        self.fake = fake.start()
        self.page = odoo.OdooConfig.model_fields["page_size"].default
        toml = fake.source_toml().split("\n", 1)[1]
        self.source = Source("odoo", toml, {"ODOO_KEY": API_KEY}, fake, None)
        self.changed = 0

    def counts(self) -> dict[str, int]:
        return {"requests": len(self.fake.calls)}

    def reset(self) -> None:
        self.fake.calls.clear()

    def full_minimum(self) -> int:
        partners = sum(1 for p in self.fake.data.tables["res.partner"].values()
                       if p["customer_rank"] > 0)
        moves = len(self.fake.data.tables["account.move"])
        return math.ceil(partners / self.page) + math.ceil(moves / self.page)

    def change(self, share: float = 0.01) -> int:
        moves = sorted(self.fake.data.tables["account.move"])
        wanted = max(int(len(moves) * share), 1)
        chosen = moves[::max(len(moves) // wanted, 1)][:wanted]
        for move in chosen:
            self.fake.register_payment(move, 1.0)
        self.changed = len(chosen)
        return self.changed

    def incremental_minimum(self) -> int:
        # the changed moves, once; the partners pass finds nothing new (one empty page)
        return math.ceil(self.changed / self.page) + 1

    def stop(self) -> None:
        self.fake.stop()


class SageBench:
    """The fake Sage Accounting at the real limit (100 requests a minute per business).

    A full read costs one request per customer (contact persons carry no contact reference, so
    they are read per contact): at 20k customers that is ~3.4 hours at 100 a minute, so this is
    measured on a small ledger and the 20k figure is extrapolated with the same formula.
    """

    def __init__(self, customers: int, invoices: int) -> None:
        import json
        import random

        from connector.adapters.sage import client as sage
        from tests.fakes.sage_server import SageFake, start_sage

        fake = SageFake(rate_limit=(100, 60.0))
        self.running = start_sage(fake)
        business, rng = self.running.business_id, random.Random(7)
        long_ago = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=2)
        contacts = [fake.add_contact(business, f"SARL Client {n}", email=f"compta{n}@exemple.fr",
                                     when=long_ago) for n in range(customers)]
        self.invoice_ids = [fake.add_invoice(
            business, rng.choice(contacts), f"F-{n:06d}", f"{rng.randint(50, 5000)}.00",
            date=dt.date(2026, 11, 27) - dt.timedelta(days=rng.randint(1, 150)), when=long_ago)
            for n in range(invoices)]
        self.customers, self.invoices, self.page = customers, invoices, sage.PAGE_SIZE
        table = {**self.running.config(requests_per_minute=100), "secret_env": "SAGE_SECRET"}
        toml = "".join(f'{k} = {v}\n' if isinstance(v, int) else f'{k} = "{v}"\n'
                       for k, v in table.items())
        self.fake = fake
        self.source = Source("sage", toml, {"SAGE_SECRET": fake.client_secret}, fake, (100, 60.0))
        self.changed = 0
        self._json = json

    def env(self) -> dict[str, str]:
        """A fresh grant for each step (the child's in-memory keyring dies with it)."""
        return {**self.source.env, "RELANCE_BENCH_TENANT": "bench",
                "RELANCE_BENCH_SAGE_TOKENS": self._json.dumps(self.running.grant_tokens())}

    def counts(self) -> dict[str, int]:
        return {"requests": len(self.fake.log)}

    def reset(self) -> None:
        self.fake.log.clear()

    def full_minimum(self) -> int:
        # contacts, invoices, credit notes, payments: pages of 200; one contact_persons read
        # per contact
        pages = sum(max(math.ceil(n / self.page), 1) for n in (self.customers, self.invoices))
        return pages + 2 + self.customers

    def change(self, share: float = 0.01) -> int:
        chosen = self.invoice_ids[::max(int(1 / share), 1)]
        for invoice in chosen:
            self.fake.pay(invoice, "1.00")
        self.changed = len(chosen)
        return self.changed

    def incremental_minimum(self) -> int:
        # changed since: contacts, invoices, credit notes, payments, allocations (one page each
        # here), deleted ids of each; the changed invoices come within the invoice page
        return 5 + 4

    def stop(self) -> None:
        self.running.stop()
