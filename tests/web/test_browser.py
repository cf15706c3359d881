"""The cockpit in a real browser: the distribution's Chromium driven by Playwright (issue 20).

A collector logs in, approves a formal notice and sees it sent in the customer's timeline,
records a promise and sees the reminder held, closes a call task, drills down from the aging chart;
a firm's collector cannot reach another client; a forged form is refused; the dashboard holds at
1400 px and 390 px (screenshots kept under the test's tmp dir, printed at the end).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connector.app import users as users_app
from connector.app.tenant import open_tenant
from connector.config import load_config
from connector.store import outbox
from connector.web.site import open_site
from tests.delivery.test_letter import POLICY
from tests.helpers import NOW, write_config
from tests.test_cli import TODAY
from tests.web.server import PASSWORD, company, firm, serving, with_tasks

CHROMIUM = Path("/usr/bin/chromium")
playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="no /usr/bin/chromium (apt-get install -y chromium)")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
DAY = dt.date.fromisoformat(TODAY)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="fr-FR")
    yield context.new_page()
    context.close()


def log_in(page: Any, url: str, login: str) -> None:
    page.goto(f"{url}/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def test_approve_a_formal_notice_and_see_it_sent_in_the_timeline(tmp_path: Path,
                                                                 page: Any) -> None:
    config_path = write_config(tmp_path, small=True,
                               extra=POLICY.replace('approval = "auto"', 'approval = "review"'))
    open_tenant(load_config(config_path), today=DAY - dt.timedelta(days=7)).run()
    open_tenant(load_config(config_path), today=DAY).run()  # formal notices wait for a person
    site = open_site(str(config_path), None, today=DAY, clock=lambda: NOW)
    users_app.add(site.users, "marie", PASSWORD, role="collector", clients=["acme"], now=NOW)
    with serving(site) as url:
        log_in(page, url, "marie")
        assert page.url.endswith("/c/acme/queue")
        # the level and the channel are shown in words, not as identifiers
        row = page.locator("tr[data-key]", has=page.locator(
            "td", has_text=re.compile(r"^mise en demeure$")))
        row = row.filter(has=page.locator("td", has_text=re.compile(r"^e-mail$"))).first
        key = row.get_attribute("data-key")
        customer = row.locator("td").first.inner_text()
        row.get_by_role("link", name="Voir").click()
        assert "Mise en demeure" in page.locator("#text").inner_text() or \
            "mise en demeure" in page.locator("#text").inner_text().lower()
        page.fill("input[name=note]", "vu avec le gérant")
        page.click("#approve")
        assert "validé" in page.locator(".flash").inner_text()
        assert page.locator(f'tr[data-key="{key}"]').count() == 0
        page.click("#send-now")
        assert re.search(r"[1-9]\d* message\(s\) envoyé", page.locator(".flash").inner_text())
        page.goto(f"{url}/c/acme/customers")
        page.get_by_role("link", name=customer, exact=True).click()
        timeline = page.locator("table[data-table=timeline]")
        sent = timeline.locator('tr[data-kind="message"][data-status="sent"]',
                                has_text=re.compile(r"Message mise en demeure \(e-mail\)"))
        assert sent.count() >= 1
        action = timeline.locator('tr[data-kind="action"]', has_text="a validé")
        assert "marie" in action.first.inner_text() and "vu avec le gérant" in \
            action.first.inner_text()
    config = load_config(config_path)
    assert (config.outbox_dir / f"{key}.eml").exists()  # it really went out


def test_a_promise_holds_the_reminder(tmp_path: Path, page: Any) -> None:
    site, workdir = company(tmp_path)
    tenant = site.tenant("demo")
    single = next(r for r in outbox.rows(tenant.store, "demo", "pending_approval", limit=100)
                  if r["channel"] == "email" and len(json.loads(r["payload"])["items"]) == 1)
    invoice = json.loads(single["payload"])["items"][0]
    with serving(site) as url:
        log_in(page, url, "marie")
        page.goto(f"{url}/c/demo/customers/{single['customer_id']}")
        form = page.locator("#promise-form")
        form.locator("select[name=invoice]").select_option(invoice["invoice_id"])
        form.locator("input[name=until]").fill((DAY + dt.timedelta(days=10)).isoformat())
        form.locator("input[name=reason]").fill("virement annoncé")
        form.get_by_role("button").click()
        assert "pas de relance avant" in page.locator(".flash").inner_text()
        assert "promesse" in page.locator(".tag").first.inner_text().lower() or \
            page.locator(".tag").count() >= 1
        page.goto(f"{url}/c/demo/queue")
        page.locator(f'tr[data-key="{single["key"]}"]').get_by_role("button").click()
        page.click("#send-now")
        page.goto(f"{url}/c/demo/customers/{single['customer_id']}")
        timeline = page.locator("table[data-table=timeline]")
        assert timeline.locator('tr[data-kind="promise"]').count() == 1
        assert timeline.locator('tr[data-kind="message"][data-status="sent"]').count() == 0
    assert not (workdir / "outbox" / f"{single['key']}.eml").exists()
    row = next(r for r in outbox.rows(tenant.store, "demo", limit=1000)
               if r["key"] == single["key"])
    assert row["status"] == "skipped"  # the gate held it: promised


def test_close_a_call_task_with_its_outcome(tmp_path: Path, page: Any) -> None:
    site = with_tasks(tmp_path)
    with serving(site) as url:
        log_in(page, url, "marie")
        page.goto(f"{url}/c/demo/tasks?mine=1")
        row = page.locator("tr[data-task]").first
        task_id = row.get_attribute("data-task")
        row.locator("select[name=outcome]").select_option("o_promised")
        row.locator("input[name=note]").fill("paiera vendredi")
        row.get_by_role("button", name="Fait").click()
        assert f"Tâche #{task_id} close" in page.locator(".flash").inner_text()
        assert page.locator(f'tr[data-task="{task_id}"]').count() == 0
        page.goto(f"{url}/c/demo/tasks?all=1")
        closed = page.locator(f'tr[data-task="{task_id}"]').inner_text()
        assert "faite" in closed and "Promet de payer — paiera vendredi" in closed


def test_drill_down_from_the_aging_chart_to_its_invoices(tmp_path: Path, page: Any) -> None:
    site, _ = company(tmp_path)
    with serving(site) as url:
        log_in(page, url, "marie")
        page.goto(f"{url}/c/demo/dashboard")
        bar = page.locator('svg[data-chart="aging"] a[data-drill] rect').last
        shown = Decimal(bar.get_attribute("data-value"))
        assert shown > 0
        bar.click()
        assert "bucket=d91_plus" in page.url
        rows = page.locator("table[data-table=drill] tr[data-amount]")
        assert rows.count() > 0
        total = sum(Decimal(rows.nth(i).get_attribute("data-amount"))
                    for i in range(rows.count()))
        assert total == shown == Decimal(page.locator("#drill-total").get_attribute("data-total"))
        days = [int(rows.nth(i).locator("td").nth(3).inner_text()) for i in range(rows.count())]
        assert min(days) > 90


def test_a_firm_collector_cannot_reach_another_clients_data(tmp_path: Path, page: Any) -> None:
    site = firm(tmp_path)
    with serving(site) as url:
        log_in(page, url, "paul")
        assert page.url.endswith("/portfolio")
        clients = page.locator("table[data-table=portfolio] tr[data-client]")
        assert [clients.nth(i).get_attribute("data-client") for i in range(clients.count())] \
            == ["garage-durand"]
        page.goto(f"{url}/c/boulangerie-martin/customers")
        assert "Introuvable" in page.content()
        assert page.locator("table[data-table=customers]").count() == 0


def test_a_forged_form_is_refused(tmp_path: Path, page: Any) -> None:
    site, _ = company(tmp_path)
    with serving(site) as url:
        log_in(page, url, "marie")
        page.goto(f"{url}/c/demo/queue")
        key = page.locator("tr[data-key]").first.get_attribute("data-key")
        form = page.locator(f'tr[data-key="{key}"] form')
        form.locator("input[name=csrf]").evaluate("input => { input.value = 'forged' }")
        form.get_by_role("button").click()
        assert "rechargez la page" in page.content()
        page.goto(f"{url}/c/demo/queue")
        assert page.locator(f'tr[data-key="{key}"]').count() == 1  # not approved


@pytest.mark.parametrize("width", [1400, 390])
def test_dashboard_fits_the_screen(tmp_path: Path, browser: Any, width: int) -> None:
    site, _ = company(tmp_path)
    # RELANCE_SCREENSHOTS keeps them past pytest's tmp rotation (to look at them, or attach them)
    shots = Path(os.environ.get("RELANCE_SCREENSHOTS") or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="fr-FR")
    page = context.new_page()
    try:
        with serving(site) as url:
            log_in(page, url, "marie")
            for screen in ("dashboard", "queue", "customers"):
                page.goto(f"{url}/c/demo/{screen}")
                overflow = page.evaluate("document.documentElement.scrollWidth - innerWidth")
                assert overflow <= 0, f"{screen} at {width} px overflows by {overflow} px"
                page.screenshot(path=str(shots / f"{screen}-{width}.png"), full_page=True)
            page.goto(f"{url}/c/demo/dashboard")
            values = page.locator(".card .v")
            assert values.count() >= 6
            for i in range(values.count()):
                box = values.nth(i).bounding_box()
                assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, \
                    values.nth(i).inner_text()
            for chart in ("aging", "dso_trend"):
                box = page.locator(f'svg[data-chart="{chart}"]').bounding_box()
                assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
            assert page.locator('svg[data-chart="dso_trend"] [data-axis="y"]').count() == 1
            assert page.locator('svg[data-chart="dso_trend"] [data-legend]').count() == 2
    finally:
        context.close()
    print(f"screenshots: {shots}")
