"""The dashboard: the report's key figures and charts (reports/, the same as `relance report
--html`), each aging bar leading to the invoices behind it (reports/drill.py)."""

from __future__ import annotations

from decimal import Decimal

from markupsafe import Markup
from starlette.responses import Response
from starlette.routing import Route

from connector.reports import build_report
from connector.reports.drill import aging_items
from connector.reports.kpis import BUCKETS
from connector.reports.render_html import cards, charts
from connector.web.http import Ctx, view
from connector.web.site import Site


def dashboard(ctx: Ctx) -> Response:
    assert ctx.slug is not None
    tenant = ctx.site.tenant(ctx.slug)
    report = build_report(tenant.store, [(tenant.name, tenant.source)], tenant.today)
    links = [f"/c/{ctx.slug}/aging?bucket={b}" for b in BUCKETS]
    # both are built by reports/render_html.py, which escapes every text it writes
    return ctx.render("dashboard.html.j2", cards=Markup(cards(report, ctx.lang)),  # noqa: S704
                      charts=[Markup(c) for c in charts(report, ctx.lang, links)],  # noqa: S704
                      report=report)


def aging(ctx: Ctx) -> Response:
    assert ctx.slug is not None
    tenant = ctx.site.tenant(ctx.slug)
    bucket = ctx.request.query_params.get("bucket", "")
    if bucket not in BUCKETS:
        return ctx.refuse(404, "not_found")
    items = aging_items(tenant.store, tenant.name, tenant.source, tenant.today, bucket)
    total = sum((i.amount for i in items), Decimal(0))
    return ctx.render("aging.html.j2", items=items, bucket=bucket, total=total,
                      currency="EUR")


def routes(site: Site) -> list[Route]:
    return [Route("/c/{slug}/dashboard", view(site, dashboard)),
            Route("/c/{slug}/aging", view(site, aging))]
