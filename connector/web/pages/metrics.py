"""`/metrics`: the firm's health in Prometheus' text format, for monitoring to scrape.

Not a page for people: no session, a bearer token instead (RELANCE_METRICS_TOKEN, compared in
constant time); without a token configured the endpoint answers 404, as if it did not exist, since
its labels name every client. Figures come from connector.app.metrics (set-based queries).
"""

from __future__ import annotations

import hmac

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from connector.app.metrics import CONTENT_TYPE, firm_health, prometheus_text
from connector.config import Config
from connector.web.site import Site


def scrape(site: Site) -> bytes:
    site.reload()
    clients: list[tuple[str, Config | None]] = list(site.configs.items())
    clients += [(slug, None) for slug in site.errors]
    return prometheus_text(firm_health(clients, site.store_for, site.clock()))


def routes(site: Site) -> list[Route]:
    async def metrics(request: Request) -> Response:
        token = site.metrics_token
        if token is None:
            return PlainTextResponse("not found", status_code=404)
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return PlainTextResponse("unauthorized", status_code=401,
                                     headers={"www-authenticate": "Bearer"})
        body = await run_in_threadpool(scrape, site)
        return Response(body, media_type=CONTENT_TYPE)
    return [Route("/metrics", metrics)]
