"""The file sources under trial (FEC exports, a spreadsheet of invoices): books written into a
folder of the trial's own, paid by rewriting the file as the accounting package or the person
keeping the spreadsheet would (the new version replaces the old one at once, as a save does).

Faults, for files, are what shared folders hold: malformed lines among the good ones, Windows
line ends and a BOM, an older export of the same period beside the newer one, a half-copied
`.part` file and an Office lock file. None of them may change what relance stores or sends.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

HEADER = ("JournalCode|JournalLib|EcritureNum|EcritureDate|CompteNum|CompteLib|CompAuxNum|"
          "CompAuxLib|PieceRef|PieceDate|EcritureLib|Debit|Credit|EcritureLet|DateLet|"
          "ValidDate|Montantdevise|Idevise")
FEC_NAME = "852741963FEC20261231.txt"
NAMES = ["Boulangerie Lefèvre", "SAS Hôtel du Lac", "Garage Müller & Fils", "Menuiserie Bérénice",
         "Pharmacie Girard", "Traiteur Morel", "Librairie Château", "Transports Noël"]
GARBAGE = ["VT|Journal des ventes|VT9{n:05d}|20261345|411000|Clients|CLI001|x|F|20261101|x|"
           "1,00|0,00|||20261130||",
           "VT|Journal des ventes|VT9{n:05d}|20261101|411000|Clients|CLI002|x|F|20261101|x|"
           "un euro|0,00|||20261130||",
           "VT|tronquée|VT9{n:05d}",
           "VT|Journal des ventes|VT9{n:05d}|20261101|4X1000|Clients|CLI003|x|F|20261101|x|"
           "1,00|0,00|||20261130||"]


@dataclass
class Sale:
    number: str
    customer: int
    issued: dt.date
    amount: Decimal
    paid: bool = False


def _money(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


def _write(path: Path, text: str, encoding: str = "utf-8") -> None:
    """Replace the file at once (a save), never leave it half-written."""
    temporary = path.with_name(f".{path.name}.new")
    temporary.write_text(text, encoding=encoding, newline="")
    os.replace(temporary, path)


class _Books:
    today = dt.date(2026, 11, 27)

    def __init__(self, fault_share: float = 0.0, seed: int = 1) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix=f"relance-{self.name}-books-")
        self.folder = Path(self._dir.name)
        rng = random.Random(seed)
        self.sales = [self._sale(rng, n) for n in range(1, 41)]
        self.share, self.seed = fault_share, seed
        self.save()

    name = "files"

    def _sale(self, rng: random.Random, n: int) -> Sale:
        issued = self.today - dt.timedelta(days=rng.randint(5, 80))
        return Sale(f"FA-2026-{n:04d}", rng.randrange(len(NAMES)), issued,
                    Decimal(rng.randint(9000, 900000)) / 100)

    def env(self) -> dict[str, str]:
        return {}

    def pay_some(self, rng: random.Random, workdir: Path, count: int) -> list[str]:
        open_sales = [s for s in self.sales if not s.paid]
        chosen = rng.sample(open_sales, min(count, len(open_sales)))
        for sale in chosen:
            sale.paid = True
        self.save()
        return [s.number for s in chosen]

    def refill(self, rng: random.Random) -> None:
        """New late invoices, so that a long series of trials never runs out of work."""
        for _ in range(2):
            sale = self._sale(rng, len(self.sales) + 1)
            sale.issued = self.today - dt.timedelta(days=rng.randint(35, 80))
            self.sales.append(sale)
        self.save()

    def set_faults(self, share: float, seed: int = 1) -> None:
        self.share, self.seed = share, seed
        self.save()

    def save(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _litter(self, name: str, text: str) -> None:
        """What a shared folder holds besides the books while faults are on."""
        for junk in (f"{name}.part", f"~${name}"):
            (self.folder / junk).unlink(missing_ok=True)
        if self.share:
            (self.folder / f"{name}.part").write_text(text[: len(text) // 3], encoding="utf-8")
            (self.folder / f"~${name}").write_bytes(b"\x00lock")

    def stop(self) -> None:
        self._dir.cleanup()


class FecSource(_Books):
    """A FEC re-exported after every change, with its contacts file."""

    name = "fec"

    def source_toml(self, workdir: Path) -> str:
        return (f'[source]\nkind = "fec"\npath = "{self.folder / "fec"}"\n'
                f'contacts = "{self.folder / "clients.csv"}"\n')

    def save(self) -> None:
        (self.folder / "fec").mkdir(exist_ok=True)
        rng = random.Random(self.seed)
        lines = [HEADER]
        for n, sale in enumerate(self.sales, start=1):
            code = f"L{n:03d}" if sale.paid else ""
            aux, name = f"CLI{sale.customer + 1:03d}", NAMES[sale.customer]
            day = f"{sale.issued:%Y%m%d}"
            vat = (sale.amount / 6).quantize(Decimal("0.01"))
            lines += [
                f"VT|Journal des ventes|VT{n:06d}|{day}|411000|Clients|{aux}|{name}|"
                f"{sale.number}|{day}|Facture {sale.number}|{_money(sale.amount)}|0,00|{code}|"
                f"{'20261120' if code else ''}|{day}||",
                f"VT|Journal des ventes|VT{n:06d}|{day}|706000|Prestations|||{sale.number}|{day}|"
                f"Facture {sale.number}|0,00|{_money(sale.amount - vat)}|||{day}||",
                f"VT|Journal des ventes|VT{n:06d}|{day}|445710|TVA collectée|||{sale.number}|"
                f"{day}|Facture {sale.number}|0,00|{_money(vat)}|||{day}||"]
            if sale.paid:
                lines += [
                    f"BQ|Banque|BQ{n:06d}|20261120|512000|Banque|||VIR-{n}|20261120|Virement "
                    f"{name}|{_money(sale.amount)}|0,00|||20261120||",
                    f"BQ|Banque|BQ{n:06d}|20261120|411000|Clients|{aux}|{name}|VIR-{n}|20261120|"
                    f"Virement {name}|0,00|{_money(sale.amount)}|{code}|20261120|20261120||"]
            if self.share and rng.random() < self.share:
                lines.append(rng.choice(GARBAGE).format(n=n))
        ending = "\r\n" if self.share else "\n"
        text = ending.join(lines) + ending
        if self.share:  # an older export of the same period, with other figures: ignored
            older = self.folder / "fec" / f"{FEC_NAME[:-4]} (copie).txt"
            older.write_text(text.replace("|Facture FA-2026-0001|", "|Ancienne|"),
                             encoding="utf-8")
            os.utime(older, (1_600_000_000, 1_600_000_000))
        else:
            (self.folder / "fec" / f"{FEC_NAME[:-4]} (copie).txt").unlink(missing_ok=True)
        _write(self.folder / "fec" / FEC_NAME, ("\ufeff" if self.share else "") + text)
        contacts = ["Compte;Nom;Email;Adresse;Code postal;Ville;Langue"]
        contacts += [f"CLI{i + 1:03d};{name};" + ("" if i == 3 else f"compta{i}@client{i}.fr")
                     + f";{i + 1} rue de la Paix;75002;Paris;fr" for i, name in enumerate(NAMES)]
        _write(self.folder / "clients.csv", "\n".join(contacts) + "\n")
        self._litter_fec()

    def _litter_fec(self) -> None:
        folder = self.folder / "fec"
        for junk in (f"{FEC_NAME}.part", f".{FEC_NAME}.swp"):
            (folder / junk).unlink(missing_ok=True)
        if self.share:
            (folder / f"{FEC_NAME}.part").write_text(HEADER + "\nVT|Journal", encoding="utf-8")
            (folder / f".{FEC_NAME}.swp").write_bytes(b"\x00")


class SpreadsheetSource(_Books):
    """The invoice list of a small company, saved again after every change."""

    name = "spreadsheet"
    file = "suivi-factures.csv"

    def source_toml(self, workdir: Path) -> str:
        return (f'[source]\nkind = "spreadsheet"\npath = "{self.folder}"\n\n[source.columns]\n'
                'number = "N° facture"\ncustomer = "Nom du client"\nemail = "Email"\n'
                'issue_date = "Date de facture"\namount = "Montant"\nstatus = "Statut"\n')

    def save(self) -> None:
        rng = random.Random(self.seed)
        rows = ["N° facture;Nom du client;Email;Date de facture;Montant;Statut"]
        for n, sale in enumerate(self.sales, start=1):
            email = "" if sale.customer == 3 else f"compta{sale.customer}@client.fr"
            amount = f"{sale.amount:,.2f}".replace(",", " ").replace(".", ",") + " €"
            rows.append(f"{sale.number};{NAMES[sale.customer]};{email};"
                        f"{sale.issued:%d/%m/%Y};{amount};{'Payée' if sale.paid else 'À payer'}")
            if self.share and rng.random() < self.share:
                rows.append(rng.choice([f"F-X{n};Client;;31/02/2026;10,00 €;",
                                        f"F-Y{n};Client;;01/10/2026;dix euros;", ";;;;;",
                                        f"F-Z{n};;;01/10/2026;10,00;"]))
        ending = "\r\n" if self.share else "\n"
        text = ending.join(rows) + ending
        _write(self.folder / self.file, ("\ufeff" if self.share else "") + text)
        self._litter(self.file, text)
