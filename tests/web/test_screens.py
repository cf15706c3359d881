"""The cockpit's screens at the HTTP level: the queue's decisions, customers' search and filters,
letters posted, the portfolio's failing syncs, English on request (issue 20)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import httpx

from connector.app import users as users_app
from connector.app.tenant import open_tenant
from connector.config import load_config
from connector.store import letters as letter_store
from connector.store import outbox
from connector.web.site import open_site
from tests.delivery.test_letter import POLICY
from tests.helpers import NOW, write_config
from tests.test_cli import TODAY
from tests.web.server import PASSWORD, PATIENCE, company, csrf_of, firm, log_in, serving, with_tasks

DAY = dt.date.fromisoformat(TODAY)


def test_reject_needs_a_reason_and_bulk_approve_takes_one_level(tmp_path: Path) -> None:
    site, _ = company(tmp_path)
    tenant = site.tenant("demo")
    with serving(site) as url, httpx.Client(base_url=url, timeout=PATIENCE) as client:
        log_in(client, "marie")
        page = client.get("/c/demo/queue").text
        token = csrf_of(page)
        levels = set(re.findall(r'data-approve-level="([^"]+)"', page))
        assert levels == {"first", "courtesy"}
        key = re.findall(r'data-key="([0-9a-f]{32})"', page)[0]
        client.post("/c/demo/reject", data={"key": key, "reason": " ", "csrf": token})
        assert f'data-key="{key}"' in client.get("/c/demo/queue").text  # no reason: kept
        client.post("/c/demo/reject", data={"key": key, "reason": "client en redressement",
                                            "csrf": token})
        rows = {r["key"]: r for r in outbox.rows(tenant.store, "demo", limit=1000)}
        assert rows[key]["status"] == "rejected" and "redressement" in rows[key]["reason"]
        assert rows[key]["reviewed_by"] == "marie"
        client.post("/c/demo/approve", data={"level": "courtesy", "csrf": token})
        rows = {r["key"]: r for r in outbox.rows(tenant.store, "demo", limit=1000)}
        assert {r["status"] for r in rows.values() if r["level"] == "courtesy"} == {"planned"}
        assert {r["status"] for r in rows.values()
                if r["level"] == "first" and r["key"] != key} == {"pending_approval"}


def test_customers_search_filters_and_sort(tmp_path: Path) -> None:
    site, _ = company(tmp_path)
    with serving(site) as url, httpx.Client(base_url=url, timeout=PATIENCE) as client:
        log_in(client, "marie")

        def names(query: str) -> list[str]:
            page = client.get(f"/c/demo/customers?{query}").text
            return re.findall(r'/c/demo/customers/[^"]+">([^<]+)</a>', page)

        every = names("")
        assert len(every) > 10
        assert names("sort=name") == sorted(every, key=str.casefold)
        assert names("q=rennes") == [n for n in every if "rennes" in n.casefold()] != []
        late = names("late=d91_plus")
        assert late and set(late) < set(every)
        page = client.get("/c/demo/customers?late=d91_plus").text
        assert "Non échu" not in page.split("<tbody>")[1]
        assert names("min=1000000") == []


def test_letters_are_marked_posted_and_the_timeline_says_who(tmp_path: Path) -> None:
    config_path = write_config(tmp_path, small=True, extra=POLICY)
    open_tenant(load_config(config_path), today=DAY - dt.timedelta(days=7)).run()
    open_tenant(load_config(config_path), today=DAY).run()
    site = open_site(str(config_path), None, today=DAY, clock=lambda: NOW)
    users_app.add(site.users, "marie", PASSWORD, role="collector", clients=["acme"], now=NOW)
    todo = letter_store.listing(site.users, "acme", status="to_post")
    assert todo
    with serving(site) as url, httpx.Client(base_url=url, timeout=PATIENCE) as client:
        log_in(client, "marie")
        page = client.get("/c/acme/letters").text
        assert f"/c/acme/letters/batch?day={DAY.isoformat()}" in page
        pdf = client.get(f"/c/acme/letters/batch?day={DAY.isoformat()}")
        assert pdf.headers["content-type"] == "application/pdf" and pdf.content[:4] == b"%PDF"
        future = client.post("/c/acme/letters/posted", data={
            "key": todo[0].key, "date": (DAY + dt.timedelta(days=1)).isoformat(),
            "csrf": csrf_of(page)})
        assert future.status_code == 303
        assert letter_store.find(site.users, "acme", todo[0].key).status == "to_post"
        client.post("/c/acme/letters/posted", data={
            "key": todo[0].key, "date": DAY.isoformat(), "tracking": "1A 234 567 8901 2",
            "csrf": csrf_of(page)})
        posted = letter_store.find(site.users, "acme", todo[0].key)
        assert posted is not None and posted.status == "posted"
        assert posted.tracking == "1A 234 567 8901 2"
        timeline = client.get(f"/c/acme/customers/{todo[0].customer_id}").text
        assert "a marqué une lettre postée" in timeline and "marie" in timeline


def test_portfolio_flags_a_failing_sync_and_speaks_english_on_request(tmp_path: Path) -> None:
    site = firm(tmp_path)
    garage = site.store_for(site.configs["garage-durand"])
    run = garage.start_sync_run("garage-durand", "demo", NOW)
    garage.finish_sync_run(run, "failed", {}, "the source refused the API key", now=NOW)
    with serving(site) as url, httpx.Client(base_url=url, timeout=PATIENCE) as client:
        log_in(client, "anne")
        page = client.get("/portfolio").text
        row = re.search(r'<tr data-client="garage-durand">.*?</tr>', page, re.S)
        assert row and "en échec" in row.group(0) and "refused the API key" in row.group(0)
        other = re.search(r'<tr data-client="boulangerie-martin">.*?</tr>', page, re.S)
        assert other and "en échec" not in other.group(0)
        client.get("/lang?lang=en")
        assert "Portfolio" in client.get("/portfolio").text
        assert "wait for approval" in client.get("/c/garage-durand/queue").text or \
            "No message waits for approval" in client.get("/c/garage-durand/queue").text


def test_rules_page_explains_an_invoice_and_previews_a_template_with_a_real_customer(
        tmp_path: Path) -> None:
    site, _ = company(tmp_path)
    tenant = site.tenant("demo")
    waiting = outbox.rows(tenant.store, "demo", "pending_approval", limit=10)
    number = json.loads(waiting[0]["payload"])["items"][0]["number"]
    with serving(site) as url, httpx.Client(base_url=url, timeout=PATIENCE) as client:
        log_in(client, "marie")
        page = client.get("/c/demo/rules").text
        assert 'data-table="ladder"' in page and "formal_notice" in page
        explained = client.get("/c/demo/rules", params={"invoice": number}).text
        assert f"Facture {number}" in explained
        assert "→" in explained and "id=\"explained\"" in explained
        unknown = client.get("/c/demo/rules", params={"invoice": "F-NOPE"}).text
        assert "no invoice" in unknown
        shown = client.get("/c/demo/rules", params={
            "template": "first", "customer": waiting[0]["customer_id"]}).text
        assert 'id="preview-subject"' in shown and number in shown  # its own invoice, for real


def test_a_task_goes_only_to_someone_who_may_act_on_the_client(tmp_path: Path) -> None:
    site = with_tasks(tmp_path)
    users_app.add(site.users, "paul", PASSWORD, role="collector", clients=["demo"], now=NOW)
    users_app.add(site.users, "ines", PASSWORD, role="reader", clients=["demo"], now=NOW)
    with serving(site) as url, httpx.Client(base_url=url, timeout=PATIENCE) as client:
        log_in(client, "marie")
        page = client.get("/c/demo/tasks?mine=1").text
        task = re.findall(r'data-task="(\d+)"', page)[0]
        for nobody in ("ines", "inconnu"):
            refused = client.post("/c/demo/tasks/assign", data={
                "task": task, "user": nobody, "csrf": csrf_of(page)})
            assert refused.status_code == 404
        client.post("/c/demo/tasks/assign", data={"task": task, "user": "paul",
                                                  "csrf": csrf_of(page)})
        assert f'data-task="{task}"' not in client.get("/c/demo/tasks?mine=1").text
        row = re.search(rf'<tr data-task="{task}">.*?</tr>', client.get("/c/demo/tasks").text,
                        re.S)
        assert row and "paul" in row.group(0)


def test_the_queue_names_an_invoice_with_instalments_once(tmp_path: Path) -> None:
    """A message covering two instalments of one invoice lists that invoice once, not twice."""
    site, _ = company(tmp_path)
    with serving(site) as url, httpx.Client(base_url=url, timeout=PATIENCE) as client:
        log_in(client, "marie")
        page = client.get("/c/demo/queue").text
        cells = re.findall(r'data-label="[^"]*">(F[0-9]{4}-[0-9]{5}(?:, F[0-9]{4}-[0-9]{5})*)</td>',
                           page)
        assert cells, "the queue lists the invoices of each message"
        assert any(len(c.split(", ")) > 1 for c in cells)
        for cell in cells:
            numbers = cell.split(", ")
            assert len(numbers) == len(set(numbers)), cell
