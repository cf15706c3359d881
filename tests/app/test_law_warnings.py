"""`status`, `rules check` and the report name provisional rates and invoices near prescription."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from click.testing import CliRunner

from connector.app.tenant import open_tenant
from connector.cli import main
from connector.config import load_config
from connector.reports.build import build_report
from tests.helpers import NOW, customer, invoice, write_config

TODAY = dt.date(2026, 12, 1)


def test_status_rules_check_and_report_warn_before_prescription(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    tenant = open_tenant(load_config(path), today=TODAY)
    store = tenant.store
    store.save_page(tenant.name, tenant.source, "customers",
                    [customer("B1"), customer("P1", kind="individual")], [], None, now=NOW)
    store.save_page(tenant.name, tenant.source, "invoices", [
        invoice("OLD", dt.date(2021, 12, 20), customer_id="B1"),
        invoice("CONSUMER", dt.date(2024, 11, 1), customer_id="P1"),
        invoice("FRESH", dt.date(2026, 10, 1), customer_id="B1")], [], None, now=NOW)
    warnings = tenant.status()["law_warnings"]
    assert any("2026-S2" in w and "taux provisoire" in w for w in warnings)
    assert "invoice F-OLD: time-barred on 2026-12-20 (within 1 month(s))" in warnings
    assert any(w.startswith("invoice F-CONSUMER: time-barred since 2026-11-01") for w in warnings)
    assert not any("F-FRESH" in w for w in warnings)
    report = build_report(store, [(tenant.name, tenant.source)], TODAY)
    assert any("F-OLD" in line for line in report.prescription)
    out = CliRunner().invoke(main, ["--config", str(path), "--today", TODAY.isoformat(),
                                    "rules", "check"]).output
    assert "F-OLD: time-barred on 2026-12-20" in out and "F-CONSUMER" in out
    assert "provisional rates for 2026-S2" in out
