"""CAMT.053 (ISO 20022 BankToCustomerStatement), versions camt.053.001.02 and later.

Spec: https://www.iso20022.org/iso-20022-message-definitions (Cash Management, camt.053).
Each `Stmt/Ntry` is one booked amount; a batch entry (`NtryDtls` with several `TxDtls`) carries
one transaction per payer, each with its own amount (`TxDtls/Amt` from .04, `AmtDtls/TxAmt/Amt`
in .02) and remittance text (`RmtInf/Ustrd`, or `Strd/CdtrRefInf/Ref`). Only booked (`Sts` BOOK,
a plain text in .02, `<Cd>` from .08) credits (`CdtDbtInd` CRDT) that are not reversals count.
The payer is `RltdPties/Dbtr/Nm` (.02-.07) or `RltdPties/Dbtr/Pty/Nm` (.08+).
Parsed with defusedxml: a statement is outside input (no entity expansion, no external DTD).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import xml.etree.ElementTree as ET
from decimal import Decimal, InvalidOperation

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from pydantic import ValidationError

from connector.adapters.bank.statement import Statement
from connector.errors import ConfigError
from connector.models import BankCredit

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.053.001."


class _Tree:
    """find/text helpers under the document's own namespace (one per version)."""

    def __init__(self, namespace: str) -> None:
        self.ns = namespace

    def path(self, path: str) -> str:
        return "/".join(f"{{{self.ns}}}{part}" for part in path.split("/"))

    def find(self, node: ET.Element, path: str) -> ET.Element | None:
        return node.find(self.path(path))

    def all(self, node: ET.Element, path: str) -> list[ET.Element]:
        return node.findall(self.path(path))

    def text(self, node: ET.Element | None, *paths: str) -> str:
        """The first non-empty text among `paths` (alternatives across versions)."""
        if node is None:
            return ""
        for path in paths:
            found = node.find(self.path(path))
            if found is not None and (found.text or "").strip():
                return " ".join((found.text or "").split())
        return ""


def read_camt(data: bytes, statement: Statement) -> None:
    try:
        root = fromstring(data)
    except (ET.ParseError, DefusedXmlException) as exc:
        raise ConfigError(f"not a readable CAMT.053 file: {exc}", file=statement.file) from None
    namespace = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    if not namespace.startswith(NAMESPACE):
        raise ConfigError(f"not a CAMT.053 statement (namespace {namespace or 'none'!r}; "
                          f"expected {NAMESPACE}NN)", file=statement.file)
    tree = _Tree(namespace)
    for s_number, stmt in enumerate(tree.all(root, "BkToCstmrStmt/Stmt"), start=1):
        account = tree.text(stmt, "Acct/Id/IBAN", "Acct/Id/Othr/Id")
        for e_number, entry in enumerate(tree.all(stmt, "Ntry"), start=1):
            place = f"{statement.file}:Stmt[{s_number}]/Ntry[{e_number}]"
            try:
                statement.credits.extend(_entry(tree, entry, account))
            except (ValueError, ValidationError) as exc:
                statement.rejects.append(f"{place}: {_reason(exc)}")


def _entry(tree: _Tree, entry: ET.Element, account: str) -> list[BankCredit]:
    if tree.text(entry, "CdtDbtInd") != "CRDT" or tree.text(entry, "RvslInd") == "true":
        return []
    status = tree.text(entry, "Sts/Cd", "Sts")
    if status and status != "BOOK":
        return []  # pending or informational: not money on the account yet
    booked = _day(tree.text(entry, "BookgDt/Dt", "BookgDt/DtTm"))
    valued = tree.text(entry, "ValDt/Dt", "ValDt/DtTm")
    entry_ref = tree.text(entry, "AcctSvcrRef", "NtryRef")
    entry_text = tree.text(entry, "AddtlNtryInf")
    details = tree.all(entry, "NtryDtls/TxDtls")
    amount_node = tree.find(entry, "Amt")
    if amount_node is None:
        raise ValueError("the entry has no Amt")
    credits = []
    for number, tx in enumerate(details or [entry], start=1):
        node = amount_node
        if details:
            node = _first(tree.find(tx, "Amt"), tree.find(tx, "AmtDtls/TxAmt/Amt"), amount_node)
            if len(details) > 1 and node is amount_node:
                raise ValueError("a batch entry without the amount of each transaction")
        text = " ".join(part for part in (
            " ".join(" ".join((u.text or "").split()) for u in tree.all(tx, "RmtInf/Ustrd")),
            tree.text(tx, "RmtInf/Strd/CdtrRefInf/Ref"),
            tree.text(tx, "Refs/EndToEndId") if details else "",
            entry_text if number == 1 else "") if part and part != "NOTPROVIDED")
        reference = (tree.text(tx, "Refs/AcctSvcrRef") if details else "") or entry_ref
        if not reference or len(details) > 1 and reference == entry_ref:
            reference = _hash(account, str(booked), node.text or "", text, entry_ref, str(number))
        credits.append(BankCredit(
            reference=f"camt:{account}:{reference}"[:128], account=account, date=booked,
            value_date=_day(valued) if valued else None, amount=_decimal(node.text),
            currency=node.get("Ccy") or "EUR",
            payer=tree.text(tx, "RltdPties/Dbtr/Pty/Nm", "RltdPties/Dbtr/Nm"), text=text))
    return credits


def _first(*nodes: ET.Element | None) -> ET.Element:
    """The first node found (an Element without children is falsy: never use `or`)."""
    return next(node for node in nodes if node is not None)


def _day(text: str) -> dt.date:
    if not text:
        raise ValueError("the entry has no booking date (BookgDt)")
    return dt.date.fromisoformat(text[:10])


def _decimal(text: str | None) -> Decimal:
    try:
        return Decimal((text or "").strip())
    except InvalidOperation:
        raise ValueError(f"not an amount: {text!r}") from None


def _hash(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc']) or 'entry'}: {first['msg']}"
    return str(exc)
