"""Late-payment interest and the €40 recovery indemnity, from dated rate tables (rules/data/rates.toml).

B2B (C. com. L441-10 II): interest runs from the day after the due date, without any reminder, at
the ECB main refinancing rate + 10 points, the ECB rate in force on 1 January applying to the first
half-year and the one in force on 1 July to the second. A contract may set another rate, never below
3 × the legal interest rate ("other cases"). Plus a fixed €40 per late invoice (D441-5), once per
invoice whatever the number of reminders or instalments, never owed by a consumer.
B2C (C. civ. 1344-1): the legal interest rate, from the formal notice only; no €40.

interest = amount due × rate × days / 365, per half-year (a delay spanning two is split), summed in
Decimal and rounded to the cent once, at the end.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from connector.errors import ConfigError

RATES_FILE = Path(__file__).with_name("data") / "rates.toml"
FIXED_INDEMNITY = Decimal("40.00")  # D441-5 C. com.
ECB_MARGIN = Decimal("10")  # points added to the ECB rate, L441-10 II
FLOOR_FACTOR = Decimal("3")  # contractual rate >= 3 × legal interest rate
CENT = Decimal("0.01")


class PenaltyTerms(BaseModel):
    """`[penalties]`: what the general terms of sale say (L441-9 asks that they say it)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    contract_rate: Decimal | None = Field(default=None, gt=0, le=100)
    """Contractual annual rate in percent; None = the legal default (ECB + 10 points)."""
    fixed_indemnity: bool = True
    """Claim the €40 per late B2B invoice (turn off during insolvency proceedings)."""
    creditor_individual: bool = False
    """The creditor is a private individual: the higher legal rate applies to B2C interest."""
    individual_fee: Decimal = Field(default=Decimal("0"), ge=0)
    """A recovery fee charged to consumers. Forbidden (CPCE L111-8): `rules check` refuses it."""


@dataclass(frozen=True)
class RateTables:
    ecb: tuple[tuple[dt.date, Decimal, bool], ...]  # (from, rate, verify)
    legal: tuple[tuple[dt.date, Decimal, Decimal, bool], ...]  # (from, individual, other, verify)
    checked_until: dt.date

    def _pick(self, rows: Iterable[tuple[Any, ...]], day: dt.date) -> tuple[Any, ...]:
        found = None
        for row in rows:
            if row[0] <= day:
                found = row
        if found is None:
            raise ConfigError(f"no rate known on {day.isoformat()} in {RATES_FILE.name}",
                              file=str(RATES_FILE))
        return found

    def ecb_on(self, day: dt.date) -> Decimal:
        return Decimal(self._pick(self.ecb, day)[1])

    def legal_on(self, day: dt.date, *, individual: bool = False) -> Decimal:
        row = self._pick(self.legal, semester_start(day))
        return Decimal(row[1] if individual else row[2])

    def provisional(self, day: dt.date) -> bool:
        """True when the tables were not checked that far: figures may be out of date."""
        return day > self.checked_until


@lru_cache(maxsize=4)
def load_rates(path: Path = RATES_FILE) -> RateTables:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    ecb = tuple(sorted((row["from"], Decimal(row["rate"]), bool(row.get("verify")))
                       for row in data["ecb"]))
    legal = tuple(sorted((row["from"], Decimal(row["individual"]), Decimal(row["other"]),
                          bool(row.get("verify"))) for row in data["legal"]))
    return RateTables(ecb=ecb, legal=legal, checked_until=data["checked_until"])


def semester_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 1 if day.month <= 6 else 7, 1)


def _semester_end(day: dt.date) -> dt.date:
    return dt.date(day.year, 6, 30) if day.month <= 6 else dt.date(day.year, 12, 31)


def b2b_rate(day: dt.date, terms: PenaltyTerms, rates: RateTables | None = None) -> Decimal:
    """Annual rate (percent) for the half-year containing `day`; checks the contractual floor."""
    rates = rates or load_rates()
    if terms.contract_rate is not None:
        check_contract_rate(terms, day, rates)
        return terms.contract_rate
    return rates.ecb_on(semester_start(day)) + ECB_MARGIN


def check_contract_rate(terms: PenaltyTerms, day: dt.date, rates: RateTables | None = None) -> None:
    """A contractual rate under 3 × the legal interest rate is refused (L441-10 II)."""
    if terms.contract_rate is None:
        return
    rates = rates or load_rates()
    floor = FLOOR_FACTOR * rates.legal_on(day)
    if terms.contract_rate < floor:
        raise ConfigError(f"the contractual rate {terms.contract_rate} % is under the legal floor "
                          f"of {floor} % (3 × the legal interest rate of "
                          f"{rates.legal_on(day)} % for the half-year of {day.isoformat()})",
                          key="penalties.contract_rate")


@dataclass(frozen=True)
class Period:
    start: dt.date  # first day of interest in the period
    end: dt.date  # last day, inclusive
    days: int
    rate: Decimal  # percent a year
    interest: Decimal  # not rounded


@dataclass(frozen=True)
class Penalty:
    interest: Decimal  # rounded to the cent
    indemnity: Decimal
    rate: Decimal | None  # the rate of the last period (the one in force today)
    periods: tuple[Period, ...]
    basis: str  # b2b | b2c | none
    provisional: bool = False

    @property
    def total(self) -> Decimal:
        return self.interest + self.indemnity


def interest_periods(amount: Decimal, start: dt.date, end: dt.date,
                     rate_for: Any) -> tuple[Period, ...]:
    """Interest on `amount` for each day of [start, end], split at half-year boundaries."""
    periods: list[Period] = []
    day = start
    while day <= end:
        last = min(_semester_end(day), end)
        days = (last - day).days + 1
        rate = Decimal(rate_for(day))
        periods.append(Period(day, last, days, rate, amount * rate / 100 * days / 365))
        day = last + dt.timedelta(days=1)
    return tuple(periods)


def late_penalties(amount: Decimal, due_date: dt.date, today: dt.date, *, kind: str,
                   terms: PenaltyTerms = PenaltyTerms(), noticed_on: dt.date | None = None,
                   rates: RateTables | None = None) -> Penalty:
    """What the debtor owes on top of `amount` for one invoice (or instalment) on `today`."""
    rates = rates or load_rates()
    if kind == "individual":
        if noticed_on is None or today <= noticed_on:
            return Penalty(Decimal("0.00"), Decimal("0.00"), None, (), "none")
        periods = interest_periods(amount, noticed_on + dt.timedelta(days=1), today,
                                   lambda d: rates.legal_on(d, individual=terms.creditor_individual))
        return _total(periods, Decimal("0.00"), "b2c", rates.provisional(today))
    if today <= due_date:
        return Penalty(Decimal("0.00"), Decimal("0.00"), None, (), "none")
    periods = interest_periods(amount, due_date + dt.timedelta(days=1), today,
                               lambda d: b2b_rate(d, terms, rates))
    indemnity = FIXED_INDEMNITY if terms.fixed_indemnity else Decimal("0.00")
    return _total(periods, indemnity, "b2b", rates.provisional(today))


def _total(periods: tuple[Period, ...], indemnity: Decimal, basis: str,
           provisional: bool) -> Penalty:
    interest = sum((p.interest for p in periods), Decimal(0)).quantize(CENT, ROUND_HALF_UP)
    return Penalty(interest, indemnity, periods[-1].rate if periods else None, periods, basis,
                   provisional)


@dataclass(frozen=True)
class Claim:
    """The figures a message states for its invoices: interest summed, €40 once per invoice."""

    interest: Decimal
    indemnity: Decimal
    rate: Decimal | None
    by_invoice: dict[str, Penalty]
    provisional: bool

    @property
    def total(self) -> Decimal:
        return self.interest + self.indemnity


def claim(items: Iterable[Any], today: dt.date, *, kind: str,
          terms: PenaltyTerms = PenaltyTerms(), rates: RateTables | None = None) -> Claim:
    """Sum over DueItems (one per invoice or instalment). The indemnity is per invoice: an invoice
    reminded through two instalments still carries one €40."""
    interest = Decimal(0)
    indemnities: dict[str, Decimal] = {}
    by_invoice: dict[str, Penalty] = {}
    rate, provisional = None, False
    for item in items:
        penalty = late_penalties(item.residual, item.due_date, today, kind=kind, terms=terms,
                                 noticed_on=getattr(item, "noticed_on", None), rates=rates)
        interest += sum((p.interest for p in penalty.periods), Decimal(0))  # rounded once, below
        if penalty.indemnity:
            indemnities[item.invoice_id] = penalty.indemnity
        by_invoice[item.item_id] = penalty
        rate = penalty.rate if penalty.rate is not None else rate
        provisional = provisional or penalty.provisional
    return Claim(interest.quantize(CENT, ROUND_HALF_UP), sum(indemnities.values(), Decimal("0.00")),
                 rate, by_invoice, provisional)
