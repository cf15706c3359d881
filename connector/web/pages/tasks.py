"""Tasks: mine or all, open or every one; close one with the call's outcome; give it to someone.
Through app/tasks.py, as `relance tasks` (closing a pushed task closes it in the source too)."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from connector.app import tasks as tasks_app
from connector.store import actions
from connector.store import users as user_store
from connector.web.http import Ctx, view
from connector.web.site import Site
from connector.web.words import word

OUTCOMES = ("o_reached", "o_no_answer", "o_voicemail", "o_promised")


def listing(ctx: Ctx) -> Response:
    assert ctx.slug is not None
    tenant = ctx.site.tenant(ctx.slug)
    every = ctx.request.query_params.get("all") == "1"
    mine = ctx.request.query_params.get("mine") == "1"
    rows = tasks_app.list_tasks(tenant.store, tenant.name, every=every)
    if mine:
        rows = [r for r in rows if r["owner"] == ctx.user.login]
    people = [u.login for u in user_store.listing(ctx.site.users)
              if not u.disabled and u.acts_on(ctx.slug)]
    return ctx.render("tasks.html.j2", rows=rows, every=every, mine=mine, people=people,
                      outcomes=OUTCOMES, today=tenant.today)


def _task(ctx: Ctx) -> tuple[int, str | None]:
    assert ctx.slug is not None
    tenant = ctx.site.tenant(ctx.slug)
    try:
        task_id = int(ctx.form.get("task", ""))
    except ValueError:
        return -1, None
    found = [r for r in tasks_app.list_tasks(tenant.store, tenant.name, every=True)
             if r["id"] == task_id]
    return task_id, found[0]["customer_id"] if found else None


def done(ctx: Ctx) -> Response:
    assert ctx.slug is not None
    task_id, customer_id = _task(ctx)
    if customer_id is None:
        return ctx.refuse(404, "not_found")
    tenant = ctx.site.tenant(ctx.slug)
    outcome = ctx.form.get("outcome", "")
    said = word(outcome, tenant.config.language) if outcome in OUTCOMES else ""
    note = " — ".join(x for x in (said, ctx.form.get("note", "").strip()) if x) or None
    now = tenant.clock.now()
    try:
        tasks_app.done(tenant.store, tenant.name, task_id, by=ctx.user.login, now=now,
                       note=note, adapter=tenant.adapter)
    finally:
        tenant.close()
    actions.record(tenant.store, tenant.name, by=ctx.user.login, action="task_done",
                   customer_id=customer_id, now=now, detail=f"#{task_id} {note or ''}".strip())
    return ctx.back(f"/c/{ctx.slug}/tasks", msg=word("task_done", ctx.lang, id=task_id))


def assign(ctx: Ctx) -> Response:
    assert ctx.slug is not None
    task_id, customer_id = _task(ctx)
    person = ctx.form.get("user", "").strip()
    known = user_store.by_login(ctx.site.users, person)
    if customer_id is None or known is None or not known.acts_on(ctx.slug):
        return ctx.refuse(404, "not_found")  # only to someone who may act on this client
    tenant = ctx.site.tenant(ctx.slug)
    tasks_app.assign(tenant.store, tenant.name, task_id, person)
    actions.record(tenant.store, tenant.name, by=ctx.user.login, action="task_assign",
                   customer_id=customer_id, now=tenant.clock.now(), detail=f"#{task_id} → {person}")
    return ctx.back(f"/c/{ctx.slug}/tasks",
                    msg=word("task_assigned", ctx.lang, id=task_id, user=person))


def routes(site: Site) -> list[Route]:
    return [Route("/c/{slug}/tasks", view(site, listing)),
            Route("/c/{slug}/tasks/done", view(site, done), methods=["POST"]),
            Route("/c/{slug}/tasks/assign", view(site, assign), methods=["POST"])]
