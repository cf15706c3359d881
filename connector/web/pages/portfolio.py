"""A firm's portfolio: every client the user may see, with its outstanding, overdue, DSO, pending
approvals and failing syncs (reports/portfolio.py), and a link into each."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from connector.clock import Clock
from connector.reports.portfolio import broken, client_line
from connector.secrets import redact
from connector.web.http import Ctx, view
from connector.web.site import Site


def portfolio(ctx: Ctx) -> Response:
    ctx.site.reload()
    lines = []
    for slug, config in sorted(ctx.site.configs.items()):
        if not ctx.user.sees(slug):
            continue
        today = ctx.site.today or Clock(config.timezone).today()
        lines.append(client_line(ctx.site.store_for(config), slug, config.source.kind, today))
    if ctx.user.role == "admin":
        lines += [broken(slug, redact(error)) for slug, error in sorted(ctx.site.errors.items())]
    return ctx.render("portfolio.html.j2", lines=lines)


def routes(site: Site) -> list[Route]:
    return [Route("/portfolio", view(site, portfolio, client=False))]
