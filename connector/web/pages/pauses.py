"""Disputes, promises and pauses: record one, end them, list what is held, through
store/pauses.py as `relance dispute|promise|pause|resume` do (same checks: a promise's date is not
past, an invoice is found by number or id)."""

from __future__ import annotations

import datetime as dt

from starlette.responses import Response
from starlette.routing import Route

from connector.errors import ConfigError
from connector.rules.pauses import PauseKind
from connector.store import actions
from connector.store import pauses as pause_store
from connector.web.http import Ctx, view
from connector.web.site import Site
from connector.web.words import word

KINDS: dict[str, PauseKind] = {"dispute": "dispute", "promise": "promise", "pause": "pause"}


def _day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        return None


def listing(ctx: Ctx) -> Response:
    assert ctx.slug is not None
    tenant = ctx.site.tenant(ctx.slug)
    held = pause_store.active(tenant.store, tenant.name, tenant.source, tenant.today)
    invoices = tenant.store.invoices_by_id(tenant.name, tenant.source,
                                           [p.target_id for p in held if p.scope == "invoice"])
    rows = [(p, invoices[p.target_id].number if p.target_id in invoices else p.target_id)
            for p in held]
    return ctx.render("pauses.html.j2", rows=rows, today=tenant.today)


def hold(ctx: Ctx) -> Response:
    """One form for the three kinds: `kind` = dispute | promise | pause."""
    assert ctx.slug is not None
    tenant = ctx.site.tenant(ctx.slug)
    kind = ctx.form.get("kind", "")
    back = ctx.form.get("back", f"/c/{ctx.slug}/pauses")
    if not back.startswith(f"/c/{ctx.slug}/"):
        back = f"/c/{ctx.slug}/pauses"
    reason = ctx.form.get("reason", "").strip() or None
    until = _day(ctx.form.get("until", "")) if kind != "dispute" else None
    if kind not in KINDS:
        return ctx.refuse(400, "not_found")
    if kind != "dispute" and until is None:
        return ctx.back(back, msg=word("bad_date", ctx.lang))
    if until is not None and until < tenant.today:
        return ctx.back(back, msg=word("past_date", ctx.lang))
    now = tenant.clock.now()
    try:
        if kind == "pause":
            target = ctx.form.get("customer", "")
            if tenant.store.customer(tenant.name, tenant.source, target) is None:
                return ctx.refuse(404, "not_found")
            scope, target_id, customer_id, label = "customer", target, target, ""
        else:
            found = pause_store.find_invoice(tenant.store, tenant.name, tenant.source,
                                             ctx.form.get("invoice", "").strip())
            scope, target_id = "invoice", str(found["external_id"])
            customer_id, label = str(found["customer_id"]), str(found["number"])
    except ConfigError as exc:
        return ctx.back(back, msg=word("error", ctx.lang, text=str(exc)))
    if kind == "dispute" and not reason:
        return ctx.back(back, msg=word("need_reason", ctx.lang))
    pause_store.add(tenant.store, tenant.name, tenant.source, scope=scope, target_id=target_id,
                    kind=KINDS[kind], until=until, reason=reason, by=ctx.user.login, now=now)
    detail = " ".join(x for x in (label, until.isoformat() if until else "", reason or "") if x)
    actions.record(tenant.store, tenant.name, by=ctx.user.login, action=kind,
                   customer_id=customer_id, now=now, detail=detail)
    said = {"dispute": word("disputed", ctx.lang), "pause": word("paused", ctx.lang),
            "promise": word("promised", ctx.lang, day=until.isoformat() if until else "")}
    return ctx.back(back, msg=said[kind])


def end(ctx: Ctx) -> Response:
    assert ctx.slug is not None
    tenant = ctx.site.tenant(ctx.slug)
    target = ctx.form.get("target", "")
    back = f"/c/{ctx.slug}/pauses"
    customer_id = target if tenant.store.customer(tenant.name, tenant.source, target) else None
    if customer_id is None:
        owner = tenant.store.invoices_by_id(tenant.name, tenant.source, [target]).get(target)
        customer_id = owner.customer_id if owner else None
    now = tenant.clock.now()
    closed = pause_store.resolve(tenant.store, tenant.name, tenant.source, [target],
                                 ctx.user.login, now=now)
    if closed:
        actions.record(tenant.store, tenant.name, by=ctx.user.login, action="resume",
                       customer_id=customer_id, now=now, detail=f"{closed}")
    return ctx.back(back, msg=word("resumed", ctx.lang, n=closed))


def routes(site: Site) -> list[Route]:
    return [Route("/c/{slug}/pauses", view(site, listing)),
            Route("/c/{slug}/hold", view(site, hold), methods=["POST"]),
            Route("/c/{slug}/resume", view(site, end), methods=["POST"])]
