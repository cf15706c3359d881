"""Every request's checks in one place: who is logged in, may they see this client, is the form's
CSRF token theirs; then the page's (synchronous) function runs in a worker thread.

A page function takes a `Ctx` and returns a Response. Reading pages need a session and a client
the user was granted; a POST also needs the session's CSRF token and a role that acts (not reader).
A client the user may not see answers 404, exactly as a client that does not exist.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from connector.store import sessions as session_store
from connector.store import users as user_store
from connector.store.users import User
from connector.web.render import page
from connector.web.site import Site

COOKIE = "relance_session"
LANG_COOKIE = "relance_lang"
Handler = Callable[["Ctx"], Response]


@dataclass
class Ctx:
    request: Request
    site: Site
    user: User
    csrf: str
    form: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)
    slug: str | None = None

    @property
    def lang(self) -> str:
        chosen = self.request.cookies.get(LANG_COOKIE)
        return chosen if chosen in ("fr", "en") else self.site.language(self.slug)

    def render(self, template: str, status: int = 200, **values: Any) -> Response:
        clients = sorted(s for s in self.site.configs if self.user.sees(s))
        html = page(template, self.lang, user=self.user, csrf=self.csrf, slug=self.slug,
                    clients=clients, firm=self.site.firm is not None,
                    msg=self.request.query_params.get("msg", ""), **values)
        return HTMLResponse(html, status_code=status)

    def back(self, path: str, **message: str) -> Response:
        """After a POST: back to a page (303), with what happened in words."""
        query = f"?{urlencode(message)}" if message else ""
        return RedirectResponse(path + query, status_code=303)

    def refuse(self, status: int, key: str) -> Response:
        from connector.web.words import word
        return self.render("message.html.j2", status=status, text=word(key, self.lang))


def current(request: Request, site: Site) -> tuple[User, session_store.Session] | None:
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    found = session_store.find(site.users, token, now=site.clock())
    if found is None:
        return None
    user = user_store.by_id(site.users, found.user_id)
    if user is None or user.disabled:
        return None
    return user, found


def view(site: Site, handler: Handler, *, client: bool = True,
         admin: bool = False) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a page function with the checks above."""
    async def endpoint(request: Request) -> Response:
        who = await run_in_threadpool(current, request, site)
        if who is None:
            target = request.url.path
            return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)
        user, session = who
        ctx = Ctx(request, site, user, session.csrf)
        if request.method == "POST":
            form = await request.form()
            ctx.form = {k: str(v) for k, v in form.items() if isinstance(v, str)}
            ctx.lists = {k: [str(v) for v in form.getlist(k)] for k in form}
            sent = ctx.form.get("csrf", "")
            if not hmac.compare_digest(sent.encode(), session.csrf.encode()):
                return ctx.refuse(403, "csrf")
        if client:
            slug = str(request.path_params.get("slug", ""))
            if slug not in site.configs or not user.sees(slug):
                return ctx.refuse(404, "not_found")
            ctx.slug = slug
            if request.method == "POST" and not user.acts_on(slug):
                return ctx.refuse(403, "forbidden")
        if admin and user.role != "admin":
            return ctx.refuse(404, "not_found")
        return await run_in_threadpool(handler, ctx)
    return endpoint
