"""Sage Accounting OAuth2: the one-time consent (loopback redirect) and the rotating token pair.

Docs: https://developer.sage.com/accounting/guides/authenticating/authentication

Sage has no server-to-server flow: a user consents once in a browser, and from then on we live on a
refresh token that lasts 31 days and *rotates*: each refresh returns a new one, killing the old.
Losing the new token (crash between the token endpoint's answer and our write) means asking the user
to consent again, so the order of writes below matters more than anything else in this module.

Keyring layout (one tenant): `source` = client secret, `source_tokens` = the current pair as JSON,
`source_tokens_previous` = the pair we refreshed *from*, kept until the new pair has served one
successful API call (if the server never committed the rotation, the previous pair still works).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import json
import logging
import queue
import secrets as pysecrets
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

from connector.errors import AuthError, ConfigError, TransientError
from connector.http import HttpClient
from connector.secrets import SecretStore, remember

try:  # advisory lock between processes on POSIX; threads are serialized by _LOCKS anyway
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

TOKENS = "source_tokens"
PREVIOUS = "source_tokens_previous"
REFRESH_MARGIN = 60.0  # refresh when fewer seconds than this remain on the access token
REFRESH_LIFETIME_DAYS = 31  # refresh_token_expires_in = 2678400 s
WARN_FROM_DAY = 25
REAUTH = "run `relance auth sage` again"


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_at: float  # epoch seconds of the access token's end
    refresh_issued_at: str  # ISO datetime (UTC) of the refresh token's birth

    def __repr__(self) -> str:  # never print a token, even in a debugger or a failed assert
        return (f"TokenPair(expires_at={self.expires_at:.0f}, "
                f"refresh_issued_at={self.refresh_issued_at})")

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> TokenPair:
        data = json.loads(text)
        return cls(str(data["access_token"]), str(data["refresh_token"]),
                   float(data["expires_at"]), str(data["refresh_issued_at"]))

    @classmethod
    def from_response(cls, data: dict[str, Any], now: float) -> TokenPair:
        """Build from a token endpoint answer (`expires_in` is 300 s on Sage)."""
        try:
            access, refresh = str(data["access_token"]), str(data["refresh_token"])
            expires_in = float(data.get("expires_in", 300))
        except (KeyError, TypeError, ValueError):
            raise TransientError("the Sage token endpoint answered without a token pair") from None
        remember(access), remember(refresh)
        issued = dt.datetime.fromtimestamp(now, dt.UTC).isoformat(timespec="seconds")
        return cls(access, refresh, now + expires_in, issued)


def token_age_warning(tokens: TokenPair | dict[str, Any] | str | None,
                      today: dt.date) -> str | None:
    """A warning when the refresh token is 25+ days old (it dies at 31 unless used), else None.

    `relance status` shows it; `relance serve` calls `keep_alive()` well before that.
    """
    if tokens is None:
        return f"no Sage token is stored: {REAUTH}"
    if isinstance(tokens, str):
        tokens = TokenPair.from_json(tokens)
    issued_raw = tokens.refresh_issued_at if isinstance(tokens, TokenPair) \
        else tokens.get("refresh_issued_at")
    if not issued_raw:
        return None
    issued = dt.datetime.fromisoformat(str(issued_raw)).date()
    age = (today - issued).days
    if age >= REFRESH_LIFETIME_DAYS:
        return f"the Sage refresh token expired {age - REFRESH_LIFETIME_DAYS} day(s) ago: {REAUTH}"
    if age >= WARN_FROM_DAY:
        left = REFRESH_LIFETIME_DAYS - age
        return (f"the Sage refresh token is {age} days old and expires in {left} day(s) unless "
                "used: "
                "run `relance sync` (or keep `relance serve` running) before then")
    return None


_LOCKS: dict[tuple[str, str], threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _tenant_lock(tenant: str, client_id: str) -> threading.Lock:
    """One lock per (tenant, app) in this process, shared by every adapter instance."""
    with _LOCKS_GUARD:
        return _LOCKS.setdefault((tenant, client_id), threading.Lock())


def describe_oauth_error(response: requests.Response) -> str:
    """`{"error": ..., "error_description": ...}` as text, without echoing anything else."""
    try:
        data = response.json()
    except ValueError:
        return response.reason or "no details"
    if isinstance(data, dict) and "error" in data:
        return f"{data.get('error')}: {data.get('error_description') or ''}".strip(": ")
    return response.reason or "no details"


class TokenManager:
    """Hands out a valid access token; refreshes it under a lock, storing the new pair first."""

    def __init__(self, secrets: SecretStore, *, client_id: str, token_url: str,
                 secret_env: str | None, state_dir: Path | None = None,
                 clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep
                 ) -> None:
        self.secrets, self.client_id, self.token_url = secrets, client_id, token_url
        self.secret_env, self.clock = secret_env, clock
        self.state_dir = state_dir
        self._lock = _tenant_lock(secrets.tenant, client_id)
        self._pair: TokenPair | None = None
        self._unconfirmed = False
        # The token endpoint is a POST that rotates server-side: never retried on 5xx (HttpClient
        # retries a POST only when the server cannot have acted).
        self._http = HttpClient(token_url, describe_error=describe_oauth_error, sleep=sleep,
                                max_attempts=3)
        self.refresh_count = 0

    # -- reading -----------------------------------------------------------------------------
    def load(self) -> TokenPair | None:
        raw = self.secrets.get(TOKENS, required=False)
        return TokenPair.from_json(raw) if raw else None

    def auth_header(self) -> dict[str, str]:
        """The bearer header; refreshes first when fewer than 60 s remain."""
        pair = self._pair
        if pair is None or pair.expires_at - self.clock() < REFRESH_MARGIN:
            pair = self.ensure_fresh()
        return {"Authorization": f"Bearer {pair.access_token}"}

    def ensure_fresh(self, *, force: bool = False) -> TokenPair:
        with self._lock, self._file_lock():
            # Another adapter instance (or process) may have refreshed while we waited.
            pair = self.load()
            if pair is None:
                raise AuthError(
                    f"no Sage token is stored for tenant {self.secrets.tenant!r}: {REAUTH}")
            if force and self._pair is not None and pair.refresh_token != self._pair.refresh_token:
                force = False  # someone refreshed for us while we waited
            if force or pair.expires_at - self.clock() < REFRESH_MARGIN:
                pair = self._refresh(pair)
            self._pair = pair
            return pair

    def confirm(self) -> None:
        """The current pair served a successful call: the previous one is no longer needed."""
        if self._unconfirmed:
            self._unconfirmed = False
            self.secrets.delete(PREVIOUS)

    # -- refreshing ---------------------------------------------------------------------------
    def _refresh(self, pair: TokenPair) -> TokenPair:
        try:
            return self._exchange_refresh(pair)
        except AuthError:
            # The current pair was refused. If the server never committed the rotation that
            # produced it, the pair we refreshed from is still good: try it once.
            previous = self._load_previous()
            if previous is None or previous.refresh_token == pair.refresh_token:
                raise
            log.warning("the stored Sage refresh token was refused; trying the previous one")
            return self._exchange_refresh(previous)

    def _exchange_refresh(self, pair: TokenPair) -> TokenPair:
        secret = self.secrets.get("source", env=self.secret_env)
        # Until the answer is stored, `pair` stays under TOKENS: a failed or dropped call loses
        # nothing, and the next run retries with it.
        self.refresh_count += 1
        response = self._http.request(
            "POST", self.token_url, data={
                "grant_type": "refresh_token", "refresh_token": pair.refresh_token,
                "client_id": self.client_id, "client_secret": secret},
            headers={"Accept": "application/json"}, allow=(400, 401))
        check_token_response(response)
        new = TokenPair.from_response(response.json(), self.clock())
        # The server accepted `pair`: it becomes the fallback, then the new pair is stored.
        # At every instant the keyring holds the old pair, and the new one from the second write;
        # the fallback is dropped only by confirm(), once the new pair served a call.
        self.secrets.set(PREVIOUS, pair.to_json())
        self.secrets.set(TOKENS, new.to_json())
        self._unconfirmed = True
        log.info("refreshed the Sage access token for tenant %s", self.secrets.tenant)
        return new

    def _load_previous(self) -> TokenPair | None:
        raw = self.secrets.get(PREVIOUS, required=False)
        return TokenPair.from_json(raw) if raw else None

    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[None]:
        if fcntl is None or self.state_dir is None:
            yield
            return
        path = Path(self.state_dir) / f"sage-token-{self.secrets.tenant}.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a+") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def close(self) -> None:
        self._http.session.close()


def check_token_response(response: requests.Response) -> None:
    """400/401 from the token endpoint: a dead code or refresh token (invalid_grant) or bad app."""
    if response.status_code < 400:
        return
    detail = describe_oauth_error(response)
    if "invalid_grant" in detail:
        raise AuthError("Sage refused the stored authorisation (invalid_grant: expired, revoked "
                        f"or already used): {REAUTH}")
    raise AuthError(f"Sage refused the OAuth request ({detail}); check client_id and the client "
                    f"secret, then {REAUTH}")


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
        check_token_response(response)
        pair = TokenPair.from_response(response.json(), clock())
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
