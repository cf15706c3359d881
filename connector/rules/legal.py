"""Legal wording that depends on the debtor: the competent court, half-year names, citations.

The competent court follows the debtor (CPC art. 1406: the court of the place where the debtor
lives or has its seat): the tribunal de commerce of the seat for a company, the tribunal judiciaire
for a consumer (never the commercial court), the tribunal administratif for a public-sector body.
Which court of that kind is a mapping the firm configures (`[letter.courts]`), by kind and
optionally by département ("company:69" = "tribunal de commerce de Lyon"); when nothing matches,
the neutral "la juridiction compétente".
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

from connector.rules.calendar import end_of_month

NEUTRAL_COURT = "la juridiction compétente"
POSTCODE = re.compile(r"\b(\d{5})\b")


def departement(address: str | None) -> str | None:
    """The département of a French postal address ("69003 Lyon" → "69"; Corsica → "20")."""
    if not address:
        return None
    found = POSTCODE.findall(address)
    if not found:
        return None
    code: str = found[-1]
    return code[:3] if code.startswith("97") else code[:2]


def court_for(kind: str, address: str | None, courts: Mapping[str, str],
              legacy: str | None = None) -> str:
    """The court named in a formal notice for this debtor; never a commercial court for a
    consumer. `legacy` is the old single `letter.court`, kept for companies only."""
    dept = departement(address)
    if dept is not None and f"{kind}:{dept}" in courts:
        return courts[f"{kind}:{dept}"]
    if kind in courts:
        return courts[kind]
    if kind == "company" and legacy:
        return legacy
    return NEUTRAL_COURT


def french_half_year(label: str) -> str:
    """"2026-S2" → "2nd semestre 2026"."""
    year, half = label.split("-S")
    return f"{'1er' if half == '1' else '2nd'} semestre {year}"


def latest_lawful_due_date(issue: dt.date, *, periodic: bool = False) -> dt.date:
    """The latest due date agreed terms may set (C. com. art. L. 441-10 I): 60 days from the
    invoice date, or 45 days end of month (either reading: end of month then 45 days, or 45 days
    then end of month); a periodic invoice (art. 289 I-3 CGI): 45 days from its date."""
    if periodic:
        return issue + dt.timedelta(days=45)
    return max(issue + dt.timedelta(days=60), end_of_month(issue + dt.timedelta(days=45)),
               end_of_month(issue) + dt.timedelta(days=45))
