"""Logging in and out, and the first start: the one-time token printed on the console lets the
first admin be created from the browser (or `relance users add --admin` beforehand).

The login form has no session yet, so its CSRF token is a double-submit cookie; after that every
form carries the session's own token (http.py).
"""

from __future__ import annotations

import hmac
import secrets

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from connector.app import users as users_app
from connector.store import sessions as session_store
from connector.web.http import COOKIE, LANG_COOKIE, current
from connector.web.render import page
from connector.web.site import Site
from connector.web.throttle import Throttle

LOGIN_CSRF = "relance_login_csrf"


def secure(request: Request, site: Site) -> bool:
    """Secure cookies over TLS: the request's own scheme (uvicorn sets it from X-Forwarded-Proto
    only for the proxies given with --trusted-proxy) or the site's --secure flag."""
    return site.secure or request.url.scheme == "https"


def _lang(request: Request, site: Site) -> str:
    chosen = request.cookies.get(LANG_COOKIE)
    return chosen if chosen in ("fr", "en") else site.language()


def _form_page(request: Request, site: Site, template: str, status: int = 200,
               **values: object) -> Response:
    token = request.cookies.get(LOGIN_CSRF) or secrets.token_urlsafe(24)
    html = page(template, _lang(request, site), user=None, csrf=token, slug=None, clients=[],
                firm=False, msg=request.query_params.get("msg", ""), **values)
    response = HTMLResponse(html, status_code=status)
    response.set_cookie(LOGIN_CSRF, token, httponly=True, samesite="strict",
                        secure=secure(request, site), path="/")
    return response


def _csrf_ok(request: Request, form: dict[str, str]) -> bool:
    cookie = request.cookies.get(LOGIN_CSRF, "")
    return bool(cookie) and hmac.compare_digest(cookie.encode(), form.get("csrf", "").encode())


def routes(site: Site) -> list[Route]:
    throttle = Throttle(site.clock)

    async def login(request: Request) -> Response:
        if request.method == "GET":
            return _form_page(request, site, "login.html.j2", error="",
                              next=request.query_params.get("next", "/"))
        form = {k: str(v) for k, v in (await request.form()).items()}
        target = form.get("next", "/")
        if not target.startswith("/") or target.startswith("//") or "\\" in target:
            target = "/"  # never an open redirect
        if not _csrf_ok(request, form):
            return _form_page(request, site, "login.html.j2", 403, error="csrf", next=target)
        login_name = form.get("login", "").strip()
        address = request.client.host if request.client else "?"
        if throttle.blocked(login_name, address):
            return _form_page(request, site, "login.html.j2", 429, error="throttled",
                              next=target)
        user = await run_in_threadpool(users_app.authenticate, site.users, login_name,
                                       form.get("password", ""), now=site.clock())
        if user is None:
            throttle.failed(login_name, address)
            return _form_page(request, site, "login.html.j2", 401, error="bad_login",
                              next=target)
        throttle.succeeded(login_name)
        token = await run_in_threadpool(session_store.open_session, site.users, user.id,
                                        now=site.clock())
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(COOKIE, token, httponly=True, samesite="lax",
                            secure=secure(request, site), path="/",
                            max_age=int(session_store.LIFETIME.total_seconds()))
        response.delete_cookie(LOGIN_CSRF, path="/")
        return response

    async def logout(request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        who = await run_in_threadpool(current, request, site)
        if who is not None and hmac.compare_digest(who[1].csrf.encode(),
                                                   form.get("csrf", "").encode()):
            await run_in_threadpool(session_store.close, site.users,
                                    request.cookies.get(COOKIE, ""))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    async def setup(request: Request) -> Response:
        token = request.query_params.get("token", "")
        expected = site.setup_token or ""
        if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
            return _form_page(request, site, "message.html.j2", 404, text_key="bad_token")
        if request.method == "GET":
            return _form_page(request, site, "setup.html.j2", error="", token=token)
        form = {k: str(v) for k, v in (await request.form()).items()}
        if not _csrf_ok(request, form):
            return _form_page(request, site, "setup.html.j2", 403, error="csrf", token=token)
        try:
            await run_in_threadpool(lambda: users_app.add(
                site.users, form.get("login", "").strip(), form.get("password", ""),
                role="admin", clients=[], now=site.clock()))
        except ValueError as exc:
            return _form_page(request, site, "setup.html.j2", 400, error=str(exc), token=token)
        site.setup_token = None  # one time only
        return RedirectResponse("/login?msg=setup_done", status_code=303)

    async def language(request: Request) -> Response:
        chosen = request.query_params.get("lang", "fr")
        back = request.headers.get("referer", "/")
        response = RedirectResponse(back if back.startswith(str(request.base_url)) else "/",
                                    status_code=303)
        response.set_cookie(LANG_COOKIE, "en" if chosen == "en" else "fr", httponly=True,
                            samesite="lax", secure=secure(request, site), path="/")
        return response

    return [Route("/login", login, methods=["GET", "POST"]),
            Route("/logout", logout, methods=["POST"]),
            Route("/setup", setup, methods=["GET", "POST"]),
            Route("/lang", language)]
