"""What a broken or hostile source can send, as hypothesis strategies, and the checks every mapped
record must pass. Shared by the fuzz tests of each adapter.

Settings are modest and derandomized (no example database): the suite stays fast and CI sees the
same examples on every run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from connector.adapters.base import Rejected
from connector.models import MAX_DATE, MIN_DATE, Customer, Invoice, Payment, to_minor

FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])

ODD_CHARS = ["\u200f", "\u202e", "\x00", "\u0301", "\U0001f4b8", "\ufeff", "\u00a0", "\r\n",
             "\ud7ff", "’", "Ω", "\u2028", "é", "\t"]

odd_text = st.one_of(
    st.text(min_size=0, max_size=40),
    st.lists(st.sampled_from(ODD_CHARS), min_size=1, max_size=12).map("".join),
    st.builds(lambda c, n: c * n, st.sampled_from(["x", "é", "\U0001f4b8", "\u0301"]),
              st.sampled_from([300, 5000, 100_000])),
)
bad_amounts = st.one_of(
    st.sampled_from(["NaN", "nan", "sNaN", "Infinity", "-Infinity", "inf", "1e16", "-1e400",
                     "1e400", "1e-400", "99999999999999999999999999999", "12,50", "1 234,56",
                     "", " ", "0x10", "12.345678", "-0.005", "0.005", "1E+2", "١٢٣٫٤"]),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
)
bad_dates = st.one_of(
    st.sampled_from(["2026-02-30", "2026-13-01", "0000-00-00", "9999-12-31", "0001-01-01",
                     "2026-11-27T25:61:00Z", "27/11/2026", "", "null", "2026-1-5", "tomorrow"]),
    st.dates().map(str),
    st.integers(),
)
bad_currencies = st.sampled_from(["", "XYZ", "EURO", "€", "eu", "ÉUR", "E\x00R", "usd", "123",
                                  "X", "ＥＵＲ"])
garbage = st.one_of(
    st.none(), st.booleans(), odd_text, bad_amounts, bad_dates, bad_currencies,
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(),
                                                        max_size=2),
    st.tuples(st.integers(), st.text(max_size=5)).map(list),
)

MISSING = object()  # a key removed from the record


def corrupt(good: dict[str, Any], fields: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """The good record with some of `fields` replaced by garbage or removed."""
    changes = st.dictionaries(st.sampled_from(fields), st.one_of(garbage, st.just(MISSING)),
                              min_size=1, max_size=4)

    def apply(change: dict[str, Any]) -> dict[str, Any]:
        out = dict(good)
        for key, value in change.items():
            if value is MISSING:
                out.pop(key, None)
            else:
                out[key] = value
        return out

    return changes.map(apply)


def check_valid(record: Any) -> None:
    """A mapped record is a model the store and the rules can take as it is."""
    assert isinstance(record, Invoice | Customer | Payment)
    again = type(record).model_validate(record.model_dump())  # re-validates every field
    assert again == record
    if isinstance(record, Invoice):
        for day in (record.issue_date, record.due_date):
            assert MIN_DATE <= day <= MAX_DATE
        to_minor(record.total, record.currency), to_minor(record.residual, record.currency)
        assert record.residual >= 0 and isinstance(record.total, Decimal)
        assert record.total == record.total.quantize(Decimal(1).scaleb(-_digits(record)))
    if isinstance(record, Payment):
        to_minor(record.amount, record.currency)
    for value in record.model_dump().values():
        if isinstance(value, str):
            assert "\x00" not in value


def _digits(invoice: Invoice) -> int:
    from connector.models import currency_digits
    return currency_digits(invoice.currency)


def check_page(records: list[Any], rejected: list[Rejected], sent: Iterable[dict[str, Any]],
               good_ids: set[str]) -> None:
    """Every record sent is accounted for: mapped (and valid) or rejected with its id and why."""
    sent = list(sent)
    for record in records:
        check_valid(record)
    for reject in rejected:
        assert isinstance(reject, Rejected) and reject.reason.strip()
        assert reject.source_id is None or isinstance(reject.source_id, str)
    mapped_ids = {r.external_id.split("/")[0] for r in records}
    assert good_ids <= mapped_ids, f"a good record was lost: {good_ids - mapped_ids}"
    # a rejected record whose id is intact is named by it
    intact = {str(raw["id"]) for raw in sent if isinstance(raw.get("id"), int | str)
              and str(raw["id"]) not in mapped_ids}
    named = {r.source_id for r in rejected}
    assert intact <= named, f"rejected without their id: {intact - named}"


def day(n: int) -> str:
    return (dt.date(2026, 9, 1) + dt.timedelta(days=n)).isoformat()
