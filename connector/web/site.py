"""What one `relance web` serves: its clients (a company, or a firm's clients), the users' store,
and how a request opens a client's tenant. Read once at start; a firm's clients are re-read on
each portfolio view, so a client added to the firm directory shows up without a restart."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from connector.app.firm import Firm
from connector.app.tenant import Tenant, open_tenant
from connector.clock import MACHINE, Now
from connector.config import Config, load_config
from connector.errors import ConfigError
from connector.store.store import Store

METRICS_TOKEN_ENV = "RELANCE_METRICS_TOKEN"


@dataclass
class Site:
    users: Store
    configs: dict[str, Config]
    """Client slug (= tenant) → its configuration."""
    errors: dict[str, str] = field(default_factory=dict)
    """Clients whose file does not load, with why (shown on the portfolio)."""
    firm: Firm | None = None
    today: dt.date | None = None
    clock: Now = MACHINE
    """The moment for sessions and throttling (tests freeze it)."""
    secure: bool = False
    """Cookies are Secure even when the request did not come over TLS (a TLS proxy we do not
    trust for X-Forwarded-Proto)."""
    setup_token: str | None = None
    metrics_token: str | None = None
    """The bearer token monitoring sends to read /metrics (RELANCE_METRICS_TOKEN); None: /metrics
    is off."""
    """While no user exists: the one-time token that lets the first admin be created."""
    _stores: dict[str, Store] = field(default_factory=dict)

    def store_for(self, config: Config) -> Store:
        url = config.state_url
        if url == self.users.url:
            return self.users
        if url not in self._stores:
            self._stores[url] = Store(url)
        return self._stores[url]

    def tenant(self, slug: str) -> Tenant:
        config = self.configs[slug]
        return open_tenant(config, today=self.today, store=self.store_for(config))

    def language(self, slug: str | None = None) -> str:
        if slug in self.configs:
            return self.configs[slug].language
        first = next(iter(self.configs.values()), None)
        return first.language if first else "fr"

    def reload(self) -> None:
        if self.firm is None:
            return
        configs: dict[str, Config] = {}
        errors: dict[str, str] = {}
        for slug, loaded in self.firm.clients():
            if isinstance(loaded, ConfigError):
                errors[slug] = str(loaded)
            else:
                configs[slug] = loaded.config
        self.configs, self.errors = configs, errors

    def first_start(self) -> str | None:
        """When nobody can log in yet: a fresh one-time token for /setup (else None)."""
        from connector.store import users as user_store
        if user_store.count(self.users) == 0:
            self.setup_token = secrets.token_urlsafe(24)
        return self.setup_token

    def close(self) -> None:
        for store in self._stores.values():
            store.close()
        self.users.close()


def open_site(config_path: str | None, firm_dir: str | None, *, today: dt.date | None = None,
              secure: bool = False, clock: Now = MACHINE) -> Site:
    from connector.app.users import users_url
    users = Store(users_url(config_path, firm_dir))
    token = os.environ.get(METRICS_TOKEN_ENV) or None
    if firm_dir is not None:
        site = Site(users, {}, firm=Firm(firm_dir), today=today, secure=secure, clock=clock,
                    metrics_token=token)
        site.reload()
        return site
    config = load_config(Path(config_path or "relance.toml"))
    return Site(users, {config.tenant: config}, today=today, secure=secure, clock=clock,
                metrics_token=token)
