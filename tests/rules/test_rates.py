"""The dated tables: every half-year since 2021 has a value with a source, the unknown ones are
provisional and say so, and a firm's `rates_file` adds newer official values, validated."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from connector.config import load_config
from connector.errors import ConfigError
from connector.rules.penalties import PenaltyTerms, compute, tables_for
from connector.rules.rates import RATES_FILE, HalfYear, load_rates
from tests.helpers import write_config

D = Decimal
# The value of each half-year as published (ECB MRO on its first day; legal rates by arrêté).
PUBLISHED = {
    "2021-S1": ("0.00", "3.14", "0.79"), "2021-S2": ("0.00", "3.12", "0.76"),
    "2022-S1": ("0.00", "3.13", "0.76"), "2022-S2": ("0.00", "3.15", "0.77"),
    "2023-S1": ("2.50", "4.47", "2.06"), "2023-S2": ("4.00", "6.82", "4.22"),
    "2024-S1": ("4.50", "8.01", "5.07"), "2024-S2": ("4.25", "8.16", "4.92"),
    "2025-S1": ("3.15", "7.21", "3.71"), "2025-S2": ("2.15", "6.65", "2.76"),
    "2026-S1": ("2.15", "6.67", "2.62"),
}


def halves(start: dt.date, end: dt.date) -> list[HalfYear]:
    found, half = [], HalfYear.of(start)
    while half.start <= end:
        found.append(half)
        half = half.next()
    return found


@pytest.mark.parametrize("label", sorted(PUBLISHED))
def test_each_half_year_since_2021_has_its_published_value(label: str) -> None:
    rates = load_rates()
    half = next(h for h in halves(dt.date(2021, 1, 1), dt.date(2026, 6, 30)) if h.label == label)
    ecb, individual, other = PUBLISHED[label]
    assert rates.ecb_for(half).value == D(ecb) and not rates.ecb_for(half).provisional
    assert rates.legal_for(half, individual=True).value == D(individual)
    assert rates.legal_for(half).value == D(other) and not rates.legal_for(half).provisional


def test_every_row_names_its_source_and_2024_h2_cites_the_june_2024_arrete() -> None:
    text = RATES_FILE.read_text(encoding="utf-8")
    assert "arrêté du 26 juin 2024" in text and "19 juin 2024" not in text
    assert "arrêté du 19 juin 2025" in text  # 2025 H2, not the December 2025 arrêté
    rates = load_rates()
    assert all(len(row.source) > 10 for row in rates.ecb + rates.legal)


def test_the_half_years_not_yet_published_are_provisional_and_named() -> None:
    rates = load_rates()
    provisional = rates.provisional_half_years(dt.date(2021, 1, 1), dt.date(2027, 3, 1))
    assert [h.label for h in provisional] == ["2026-S2", "2027-S1"]


def test_no_delay_since_2021_raises_whatever_the_kind() -> None:
    for half in halves(dt.date(2021, 1, 1), dt.date(2027, 12, 31)):
        for kind in ("company", "public", "individual"):
            penalty = compute(D("1000"), half.start, half.start + dt.timedelta(days=400),
                              kind=kind, notice_received=half.start,
                              terms=PenaltyTerms(contract_rate=D("12")))
            assert penalty.interest > 0


def write_rates(path: Path, body: str) -> Path:
    path.write_text(body, encoding="utf-8")
    return path


NEWER = '''
ecb_checked_until = 2026-07-01

[[legal]]
from = 2026-07-01
individual = "6.50"
other = "2.50"
source = "arrêté du 20 juin 2026 (test figure)"
'''


def test_a_rates_file_adds_a_newer_official_value(tmp_path: Path) -> None:
    write_rates(tmp_path / "rates.toml", NEWER)
    config = load_config(write_config(tmp_path, extra='\n[penalties]\nrates_file = "rates.toml"\n'))
    rates = tables_for(config.penalties, config.base_dir)
    h2 = HalfYear.of(dt.date(2026, 9, 1))
    assert rates.legal_for(h2).value == D("2.50") and not rates.legal_for(h2).provisional
    assert not rates.ecb_for(h2).provisional  # ECB decisions checked up to 1 July 2026
    assert rates.provisional_half_years(dt.date(2021, 1, 1), dt.date(2026, 12, 1)) == []


@pytest.mark.parametrize(("body", "where"), [
    ('[[legal]]\nfrom = 2026-08-01\nindividual = "6.5"\nother = "2.5"\nsource = "arrêté x"\n',
     "legal.0.from"),
    ('[[legal]]\nfrom = 2026-07-01\nindividual = "6.5"\nother = "2.5"\n', "legal.0.source"),
    ('[[ecb]]\nfrom = 2026-07-01\nrate = "2.0"\nsource = "ECB"\ncomment = "x"\n', "ecb.0.comment"),
])
def test_a_bad_rates_file_is_refused_naming_file_and_key(tmp_path: Path, body: str,
                                                         where: str) -> None:
    write_rates(tmp_path / "rates.toml", body)
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(tmp_path, extra='\n[penalties]\nrates_file = "rates.toml"\n'))
    assert "rates.toml" in str(caught.value) and where in str(caught.value)


def test_a_missing_rates_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the rates file"):
        load_config(write_config(tmp_path, extra='\n[penalties]\nrates_file = "nope.toml"\n'))
