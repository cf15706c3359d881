"""The Starlette application: routes of every page, the static stylesheet, security headers.

No script is served (CSP `script-src 'none'`); the message preview's HTML is shown in a sandboxed
frame. Pages are never cached (they carry amounts and names).
"""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from connector.web.http import current
from connector.web.pages import (
    auth,
    customers,
    dashboard,
    letters,
    metrics,
    pauses,
    portfolio,
    queue,
    rules,
    tasks,
)
from connector.web.site import Site

STATIC = Path(__file__).with_name("static")
HEADERS = {
    "content-security-policy": "default-src 'none'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data:; form-action 'self'; frame-src 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'; script-src 'none'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(k.encode(), v.encode()) for k, v in HEADERS.items()]
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, sending)


def create_app(site: Site) -> Starlette:
    async def home(request: Request) -> Response:
        who = await run_in_threadpool(current, request, site)
        if who is None:
            return RedirectResponse("/login", status_code=303)
        user = who[0]
        if site.firm is not None:
            return RedirectResponse("/portfolio", status_code=303)
        mine = [slug for slug in site.configs if user.sees(slug)]
        return RedirectResponse(f"/c/{mine[0]}/queue" if mine else "/login", status_code=303)

    routes: list[BaseRoute] = [Route("/", home),
                               Mount("/static", StaticFiles(directory=STATIC), name="static")]
    for module in (auth, queue, customers, pauses, tasks, letters, dashboard, rules, portfolio,
                   metrics):
        routes += module.routes(site)
    return Starlette(routes=routes, middleware=[Middleware(SecurityHeaders)])
