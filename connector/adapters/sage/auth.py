"""Sage Accounting OAuth2: the one-time consent (loopback redirect); the rotating pair itself is
kept by the generic `adapters.oauth` store.

Docs: https://developer.sage.com/accounting/guides/authenticating/authentication

Sage has no server-to-server flow: a user consents once in a browser, and from then on we live on a
refresh token that lasts 31 days and *rotates*: each refresh returns a new one, killing the old.
"""

from __future__ import annotations

import datetime as dt
import html
import queue
import secrets as pysecrets
import threading
import time
import urllib.parse
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from connector.adapters import oauth
from connector.adapters.oauth import (
    PREVIOUS,
    TOKENS,
    OAuthApp,
    TokenPair,
    check_token_response,
    describe_oauth_error,
)
from connector.errors import AuthError, ConfigError
from connector.http import HttpClient
from connector.secrets import SecretStore, remember

__all__ = ["PREVIOUS", "REAUTH", "TOKENS", "TokenPair", "authorize", "sage_app",
           "token_age_warning"]

REFRESH_LIFETIME_DAYS = 31  # refresh_token_expires_in = 2678400 s
WARN_FROM_DAY = 25
REAUTH = "run `relance auth sage` again"


def sage_app(config: Any) -> OAuthApp:
    """Our app at Sage's token endpoint (access tokens live 300 s, refresh tokens 31 days)."""
    return OAuthApp("Sage", config.client_id, config.token_url, config.secret_env, REAUTH,
                    refresh_lifetime_days=REFRESH_LIFETIME_DAYS,
                    warn_days_before=REFRESH_LIFETIME_DAYS - WARN_FROM_DAY)


_AGE_ONLY = OAuthApp("Sage", "", "", None, REAUTH, REFRESH_LIFETIME_DAYS,
                     REFRESH_LIFETIME_DAYS - WARN_FROM_DAY)


def token_age_warning(tokens: TokenPair | dict[str, Any] | str | None,
                      today: dt.date) -> str | None:
    """A warning when the refresh token is 25+ days old (it dies at 31 unless used), else None.

    `relance status` shows it; every sync refreshes the pair once its access token is stale, so
    a tenant synced by `relance serve` (hourly by default) never lets it idle that long.
    """
    return oauth.token_age_warning(tokens, today, _AGE_ONLY)


# -- the one-time consent ----------------------------------------------------------------------
class _Callback(BaseHTTPRequestHandler):
    """Receives the browser's redirect; the code never reaches a log line."""

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        parsed = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(parsed.query))
        if parsed.path != "/callback":
            self.send_error(404)
            return
        ok = query.get("state") == self.server.expected_state and "code" in query  # type: ignore[attr-defined]
        text = ("Relance is connected to Sage. You can close this window." if ok else
                "Relance could not complete the Sage authorisation; go back to the terminal.")
        body = f"<!doctype html><meta charset=utf-8><p>{html.escape(text)}</p>".encode()
        self.send_response(200 if ok else 400)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.server.results.put(query)  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:  # the query holds the code
        pass


def authorize(config: Any, secrets: SecretStore, *, open_browser: Callable[[str], None],
              pick_business: Callable[[list[dict[str, Any]]], str] | None,
              timeout: float = 300.0, clock: Callable[[], float] = time.time) -> str:
    """Run the consent in a browser, store the token pair, and return the chosen business id.

    A listener on 127.0.0.1 receives the redirect (the port is `config.redirect_port`, or a free
    one; Sage matches redirect URIs exactly, so register the port you configure).
    """
    client_secret = secrets.get("source", env=config.secret_env)
    state = pysecrets.token_urlsafe(24)
    server = ThreadingHTTPServer(("127.0.0.1", config.redirect_port or 0), _Callback)
    server.expected_state = state  # type: ignore[attr-defined]
    server.results = queue.Queue()  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              daemon=True)
    thread.start()
    try:
        redirect_uri = f"http://127.0.0.1:{server.server_address[1]}/callback"
        separator = "&" if "?" in config.auth_url else "?"
        url = config.auth_url + separator + urllib.parse.urlencode({
            "client_id": config.client_id, "response_type": "code", "redirect_uri": redirect_uri,
            "scope": "full_access", "state": state, "country": "fr", "locale": "fr-FR"})
        open_browser(url)
        try:
            answer: dict[str, str] = server.results.get(  # type: ignore[attr-defined]
                timeout=timeout)
        except queue.Empty:
            raise AuthError(
                f"no answer from the browser within {timeout:.0f} s: {REAUTH}") from None
    finally:
        server.shutdown()
        server.server_close()
    if answer.get("state") != state:
        raise AuthError("the browser came back with a wrong state (a stale or forged redirect); "
                        f"{REAUTH}")
    if "code" not in answer:
        raise AuthError(f"Sage did not grant access ({answer.get('error', 'no code')}); {REAUTH}")
    remember(answer["code"])
    http = HttpClient(config.token_url, describe_error=describe_oauth_error)
    try:
        response = http.request("POST", config.token_url, data={
            "grant_type": "authorization_code", "code": answer["code"],
            "redirect_uri": redirect_uri,
            "client_id": config.client_id, "client_secret": client_secret},
            headers={"Accept": "application/json"}, allow=(400, 401))
        app = sage_app(config)
        check_token_response(response, app)
        pair = TokenPair.from_response(response.json(), clock(), app)
        secrets.set(TOKENS, pair.to_json())
        secrets.delete(PREVIOUS)
        # /businesses belongs to Sage's "Core" API (not in the Accounts spec): a token reaches
        # every business of its user; no X-Business on this call.
        listing = http.request("GET", f"{config.base_url.rstrip('/')}/businesses",
                               headers={"Authorization": f"Bearer {pair.access_token}",
                                        "Accept": "application/json"}).json()
    finally:
        http.session.close()
    businesses = listing.get("$items", listing) if isinstance(listing, dict) else listing
    if not businesses:
        raise AuthError("this Sage user can reach no business; ask its owner for access")
    if len(businesses) == 1 and pick_business is None:
        return str(businesses[0]["id"])
    if pick_business is None:
        raise ConfigError("this Sage user reaches several businesses: choose one and set "
                          "business_id", key="source.business_id")
    chosen = pick_business(businesses)
    if chosen not in {str(b["id"]) for b in businesses}:
        raise ConfigError(f"{chosen!r} is not one of this user's businesses",
                          key="source.business_id")
    return chosen
