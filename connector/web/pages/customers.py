"""Customers: the list (search, sort, filter by stage, overdue amount and lateness) and each
customer's page: open invoices, the timeline (app/history.py) and the hold forms (pauses.py)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from starlette.responses import Response
from starlette.routing import Route

from connector.app import customers as customers_app
from connector.app import history
from connector.reports import build_report
from connector.reports.kpis import BUCKETS
from connector.store import pauses as pause_store
from connector.web.http import Ctx, view
from connector.web.site import Site


def listing(ctx: Ctx) -> Response:
    assert ctx.slug is not None
    tenant = ctx.site.tenant(ctx.slug)
    params = ctx.request.query_params
    try:
        floor = Decimal(params.get("min", "0") or "0")
    except InvalidOperation:
        floor = Decimal(0)
    report = build_report(tenant.store, [(tenant.name, tenant.source)], tenant.today)
    rows = customers_app.overview(
        tenant.store, tenant.name, tenant.source, tenant.config.timezone, report,
        query=params.get("q", ""), stage=params.get("stage", ""), min_overdue=floor,
        lateness=params.get("late", "") if params.get("late", "") in BUCKETS else "",
        sort=params.get("sort", "overdue"))
    levels = [level.name for level in tenant.config.rulebook.default.levels]
    return ctx.render("customers.html.j2", rows=rows, levels=levels, buckets=BUCKETS,
                      sorts=customers_app.SORTS, q=params.get("q", ""),
                      stage=params.get("stage", ""), floor=params.get("min", ""),
                      late=params.get("late", ""), sort=params.get("sort", "overdue"),
                      currency=report.currency)


def detail(ctx: Ctx) -> Response:
    assert ctx.slug is not None
    tenant = ctx.site.tenant(ctx.slug)
    cid = ctx.request.path_params["cid"]
    customer = tenant.store.customer(tenant.name, tenant.source, cid)
    if customer is None:
        return ctx.refuse(404, "not_found")
    ledger = list(tenant.store.open_ledger(tenant.name, tenant.source, only=[cid]))
    invoices = [i for _c, invs in ledger for i in invs if i.kind == "invoice"]
    events = list(reversed(history.events(tenant.store, tenant.name, tenant.source, cid)))
    held = [p for p in pause_store.active(tenant.store, tenant.name, tenant.source,
                                          tenant.today)
            if p.target_id == cid or p.target_id in {i.external_id for i in invoices}]
    return ctx.render("customer.html.j2", customer=customer, invoices=invoices, events=events,
                      held=held, today=tenant.today, timezone=tenant.config.timezone)


def routes(site: Site) -> list[Route]:
    return [Route("/c/{slug}/customers", view(site, listing)),
            Route("/c/{slug}/customers/{cid:path}", view(site, detail))]
