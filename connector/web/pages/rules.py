"""The rules: the ladder as configured, why an invoice gets a reminder today (app/explain.py, as
`relance rules explain`) and a template rendered with a real customer (as `relance templates
preview --customer`)."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from connector.app import lint
from connector.app.explain import Explanation, explain
from connector.delivery.messages import template_context
from connector.delivery.render import Rendered, pick_language, render
from connector.errors import ConfigError
from connector.web.http import Ctx, view
from connector.web.site import Site


def rules(ctx: Ctx) -> Response:
    assert ctx.slug is not None
    tenant = ctx.site.tenant(ctx.slug)
    config = tenant.config
    params = ctx.request.query_params
    levels = config.rulebook.default.levels
    templates = sorted({level.template for level in levels})
    ledger = list(tenant.store.open_ledger(tenant.name, tenant.source))
    customers = sorted(((c.external_id, c.name) for c, _invs in ledger), key=lambda x: x[1])
    problem = ""
    explained: Explanation | None = None
    if params.get("invoice"):
        try:
            explained = explain(tenant, params["invoice"].strip())
        except ConfigError as exc:
            problem = str(exc)
    shown: Rendered | None = None
    template, wanted = params.get("template", ""), params.get("customer", "")
    if template in templates and wanted:
        found = [(c, invs) for c, invs in ledger if c.external_id == wanted]
        if found:
            payload = lint.customer_payload(config, template, found[0][0], found[0][1],
                                            tenant.today)
            shown = render(template, template_context(payload, config),
                           pick_language(payload.language, config.language),
                           config.template_dirs)
    return ctx.render("rules.html.j2", levels=levels, templates=templates, customers=customers,
                      explained=explained, problem=problem, shown=shown, chosen=template,
                      wanted=wanted, invoice=params.get("invoice", ""), today=tenant.today)


def routes(site: Site) -> list[Route]:
    return [Route("/c/{slug}/rules", view(site, rules))]
