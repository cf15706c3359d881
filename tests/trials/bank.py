"""Bank statements under trial: the demo books, and payments that reach relance only through a
CAMT.053 statement dropped in the `[bank]` folder, never through the books.

Crash trials: `pay_some` writes the statement between the killed run and the rerun; a reminder
for an invoice it pays is a "paid in between" failure. Fault trials: the statement comes with what
a shared folder collects (the same file twice, a half-copied file, an overlapping export of the
next day, a malformed entry, a stray note): the store must end as with the clean folder.
"""

from __future__ import annotations

import datetime as dt
import random
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

from connector.app.tenant import open_tenant
from connector.config import load_config
from tests.trials.harness import DemoSource

NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
BANK_TOML = '\n[bank]\nfolder = "banque"\nhold_days = 10\n'
Payment = tuple[str, Decimal, str]  # invoice number, amount, payer


def camt053(payments: list[Payment], day: dt.date, prefix: str,
            broken_entry: bool = False) -> bytes:
    """A camt.053.001.02 statement with one booked credit per payment."""
    ET.register_namespace("", NS)

    def sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
        node = ET.SubElement(parent, f"{{{NS}}}{tag}")
        node.text = text
        return node

    root = ET.Element(f"{{{NS}}}Document")
    statement = sub(sub(root, "BkToCstmrStmt"), "Stmt")
    sub(statement, "Id", f"{prefix}-{day.isoformat()}")
    sub(sub(sub(statement, "Acct"), "Id"), "IBAN", "FR7630006000011234567890189")
    entries = [(f"{prefix}{n:05d}", str(amount), number, payer)
               for n, (number, amount, payer) in enumerate(payments, start=1)]
    if broken_entry:
        entries.append((f"{prefix}99999", "12,50", "?", "?"))  # a comma: not an ISO amount
    for reference, amount, number, payer in entries:
        entry = sub(statement, "Ntry")
        sub(entry, "Amt", amount).set("Ccy", "EUR")
        sub(entry, "CdtDbtInd", "CRDT")
        sub(entry, "Sts", "BOOK")
        sub(sub(entry, "BookgDt"), "Dt", day.isoformat())
        sub(entry, "AcctSvcrRef", reference)
        tx = sub(sub(entry, "NtryDtls"), "TxDtls")
        sub(sub(sub(tx, "RltdPties"), "Dbtr"), "Nm", payer.upper())
        sub(sub(tx, "RmtInf"), "Ustrd", f"REGLEMENT FACTURE {number}")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def open_invoices(config_path: Path, today: dt.date) -> list[Payment]:
    """What the trial's books say is due: (number, residual, customer name) of open invoices."""
    tenant = open_tenant(load_config(config_path), today=today)
    try:
        return sorted((i.number, i.residual, c.name)
                      for c, invoices in tenant.store.open_ledger(tenant.name, tenant.source)
                      for i in invoices if i.kind == "invoice" and not i.instalments)
    finally:
        tenant.store.close()


class BankSource(DemoSource):
    """The demo books; money received shows on bank statements only."""

    name = "bank"

    def __init__(self, workdir: Path | None = None, seed: int = 42) -> None:
        super().__init__(seed)
        self.share = 0.0
        self._last_dir: Path | None = None
        self._payments: list[Payment] | None = None
        self._scratch = workdir

    def source_toml(self, workdir: Path) -> str:
        self._last_dir = workdir
        if self._scratch is not None:  # fault trials: the same statement in every folder
            folder = workdir / "banque"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "releve-jour.xml").write_bytes(
                camt053(self.payments(), self.today, "FT"))
        return super().source_toml(workdir) + BANK_TOML

    def payments(self) -> list[Payment]:
        """Six invoices the bank says were paid (chosen once, from a sync of the books)."""
        if self._payments is None:
            assert self._scratch is not None
            scratch = self._scratch / "books"
            scratch.mkdir(parents=True, exist_ok=True)
            config = scratch / "relance.toml"
            config.write_text('tenant = "books"\nstate = "sqlite:///state.db"\n\n'
                              + DemoSource.source_toml(self, scratch)
                              + '\n[sender]\nname = "A"\nemail = "a@atelier-dupuis.fr"\n',
                              encoding="utf-8")
            tenant = open_tenant(load_config(config), today=self.today)
            tenant.sync()
            tenant.store.close()
            due = open_invoices(config, self.today)
            self._payments = random.Random(self.seed).sample(due, min(6, len(due)))
        return self._payments

    def pay_some(self, rng: random.Random, workdir: Path, count: int) -> list[str]:
        due = open_invoices(workdir / "relance.toml", self.today)
        chosen = rng.sample(due, min(count, len(due)))
        folder = workdir / "banque"
        folder.mkdir(exist_ok=True)
        (folder / f"releve-{rng.randint(0, 10**9)}.xml").write_bytes(
            camt053(chosen, self.today, f"CT{rng.randint(0, 10**6)}-"))
        return [number for number, _amount, _payer in chosen]

    def set_faults(self, share: float, seed: int = 1) -> None:
        """What a shared folder collects besides the statement (nothing when share is 0)."""
        self.share = share
        if not share or self._last_dir is None:
            return
        folder = self._last_dir / "banque"
        clean = (folder / "releve-jour.xml").read_bytes()
        (folder / "releve-jour (1).xml").write_bytes(clean)  # dropped twice
        (folder / "releve-copie.xml").write_bytes(clean[: len(clean) // 2])  # half-copied
        overlap = self.payments()[: max(1, len(self.payments()) // 2)]
        (folder / "releve-lendemain.xml").write_bytes(  # the next export repeats the entries
            camt053(overlap, self.today, "FT", broken_entry=True))
        (folder / "a-lire.txt").write_text("Relevés de novembre envoyés par la banque.\n",
                                           encoding="utf-8")
        (folder / ".releve-en-cours.xml.part").write_bytes(clean[:100])

    def stop(self) -> None:
        """Nothing runs."""
