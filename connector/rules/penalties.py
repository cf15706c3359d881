"""Late-payment interest and the €40 recovery indemnity, over an item's balance history.

Companies (C. com. art. L. 441-10 II): interest runs from the day after the due date, without any
reminder, at the ECB main refinancing rate + 10 points (the ECB rate in force on 1 January for the
first half-year, on 1 July for the second), or at the contract rate, never below 3 × the legal
interest rate of the half-year (a lower contract rate is raised to that floor for that half-year
and `rules check` warns). Plus a fixed €40 per late invoice (art. D. 441-5), once per invoice.
Public-sector debtors (C. commande publique art. L. 2192-13, R. 2192-31, D. 2192-35): ECB + 8
points, the ECB rate of the half-year in which interest *started* applying to the whole delay, and
the €40. Consumers (C. civ. art. 1231-6 and 1344-1): the legal rate, from the day after receipt of
the formal notice; never the €40.

interest = Σ over periods (balance × days × rate of the half-year / 365). Periods are cut at each
half-year and at each change of the balance. Day count: actual days over a 365-day year, leap years
included (29 February counts as a day, the divisor stays 365). A payment or credit note dated D
still bears interest on day D and reduces the base from D + 1; a credit note linked to the invoice
from its issue (it corrects the invoice: the amount was never owed) reduces the base from the
start. Interest is summed in Decimal and rounded to the cent once per item (ROUND_HALF_UP).
Which payments and credit notes reduce which item (an instalment, oldest first, art. 1342-10
C. civ.) is decided by rules/imputation.py; the calculator, reminders and letters all go through
claim().
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from connector.rules.imputation import Movement as Movement
from connector.rules.imputation import imputed
from connector.rules.rates import RATES_FILE, HalfYear, Rate, RateTables, load_rates

FIXED_INDEMNITY = Decimal("40.00")  # art. D. 441-5 C. com., always in euros
INDEMNITY_CURRENCY = "EUR"
ECB_MARGIN = Decimal(10)  # points added to the ECB rate, art. L. 441-10 II
PUBLIC_MARGIN = Decimal(8)  # intérêts moratoires, art. R. 2192-31 C. commande publique
FLOOR_FACTOR = Decimal(3)  # contractual rate >= 3 × legal interest rate
DAYS_IN_YEAR = 365
DAY_COUNT = "exact/365"
CENT = Decimal("0.01")
KINDS = ("company", "individual", "public")


class PenaltyTerms(BaseModel):
    """`[penalties]`: what the general terms of sale say (L. 441-9 asks that they say it)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    contract_rate: Decimal | None = Field(default=None, gt=0, le=100)
    """Contractual annual rate in percent; None = the legal default (ECB + 10 points)."""
    fixed_indemnity: bool = True
    """Claim the €40 per late B2B invoice (turn off during insolvency proceedings)."""
    creditor_individual: bool = False
    """The creditor is a private individual: the higher legal rate applies to B2C interest."""
    individual_fee: Decimal = Field(default=Decimal(0), ge=0)
    """A recovery fee charged to consumers. Forbidden (CPCE L111-8): `rules check` refuses it."""
    rates_file: str | None = None
    """A TOML file with newer official rates ([[ecb]], [[legal]]), validated like the built-in."""
    provisional_rates: Literal["warn", "hold"] = "warn"
    """A message using a provisional rate says "taux provisoire" (warn) or waits (hold)."""
    late_paid: Literal["off", "email", "task"] = "off"
    """Claim interest and the €40 on invoices paid late ("facture de pénalités"), by email or as
    a task for a person; off by default (rules/late_paid.py)."""
    periodic_invoices: bool = False
    """Periodic (récapitulatives) invoices: `rules check` caps terms at 45 days from their date."""
    notice_delivery_days: int = Field(default=3, ge=0, le=30)
    """Days from posting a formal notice to its receipt, when no delivery date is recorded."""


DEFAULT_TERMS = PenaltyTerms()


@dataclass(frozen=True)
class Period:
    start: dt.date  # first day of interest in the period
    end: dt.date  # last day, inclusive
    days: int
    base: Decimal  # the balance that bears interest
    rate: Decimal  # percent a year
    interest: Decimal  # not rounded
    provisional: bool = False
    floor_applied: bool = False

    @property
    def half_year(self) -> HalfYear:
        return HalfYear.of(self.start)


@dataclass(frozen=True)
class Penalty:
    interest: Decimal  # rounded to the cent, in `currency`
    indemnity: Decimal  # always in euros
    rate: Decimal | None  # the rate of the last period
    periods: tuple[Period, ...]
    basis: str  # b2b | public | b2c | none
    provisional: bool = False
    currency: str = "EUR"
    floors: tuple[tuple[HalfYear, Decimal], ...] = ()  # half-years raised to the floor
    starts: dt.date | None = None  # first day of interest

    @property
    def indemnity_apart(self) -> bool:
        """The €40 cannot be added to an amount in another currency: it is stated apart."""
        return bool(self.indemnity) and self.currency != INDEMNITY_CURRENCY

    @property
    def total(self) -> Decimal:
        """Interest plus the €40 when both are in euros; interest alone otherwise."""
        return self.interest if self.indemnity_apart else self.interest + self.indemnity


def rate_for(half: HalfYear, kind: str, terms: PenaltyTerms,
             rates: RateTables) -> tuple[Rate, bool]:
    """(annual rate, floor applied) for a half-year and a debtor kind. Never raises."""
    if kind == "individual":
        return rates.legal_for(half, individual=terms.creditor_individual), False
    ecb = rates.ecb_for(half)
    if kind == "public":
        return Rate(ecb.value + PUBLIC_MARGIN, ecb.provisional, ecb.source), False
    if terms.contract_rate is None:
        return Rate(ecb.value + ECB_MARGIN, ecb.provisional, ecb.source), False
    legal = rates.legal_for(half)
    floor = FLOOR_FACTOR * legal.value
    if terms.contract_rate < floor:
        return Rate(floor, legal.provisional, legal.source), True
    return Rate(terms.contract_rate, False, "contract"), False


def b2b_rate(day: dt.date, terms: PenaltyTerms, rates: RateTables | None = None) -> Decimal:
    """The annual rate (percent) quoted for the half-year containing `day`."""
    return rate_for(HalfYear.of(day), "company", terms, rates or load_rates())[0].value


def contract_floors(terms: PenaltyTerms, start: dt.date, end: dt.date,
                    rates: RateTables | None = None) -> list[tuple[HalfYear, Decimal]]:
    """Half-years of [start, end] whose floor (3 × legal rate) exceeds the contract rate."""
    rates = rates or load_rates()
    found: list[tuple[HalfYear, Decimal]] = []
    if terms.contract_rate is None:
        return found
    half = HalfYear.of(start)
    while half.start <= end:
        rate, floored = rate_for(half, "company", terms, rates)
        if floored:
            found.append((half, rate.value))
        half = half.next()
    return found


def interest_periods(amount: Decimal, start: dt.date, end: dt.date,
                     rate_of: Callable[[HalfYear], tuple[Rate, bool]],
                     movements: Sequence[Movement] = ()) -> tuple[Period, ...]:
    """Interest for each day of [start, end], cut at half-years and at changes of the balance."""
    periods: list[Period] = []
    changes = sorted(m.day for m in movements if not m.from_start)
    day = start
    while day <= end:
        half = HalfYear.of(day)
        last = min(half.end, end, *(c for c in changes if c >= day))
        base = amount - sum((m.amount for m in movements if m.from_start or m.day < day),
                            Decimal(0))
        if base > 0:
            rate, floored = rate_of(half)
            days = (last - day).days + 1
            periods.append(Period(day, last, days, base, rate.value,
                                  base * rate.value / 100 * days / DAYS_IN_YEAR,
                                  rate.provisional, floored))
        day = last + dt.timedelta(days=1)
    return tuple(periods)


def notice_receipt(noticed_on: dt.date | None, received_on: dt.date | None,
                   terms: PenaltyTerms) -> dt.date | None:
    """When the consumer received the formal notice: the recorded date (the avis de réception),
    else posting + `notice_delivery_days`. That delay is a configured estimate, not a legal
    presumption: a mise en demeure is not a procedural notification (CPC art. 665 to 670-3 do not
    apply, Cass. 1re civ., 20 janv. 2021, n° 19-20.680). None: not posted, no interest."""
    if received_on is not None:
        return received_on
    if noticed_on is None:
        return None
    return noticed_on + dt.timedelta(days=terms.notice_delivery_days)


def compute(amount: Decimal, due_date: dt.date, until: dt.date, *, kind: str,
            terms: PenaltyTerms | None = None, movements: Sequence[Movement] = (),
            notice_received: dt.date | None = None, currency: str = "EUR",
            rates: RateTables | None = None) -> Penalty:
    """What the debtor owes on top of the principal for one item, counted up to `until`.

    `amount` is the item's amount due at issue; `movements` are the payments and credit notes
    that reduced it since, with their dates.
    """
    rates = rates or load_rates()
    terms = terms or DEFAULT_TERMS
    if kind == "individual":
        if notice_received is None:
            return Penalty(Decimal("0.00"), Decimal("0.00"), None, (), "none", currency=currency)
        start = max(notice_received, due_date) + dt.timedelta(days=1)
    else:
        start = due_date + dt.timedelta(days=1)
    first = HalfYear.of(start)  # public buyers: the rate of the half-year interest started in
    periods = interest_periods(amount, start, until, lambda half: rate_for(
        first if kind == "public" else half, kind, terms, rates), movements)
    if not periods:
        return Penalty(Decimal("0.00"), Decimal("0.00"), None, (), "none", currency=currency)
    late = kind != "individual" and terms.fixed_indemnity
    indemnity = FIXED_INDEMNITY if late else Decimal("0.00")
    interest = sum((p.interest for p in periods), Decimal(0)).quantize(CENT, ROUND_HALF_UP)
    floors = tuple((p.half_year, p.rate) for p in periods if p.floor_applied)
    basis = {"individual": "b2c", "public": "public"}.get(kind, "b2b")
    return Penalty(interest, indemnity, periods[-1].rate, periods, basis,
                   any(p.provisional for p in periods), currency,
                   tuple(dict.fromkeys(floors)), start)


def late_penalties(amount: Decimal, due_date: dt.date, today: dt.date, *, kind: str,
                   terms: PenaltyTerms | None = None, noticed_on: dt.date | None = None,
                   rates: RateTables | None = None, currency: str = "EUR") -> Penalty:
    """One item whose balance did not move: `noticed_on` is the day the notice was posted."""
    terms = terms or DEFAULT_TERMS
    return compute(amount, due_date, today, kind=kind, terms=terms, currency=currency,
                   notice_received=notice_receipt(noticed_on, None, terms), rates=rates)


@dataclass(frozen=True)
class Claim:
    """The figures a message states for its items: interest per item, €40 once per invoice."""

    interest: Decimal
    indemnity: Decimal
    rate: Decimal | None
    by_invoice: dict[str, Penalty]
    provisional: bool
    currency: str = "EUR"
    rates_used: tuple[tuple[str, Decimal, bool], ...] = field(default=())

    @property
    def indemnity_apart(self) -> bool:
        return bool(self.indemnity) and self.currency != INDEMNITY_CURRENCY

    @property
    def total(self) -> Decimal:
        return self.interest if self.indemnity_apart else self.interest + self.indemnity

    @property
    def provisional_half_years(self) -> list[str]:
        return sorted({label for label, _, provisional in self.rates_used if provisional})


def claim(items: Iterable[Any], today: dt.date, *, kind: str,
          terms: PenaltyTerms | None = None, rates: RateTables | None = None,
          history: Mapping[str, Sequence[Movement]] | None = None,
          credits: Mapping[str, Sequence[Movement]] | None = None) -> Claim:
    """Sum over DueItems (one per invoice or instalment). `history` gives, per invoice id, the
    payments and credit notes that reduced it (the store's balance history); `credits`, per
    invoice id, the open credit notes linked to it that the message deducts. Both are imputed to
    the items by rules/imputation.py (instalments oldest first); without them the balance is
    taken as unchanged since the due date. A consumer's interest runs from the receipt of the
    formal notice recorded for the item (`notice_posted` / `notice_received`, set from the
    posted letters by delivery/postal.py), never from a planned date. The €40 is per invoice: an
    invoice reminded through two instalments still carries one."""
    rates = rates or load_rates()
    terms = terms or DEFAULT_TERMS
    items = list(items)
    bases = imputed(items, history or {}, credits or {}, today)
    interest = Decimal("0.00")
    indemnities: dict[str, Decimal] = {}
    by_invoice: dict[str, Penalty] = {}
    used: dict[tuple[str, Decimal], bool] = {}
    rate, currency = None, "EUR"
    for item in items:
        amount, movements = bases[item.item_id]
        currency = getattr(item, "currency", currency)
        received = notice_receipt(getattr(item, "notice_posted", None),
                                  getattr(item, "notice_received", None), terms)
        penalty = compute(amount, item.due_date, today, kind=kind, terms=terms,
                          movements=movements, notice_received=received, currency=currency,
                          rates=rates)
        interest += penalty.interest
        if penalty.indemnity:
            indemnities[item.invoice_id] = penalty.indemnity
        by_invoice[item.item_id] = penalty
        for period in penalty.periods:
            key = (period.half_year.label, period.rate)
            used[key] = used.get(key, False) or period.provisional
        rate = penalty.rate if penalty.rate is not None else rate
    rates_used = tuple((label, value, prov) for (label, value), prov in sorted(used.items()))
    return Claim(interest, sum(indemnities.values(), Decimal("0.00")), rate, by_invoice,
                 any(p for p in used.values()), currency, rates_used)


def tables_for(terms: PenaltyTerms, base_dir: Path | None = None) -> RateTables:
    """The built-in tables completed by the configured `rates_file` (relative to the config)."""
    if terms.rates_file is None:
        return load_rates()
    path = Path(terms.rates_file)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    return load_rates(RATES_FILE, path)
