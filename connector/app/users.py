"""The web cockpit's people: add, list, disable, check a password (argon2id), and where they live.

Users are firm-wide: a firm's users live in the firm's shared state database (firm.toml `state`),
a single company's in its own. The CLI (`relance users`) and the web's first-start page both come
here, so a password is hashed in one place only.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from connector.app.firm import Firm
from connector.config import load_config
from connector.store import users as user_store
from connector.store.store import Store
from connector.store.users import User

LOGIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$")
MIN_PASSWORD = 10
HASHER = PasswordHasher()
# Checked against when the login is unknown, so that a wrong login costs as long as a wrong password
_DUMMY = HASHER.hash("relance-no-such-user")


def users_url(config_path: str | None, firm: str | None) -> str:
    """The state database holding the users: the firm's shared one, or the company's own."""
    if firm is not None:
        directory = Firm(firm).directory
        state = str(Firm(firm).defaults.get("state", "sqlite:///relance.db"))
        prefix = "sqlite:///"
        if state.startswith(prefix) and not state.startswith(prefix + "/"):
            return prefix + str((directory / state[len(prefix):]).resolve())
        return state
    return load_config(Path(config_path or "relance.toml")).state_url


def check_new(login: str, password: str) -> None:
    """Refuse a login or password we would not accept (ValueError, in words a person reads)."""
    if not LOGIN.match(login):
        raise ValueError("login: letters, digits, '.', '_', '@' or '-' (at most 128)")
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"the password needs at least {MIN_PASSWORD} characters")
    if password.strip() != password:
        raise ValueError("the password cannot start or end with a space")


def add(store: Store, login: str, password: str, *, role: str, clients: list[str],
        now: dt.datetime) -> int:
    check_new(login, password)
    if user_store.by_login(store, login) is not None:
        raise ValueError(f"a user {login!r} already exists")
    if role != "admin" and not clients:
        raise ValueError("a collector or reader needs at least one client (--client SLUG)")
    return user_store.add(store, login, HASHER.hash(password), role, clients, now=now)


def authenticate(store: Store, login: str, password: str, *, now: dt.datetime) -> User | None:
    """The user if the password is right and the account enabled; the hash is upgraded when
    argon2's parameters have moved on."""
    user = user_store.by_login(store, login)
    try:
        HASHER.verify(user.password_hash if user else _DUMMY, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or user.disabled:
        return None
    if HASHER.check_needs_rehash(user.password_hash):
        user_store.set_hash(store, user.id, HASHER.hash(password))
    user_store.logged_in(store, user.id, now)
    return user
