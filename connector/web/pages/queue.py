"""Today's queue: the messages waiting for a person, each shown exactly as it will go
(delivery/preview.py through app/review.show), approved (one, or a whole level) or rejected with
app/review.py, and "send now" = `relance run --no-sync` for this client (app/tenant.py)."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from connector.app import review as review_app
from connector.store import actions
from connector.web.http import Ctx, view
from connector.web.site import Site
from connector.web.words import word


def queue(ctx: Ctx) -> Response:
    assert ctx.slug is not None
    tenant = ctx.site.tenant(ctx.slug)
    waiting = review_app.pending(tenant.store, tenant.name)
    levels = sorted({p.level for p in waiting})
    return ctx.render("queue.html.j2", waiting=waiting, levels=levels,
                      currency_lang=tenant.config.language)


def message(ctx: Ctx) -> Response:
    assert ctx.slug is not None
    tenant = ctx.site.tenant(ctx.slug)
    key = ctx.request.path_params["key"]
    shown = review_app.show(tenant.store, tenant.config, key, now=tenant.clock.now())
    if shown is None:
        return ctx.refuse(404, "not_found")
    waiting = {p.key: p for p in review_app.pending(tenant.store, tenant.name)}
    return ctx.render("message_preview.html.j2", shown=shown, item=waiting.get(key))


def message_pdf(ctx: Ctx) -> Response:
    assert ctx.slug is not None
    tenant = ctx.site.tenant(ctx.slug)
    key = ctx.request.path_params["key"]
    shown = review_app.show(tenant.store, tenant.config, key, now=tenant.clock.now())
    if shown is None or shown.suffix != ".pdf":
        return ctx.refuse(404, "not_found")
    return Response(shown.raw, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{key}.pdf"'})


def approve(ctx: Ctx) -> Response:
    assert ctx.slug is not None
    tenant = ctx.site.tenant(ctx.slug)
    owners = {p.key: p for p in review_app.pending(tenant.store, tenant.name)}
    keys = ctx.lists.get("key", [])
    level = ctx.form.get("level") or None
    note = ctx.form.get("note", "").strip() or None
    now = tenant.clock.now()
    done = review_app.approve(tenant.store, tenant.name, keys, every=not keys and bool(level),
                              level=level, by=ctx.user.login, now=now, note=note)
    for key in done:
        item = owners[key]
        actions.record(tenant.store, tenant.name, by=ctx.user.login, action="approve",
                       customer_id=item.customer_id, now=now,
                       detail=f"{item.level} {item.channel} {', '.join(item.invoices)}"
                       + (f" — {note}" if note else ""))
    return ctx.back(f"/c/{ctx.slug}/queue", msg=word("approved", ctx.lang, n=len(done)))


def reject(ctx: Ctx) -> Response:
    assert ctx.slug is not None
    tenant = ctx.site.tenant(ctx.slug)
    key = ctx.form.get("key", "")
    reason = ctx.form.get("reason", "")
    owners = {p.key: p for p in review_app.pending(tenant.store, tenant.name)}
    if not reason.strip():
        return ctx.back(f"/c/{ctx.slug}/queue/{key}", msg=word("need_reason", ctx.lang))
    now = tenant.clock.now()
    if not review_app.reject(tenant.store, tenant.name, key, reason=reason, by=ctx.user.login,
                             now=now):
        return ctx.refuse(404, "not_found")
    item = owners[key]
    actions.record(tenant.store, tenant.name, by=ctx.user.login, action="reject",
                   customer_id=item.customer_id, now=now,
                   detail=f"{item.level} {', '.join(item.invoices)} — {reason.strip()}")
    return ctx.back(f"/c/{ctx.slug}/queue", msg=word("rejected", ctx.lang))


def send(ctx: Ctx) -> Response:
    """The same run as `relance run --no-sync`: plan, enqueue, gate and deliver."""
    assert ctx.slug is not None
    tenant = ctx.site.tenant(ctx.slug)
    try:
        result = tenant.run(do_sync=False)
    finally:
        tenant.close()
    sent = result.delivery.sent if result.delivery else 0
    actions.record(tenant.store, tenant.name, by=ctx.user.login, action="run",
                   now=tenant.clock.now(), detail=f"{sent} sent")
    return ctx.back(f"/c/{ctx.slug}/queue", msg=word("sent", ctx.lang, n=sent))


def routes(site: Site) -> list[Route]:
    return [
        Route("/c/{slug}/queue", view(site, queue)),
        Route("/c/{slug}/queue/{key}", view(site, message)),
        Route("/c/{slug}/queue/{key}/pdf", view(site, message_pdf)),
        Route("/c/{slug}/approve", view(site, approve), methods=["POST"]),
        Route("/c/{slug}/reject", view(site, reject), methods=["POST"]),
        Route("/c/{slug}/send", view(site, send), methods=["POST"]),
    ]
