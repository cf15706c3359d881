"""Letters to post: the list, the day's print batch (app/letters.batch, as `relance letters
batch`), and marking one posted with its date and tracking number (store/letters.mark_posted)."""

from __future__ import annotations

import datetime as dt

from starlette.responses import Response
from starlette.routing import Route

from connector.app import letters as batches
from connector.store import actions
from connector.store import letters as letter_store
from connector.web.http import Ctx, view
from connector.web.site import Site
from connector.web.words import word


def listing(ctx: Ctx) -> Response:
    assert ctx.slug is not None
    tenant = ctx.site.tenant(ctx.slug)
    rows = letter_store.listing(tenant.store, tenant.name,
                                status=None if ctx.request.query_params.get("all") else "to_post")
    names = {r.customer_id: (c.name if (c := tenant.store.customer(
        tenant.name, tenant.source, r.customer_id)) else r.customer_id) for r in rows}
    days = sorted({r.planned_for for r in rows if r.status == "to_post"})
    return ctx.render("letters.html.j2", rows=rows, names=names, days=days, today=tenant.today)


def batch(ctx: Ctx) -> Response:
    assert ctx.slug is not None
    tenant = ctx.site.tenant(ctx.slug)
    try:
        day = dt.date.fromisoformat(ctx.request.query_params.get("day", ""))
    except ValueError:
        return ctx.refuse(400, "bad_date")
    todo = letter_store.listing(tenant.store, tenant.name, status="to_post", day=day)
    names = {x.customer_id: (c.name if (c := tenant.store.customer(
        tenant.name, tenant.source, x.customer_id)) else x.customer_id) for x in todo}
    made = batches.batch(tenant.store, tenant.name, day, names, tenant.config.language)
    return Response(made.pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{day.isoformat()}_a-poster.pdf"'})


def posted(ctx: Ctx) -> Response:
    assert ctx.slug is not None
    tenant = ctx.site.tenant(ctx.slug)
    letter = letter_store.find(tenant.store, tenant.name, ctx.form.get("key", ""))
    if letter is None:
        return ctx.refuse(404, "not_found")
    try:
        day = dt.date.fromisoformat(ctx.form.get("date", "").strip())
    except ValueError:
        return ctx.back(f"/c/{ctx.slug}/letters", msg=word("bad_date", ctx.lang))
    tracking = ctx.form.get("tracking", "").strip()[:64] or None
    if day > tenant.today:
        return ctx.back(f"/c/{ctx.slug}/letters", msg=word("bad_date", ctx.lang))
    now = tenant.clock.now()
    letter_store.mark_posted(tenant.store, tenant.name, letter.key, on=day, tracking=tracking,
                             now=now)
    actions.record(tenant.store, tenant.name, by=ctx.user.login, action="letter_posted",
                   customer_id=letter.customer_id, now=now,
                   detail=f"{letter.level} {day.isoformat()} {tracking or ''}".strip())
    return ctx.back(f"/c/{ctx.slug}/letters", msg=word("letter_posted", ctx.lang))


def routes(site: Site) -> list[Route]:
    return [Route("/c/{slug}/letters", view(site, listing)),
            Route("/c/{slug}/letters/batch", view(site, batch)),
            Route("/c/{slug}/letters/posted", view(site, posted), methods=["POST"])]
