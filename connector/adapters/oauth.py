"""A rotating OAuth2 token pair in the tenant's keyring, for any source that needs one.

Sources with refresh-token rotation (Sage: a 31-day refresh token, replaced at every refresh) lose
access for good if the new token is lost (a crash between the token endpoint's answer and our
write), so the order of writes below matters more than anything else in this module.

Keyring layout (one tenant): `source` = client secret, `source_tokens` = the current pair as JSON,
`source_tokens_previous` = the pair we refreshed *from*, kept until the new pair has served one
successful API call (if the server never committed the rotation, the previous pair still works).
Refreshes are serialised per (tenant, app) in the process and by a file lock between processes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import requests

from connector.errors import AuthError, TransientError
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


@dataclass(frozen=True)
class OAuthApp:
    """Our app at one vendor's token endpoint, and what to tell a person when it fails."""

    vendor: str  # "Sage": named in every message
    client_id: str
    token_url: str
    secret_env: str | None
    reauth: str  # what to do when consent is needed again, e.g. "run `relance auth sage` again"
    refresh_lifetime_days: int | None = None  # None: the refresh token does not age
    warn_days_before: int = 6
    default_expires_in: float = 300.0


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
    def from_response(cls, data: dict[str, Any], now: float, app: OAuthApp) -> TokenPair:
        """Build from a token endpoint answer (without `expires_in`, the app's default)."""
        try:
            access, refresh = str(data["access_token"]), str(data["refresh_token"])
            expires_in = float(data.get("expires_in", app.default_expires_in))
        except (KeyError, TypeError, ValueError):
            raise TransientError(
                f"the {app.vendor} token endpoint answered without a token pair") from None
        remember(access)
        remember(refresh)
        issued = dt.datetime.fromtimestamp(now, dt.UTC).isoformat(timespec="seconds")
        return cls(access, refresh, now + expires_in, issued)


def token_age_warning(tokens: TokenPair | dict[str, Any] | str | None, today: dt.date,
                      app: OAuthApp) -> str | None:
    """A warning when the refresh token nears the end of its life (unless used), else None."""
    if tokens is None:
        return f"no {app.vendor} token is stored: {app.reauth}"
    if isinstance(tokens, str):
        tokens = TokenPair.from_json(tokens)
    issued_raw = tokens.refresh_issued_at if isinstance(tokens, TokenPair) \
        else tokens.get("refresh_issued_at")
    if not issued_raw or app.refresh_lifetime_days is None:
        return None
    issued = dt.datetime.fromisoformat(str(issued_raw)).date()
    age, lifetime = (today - issued).days, app.refresh_lifetime_days
    if age >= lifetime:
        return (f"the {app.vendor} refresh token expired {age - lifetime} day(s) ago: "
                f"{app.reauth}")
    if age >= lifetime - app.warn_days_before:
        return (f"the {app.vendor} refresh token is {age} days old and expires in "
                f"{lifetime - age} day(s) unless used: "
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

    def __init__(self, secrets: SecretStore, app: OAuthApp, *, state_dir: Path | None = None,
                 clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep
                 ) -> None:
        self.secrets, self.app, self.clock = secrets, app, clock
        self.client_id, self.token_url, self.secret_env = app.client_id, app.token_url, \
            app.secret_env
        self.state_dir = state_dir
        self._lock = _tenant_lock(secrets.tenant, app.client_id)
        self._pair: TokenPair | None = None
        self._unconfirmed = False
        # The token endpoint is a POST that rotates server-side: never retried on 5xx (HttpClient
        # retries a POST only when the server cannot have acted).
        self._http = HttpClient(app.token_url, describe_error=describe_oauth_error, sleep=sleep,
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
                raise AuthError(f"no {self.app.vendor} token is stored for tenant "
                                f"{self.secrets.tenant!r}: {self.app.reauth}")
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
            log.warning("the stored %s refresh token was refused; trying the previous one",
                        self.app.vendor)
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
        check_token_response(response, self.app)
        new = TokenPair.from_response(response.json(), self.clock(), self.app)
        # The server accepted `pair`: it becomes the fallback, then the new pair is stored.
        # At every instant the keyring holds the old pair, and the new one from the second write;
        # the fallback is dropped only by confirm(), once the new pair served a call.
        self.secrets.set(PREVIOUS, pair.to_json())
        self.secrets.set(TOKENS, new.to_json())
        self._unconfirmed = True
        log.info("refreshed the %s access token for tenant %s", self.app.vendor,
                 self.secrets.tenant)
        return new

    def _load_previous(self) -> TokenPair | None:
        raw = self.secrets.get(PREVIOUS, required=False)
        return TokenPair.from_json(raw) if raw else None

    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[None]:
        if fcntl is None or self.state_dir is None:
            yield
            return
        name = f"{self.app.vendor.lower()}-token-{self.secrets.tenant}.lock"
        path = Path(self.state_dir) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a+") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def close(self) -> None:
        self._http.session.close()


def check_token_response(response: requests.Response, app: OAuthApp) -> None:
    """400/401 from the token endpoint: a dead code or refresh token (invalid_grant) or bad app."""
    if response.status_code < 400:
        return
    detail = describe_oauth_error(response)
    if "invalid_grant" in detail:
        raise AuthError(f"{app.vendor} refused the stored authorisation (invalid_grant: expired, "
                        f"revoked or already used): {app.reauth}")
    raise AuthError(f"{app.vendor} refused the OAuth request ({detail}); check client_id and the "
                    f"client secret, then {app.reauth}")
