"""The contacts file that goes with a FEC (which has no e-mail and no address): one row per
customer account, CSV or XLSX, columns recognised by their French or English names."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from connector.adapters.tables import guess_columns, read_table
from connector.errors import ConfigError
from connector.models import Customer, PostalAddress, rejected_fields
from connector.rules.terms import PaymentTerms

SYNONYMS: dict[str, tuple[str, ...]] = {
    "account": ("compte", "compte client", "compauxnum", "compte auxiliaire", "code client",
                "numero client", "account", "customer account", "customer id", "code"),
    "name": ("nom", "raison sociale", "client", "nom du client", "compauxlib", "name",
             "customer", "company"),
    "email": ("email", "e mail", "courriel", "adresse email", "mail", "email address"),
    "phone": ("telephone", "tel", "phone", "portable", "mobile"),
    "street": ("adresse", "rue", "address", "street", "adresse 1"),
    "street2": ("complement", "adresse 2", "complement d adresse", "address 2", "street 2"),
    "postal_code": ("code postal", "cp", "postcode", "postal code", "zip"),
    "city": ("ville", "commune", "city", "town"),
    "country": ("pays", "country"),
    "language": ("langue", "language", "lang"),
    "terms": ("conditions de paiement", "delai de paiement", "conditions", "echeance",
              "payment terms", "terms"),
}


@dataclass
class Contacts:
    customers: dict[str, Customer] = field(default_factory=dict)
    terms: dict[str, str] = field(default_factory=dict)
    rejected: list[tuple[str, str]] = field(default_factory=list)


def read_contacts(path: Path, names: dict[str, str]) -> Contacts:
    """Customers of the contacts file; `names` (account → name from the FEC) fills a blank
    name. A row that cannot be read is rejected with `file:line`."""
    headers, rows = read_table(path)
    columns = guess_columns(headers, SYNONYMS)
    if "account" not in columns:
        raise ConfigError(f"no customer account column among {headers} (name one "
                          f"\"Compte\" or \"CompAuxNum\")", file=str(path), line=1)
    contacts = Contacts()
    for row in rows:
        def cell(name: str) -> str:
            return row.cells.get(columns.get(name, ""), "")
        account = cell("account")
        if not account:
            contacts.rejected.append((row.where, "no customer account"))
            continue
        try:
            with rejected_fields() as dropped:
                address = PostalAddress.parse(cell("street"), cell("street2"), cell("postal_code"),
                                              cell("city"), cell("country"))
                contacts.customers[account] = Customer(
                    external_id=account, name=cell("name") or names.get(account, account),
                    email=cell("email") or None, phone=cell("phone") or None,
                    language=cell("language") or "fr", address=address)
            contacts.rejected.extend((row.where, reason) for reason in dropped)
        except (ValidationError, ValueError) as exc:
            contacts.rejected.append((row.where, f"{type(exc).__name__}: {exc}"[:500]))
            continue
        if cell("terms"):
            try:
                PaymentTerms.parse(cell("terms"))
            except ValueError as exc:
                contacts.rejected.append((row.where, str(exc)))  # the default terms apply
                continue
            contacts.terms[account] = cell("terms")
    return contacts
