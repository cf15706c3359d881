"""The accounting systems under trial: each starts its fake server in the trial process (so it
outlives every killed `relance`), writes the `[source]` table a user would, and can pay invoices."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

from connector.adapters.sage.auth import TOKENS
from connector.secrets import SERVICE, account
from tests.fakes.odoo_server import API_KEY, FakeOdooServer, start_fake_odoo
from tests.fakes.pennylane_server import FakePennylane, start_fake_pennylane
from tests.fakes.sage_server import RunningSage, SageFake, start_sage
from tests.helpers import NOW

KEYRING_BACKEND = "tests.trials.file_keyring.FileKeyring"
TODAY = NOW.date()
"""The trials' business day (`--today`), fixed: the suite passes on any real date."""


class OdooSource:
    name = "odoo"

    def __init__(self, fault_share: float = 0.0, seed: int = 1) -> None:
        self.fake: FakeOdooServer = start_fake_odoo("17.0")
        self.today = TODAY
        rng = random.Random(seed)
        partners = [self.fake.add_partner(f"Client Odoo {n}", email=None if n == 3
                                          else f"compta{n}@client{n}.fr") for n in range(8)]
        for n in range(40):
            issued = self.today - dt.timedelta(days=rng.randint(5, 80))
            self.fake.add_invoice(rng.choice(partners), round(rng.uniform(90, 9000), 2),
                                  issued.isoformat(),
                                  due_date=(issued + dt.timedelta(days=30)).isoformat())
        if fault_share:
            self.fake.chaos(fault_share, seed=seed)

    def source_toml(self, workdir: Path) -> str:
        # the invoices' salesperson is the bot: activities go to the configured person
        return self.fake.source_toml("ODOO_KEY") + 'activity_user = "marie@example.fr"\n'

    def env(self) -> dict[str, str]:
        return {"ODOO_KEY": API_KEY}

    def pay_some(self, rng: random.Random, workdir: Path, count: int) -> list[str]:
        moves = self.fake.data.tables["account.move"]
        open_ids = sorted(i for i, m in moves.items() if m.get("move_type") == "out_invoice"
                          and m.get("state") == "posted"
                          and m.get("payment_state") in ("not_paid", "partial"))
        chosen = rng.sample(open_ids, min(count, len(open_ids)))
        for move_id in chosen:
            self.fake.register_payment(move_id)
        return [str(moves[i]["name"]) for i in chosen]

    def refill(self, rng: random.Random) -> None:
        """New late invoices, so that a long series of trials never runs out of work."""
        partners = sorted(i for i, p in self.fake.data.tables["res.partner"].items()
                          if str(p.get("name", "")).startswith("Client Odoo"))
        for _ in range(2):
            issued = self.today - dt.timedelta(days=rng.randint(35, 80))
            self.fake.add_invoice(rng.choice(partners), round(rng.uniform(90, 9000), 2),
                                  issued.isoformat(),
                                  due_date=(issued + dt.timedelta(days=30)).isoformat())

    def set_faults(self, share: float, seed: int = 1) -> None:
        self.fake.chaos(share, seed=seed)

    def stop(self) -> None:
        self.fake.stop()


class PennylaneSource:
    name = "pennylane"

    def __init__(self, fault_share: float = 0.0, seed: int = 1) -> None:
        self.fake: FakePennylane = start_fake_pennylane(customers=10, invoices=40, seed=seed,
                                                        fault_rate=fault_share, fault_seed=seed)
        self.fake.fault_delay = 0.2
        self.today = TODAY

    def source_toml(self, workdir: Path) -> str:
        return (f'[source]\nkind = "pennylane"\nbase_url = "{self.fake.base_url}"\n'
                'trace = "appendix"\nsecret_env = "PENNYLANE_TOKEN"\n')

    def env(self) -> dict[str, str]:
        return {"PENNYLANE_TOKEN": self.fake.token}

    def pay_some(self, rng: random.Random, workdir: Path, count: int) -> list[str]:
        open_ids = sorted(i for i, inv in self.fake.invoices.items()
                          if not inv.draft and inv.credited_invoice is None
                          and inv.paid_amount < inv.total)
        chosen = rng.sample(open_ids, min(count, len(open_ids)))
        for invoice_id in chosen:
            self.fake.pay(invoice_id)
        return [self.fake.invoices[i].number for i in chosen]

    def refill(self, rng: random.Random) -> None:
        customers = sorted({inv.customer_id for inv in self.fake.invoices.values()
                            if inv.customer_id is not None})
        for _ in range(2):
            issued = self.today - dt.timedelta(days=rng.randint(35, 80))
            self.fake.add_invoice(rng.choice(customers), f"{rng.randint(9000, 900000) / 100:.2f}",
                                  date=issued)

    def set_faults(self, share: float, seed: int = 1) -> None:
        self.fake.fault_rate = share

    def stop(self) -> None:
        self.fake.stop()


class SageSource:
    """Sage needs its rotating tokens in a keyring shared by every relance process of the trial."""

    name = "sage"

    def __init__(self, keyring_file: Path, fault_share: float = 0.0, seed: int = 1) -> None:
        self.running: RunningSage = start_sage(SageFake(fault_rate=fault_share))
        # what the trials prove is that faults change nothing, not how long Sage makes us wait:
        # a 429 asks to retry at once and a "timeout" drops the connection after 50 ms
        # (tests/test_http_table.py and tests/test_runs_that_end.py hold how waits are honoured)
        self.running.fake.retry_after = 0.0
        self.running.server.timeout_sleep = 0.05
        self.keyring_file = keyring_file
        self.today = TODAY
        rng, fake, business = random.Random(seed), self.running.fake, self.running.business_id
        contacts = [fake.add_contact(business, f"SARL Client Sage {n}",
                                     email=None if n == 2 else f"compta{n}@sage-client.fr")
                    for n in range(6)]
        for n in range(30):
            issued = self.today - dt.timedelta(days=rng.randint(5, 80))
            fake.add_invoice(business, rng.choice(contacts), f"FA-{n + 1:04d}",
                             f"{rng.randint(9000, 900000) / 100:.2f}", date=issued,
                             due=issued + dt.timedelta(days=30))

    def source_toml(self, workdir: Path) -> str:
        table: dict[str, Any] = {**self.running.config(), "secret_env": "SAGE_CLIENT_SECRET"}
        lines = [f"{k} = {v}" if isinstance(v, int) else f'{k} = "{v}"' for k, v in table.items()]
        return "[source]\n" + "\n".join(lines) + "\n"

    def prepare(self, tenant: str) -> None:
        """What `relance auth sage` leaves behind, for a new trial tenant."""
        data = json.loads(self.keyring_file.read_text()) if self.keyring_file.exists() else {}
        data[f"{SERVICE}\x1f{account(tenant, TOKENS)}"] = json.dumps(self.running.grant_tokens())
        self.keyring_file.write_text(json.dumps(data))

    def env(self) -> dict[str, str]:
        return {"SAGE_CLIENT_SECRET": self.running.fake.client_secret,
                "PYTHON_KEYRING_BACKEND": KEYRING_BACKEND,
                "RELANCE_TEST_KEYRING": str(self.keyring_file)}

    def pay_some(self, rng: random.Random, workdir: Path, count: int) -> list[str]:
        invoices = self.running.fake.data["sales_invoices"]
        open_ids = sorted(i for i, inv in invoices.items()
                          if inv["status"]["id"] in ("UNPAID", "PART_PAID"))
        chosen = rng.sample(open_ids, min(count, len(open_ids)))
        for invoice_id in chosen:
            self.running.fake.pay(invoice_id, day=self.today)
        return [str(invoices[i]["invoice_number"]) for i in chosen]

    def refill(self, rng: random.Random) -> None:
        fake, business = self.running.fake, self.running.business_id
        contacts = sorted(fake.data["contacts"])
        for _ in range(2):
            issued = self.today - dt.timedelta(days=rng.randint(35, 80))
            number = f"FA-R{len(fake.data['sales_invoices']) + 1:05d}"
            fake.add_invoice(business, rng.choice(contacts), number,
                             f"{rng.randint(9000, 900000) / 100:.2f}", date=issued,
                             due=issued + dt.timedelta(days=30))

    def set_faults(self, share: float, seed: int = 1) -> None:
        self.running.fake.fault_rate = share

    def stop(self) -> None:
        self.running.stop()
