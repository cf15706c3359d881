"""Web sessions, kept server-side: the browser holds a random token, the table its sha256 and the
session's CSRF token. Ending a session (logout, user disabled, expiry) is deleting its row."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select

from connector.store import tables as t
from connector.store.store import Store

LIFETIME = dt.timedelta(hours=12)


@dataclass(frozen=True)
class Session:
    user_id: int
    csrf: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(store: Store, user_id: int, *, now: dt.datetime) -> str:
    """A new session for `user_id`; returns the token for the cookie (stored only hashed)."""
    token = secrets.token_urlsafe(32)
    with store.transaction() as conn:
        conn.execute(delete(t.web_sessions).where(t.web_sessions.c.expires_at < now))
        conn.execute(t.web_sessions.insert().values(
            token_hash=_digest(token), user_id=user_id, csrf=secrets.token_urlsafe(32),
            created_at=now, expires_at=now + LIFETIME))
    return token


def find(store: Store, token: str, *, now: dt.datetime) -> Session | None:
    with store.engine.connect() as conn:
        row = conn.execute(select(t.web_sessions).where(
            t.web_sessions.c.token_hash == _digest(token))).mappings().first()
    if row is None:
        return None
    expires = row["expires_at"]
    if expires.tzinfo is None:  # SQLite hands naive UTC back
        expires = expires.replace(tzinfo=dt.UTC)
    if expires <= now:
        return None
    return Session(int(row["user_id"]), str(row["csrf"]))


def close(store: Store, token: str) -> None:
    with store.transaction() as conn:
        conn.execute(delete(t.web_sessions).where(t.web_sessions.c.token_hash == _digest(token)))
