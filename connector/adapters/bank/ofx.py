"""OFX statements (1.x SGML and 2.x XML), read with ofxtools.

Spec: https://www.financialexchange.org/ (OFX 2.2, section 11.4 bank statements). Each
`STMTTRN` has a `FITID` unique per account, which is the credit's reference; a credit is a
positive `TRNAMT` (amounts are signed from the account holder's side). French banks put the
payer's wording in `NAME` (32 characters) and `MEMO`.
"""

from __future__ import annotations

import io
from typing import Any

from ofxtools.Parser import OFXTree
from pydantic import ValidationError

from connector.adapters.bank.statement import Statement
from connector.errors import ConfigError
from connector.models import BankCredit


def read_ofx(data: bytes, statement: Statement) -> None:
    tree = OFXTree()
    try:
        tree.parse(io.BytesIO(data))
        ofx: Any = tree.convert()
    except (SyntaxError, ValueError, KeyError, IndexError, TypeError) as exc:
        # ofxtools: ParseError and OFXHeaderError are SyntaxErrors; a malformed aggregate
        # raises plain ValueError/KeyError
        raise ConfigError(f"not a readable OFX file: {type(exc).__name__}: {exc}",
                          file=statement.file) from None
    for s_number, stmt in enumerate(ofx.statements, start=1):
        account = str(getattr(stmt.account, "acctid", "") or "")
        currency = str(getattr(stmt, "curdef", "") or "EUR")
        for t_number, tx in enumerate(stmt.transactions or [], start=1):
            if tx.trnamt is None or tx.trnamt <= 0:
                continue
            try:
                statement.credits.append(BankCredit(
                    reference=f"ofx:{account}:{tx.fitid}"[:128], account=account,
                    date=tx.dtposted.date(),
                    value_date=tx.dtavail.date() if tx.dtavail else None,
                    amount=tx.trnamt, currency=currency, payer=str(tx.name or ""),
                    text=" ".join(str(p) for p in (tx.name, tx.memo) if p)))
            except ValidationError as exc:
                first = exc.errors()[0]
                statement.rejects.append(f"{statement.file}:STMTRS[{s_number}]/"
                                         f"STMTTRN[{t_number}]: {first['msg']}")
