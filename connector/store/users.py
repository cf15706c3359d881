"""The web cockpit's users and the clients each may see. Hashing is the caller's (app/users.py):
this module only stores the hash it is given, never a password."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update

from connector.store import tables as t
from connector.store.store import Store

ROLES = ("admin", "collector", "reader")


@dataclass(frozen=True)
class User:
    id: int
    login: str
    role: str
    disabled: bool
    clients: tuple[str, ...]
    """The tenants granted (an admin sees every client whatever is listed here)."""
    password_hash: str = ""

    def sees(self, tenant: str) -> bool:
        return not self.disabled and (self.role == "admin" or tenant in self.clients)

    def acts_on(self, tenant: str) -> bool:
        return self.sees(tenant) and self.role != "reader"


def count(store: Store) -> int:
    return int(store.scalars(select(func.count()).select_from(t.users))[0])


def add(store: Store, login: str, password_hash: str, role: str, clients: list[str], *,
        now: dt.datetime) -> int:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    with store.transaction() as conn:
        user_id = int(conn.execute(t.users.insert().values(
            login=login, password_hash=password_hash, role=role, disabled=False,
            created_at=now)).inserted_primary_key[0])  # type: ignore[index]
        for tenant in sorted(set(clients)):
            conn.execute(t.user_grants.insert().values(user_id=user_id, tenant=tenant))
    return user_id


def _grants(store: Store) -> dict[int, tuple[str, ...]]:
    found: dict[int, list[str]] = {}
    with store.engine.connect() as conn:
        for user_id, tenant in conn.execute(select(t.user_grants.c.user_id, t.user_grants.c.tenant)
                                            .order_by(t.user_grants.c.tenant)):
            found.setdefault(int(user_id), []).append(str(tenant))
    return {k: tuple(v) for k, v in found.items()}


def listing(store: Store) -> list[User]:
    grants = _grants(store)
    with store.engine.connect() as conn:
        rows = conn.execute(select(t.users).order_by(t.users.c.login)).mappings().all()
    return [User(r["id"], r["login"], r["role"], bool(r["disabled"]), grants.get(r["id"], ()),
                 r["password_hash"]) for r in rows]


def by_login(store: Store, login: str) -> User | None:
    return next((u for u in listing(store) if u.login == login), None)


def by_id(store: Store, user_id: int) -> User | None:
    return next((u for u in listing(store) if u.id == user_id), None)


def set_disabled(store: Store, login: str, disabled: bool = True) -> bool:
    with store.transaction() as conn:
        moved = conn.execute(update(t.users).where(t.users.c.login == login)
                             .values(disabled=disabled))
        user_id = conn.execute(select(t.users.c.id).where(t.users.c.login == login)).scalar()
        if disabled and user_id is not None:  # a disabled user's sessions end now
            conn.execute(delete(t.web_sessions).where(t.web_sessions.c.user_id == user_id))
    return moved.rowcount == 1


def set_hash(store: Store, user_id: int, password_hash: str) -> None:
    with store.transaction() as conn:
        conn.execute(update(t.users).where(t.users.c.id == user_id)
                     .values(password_hash=password_hash))


def logged_in(store: Store, user_id: int, now: dt.datetime) -> None:
    with store.transaction() as conn:
        conn.execute(update(t.users).where(t.users.c.id == user_id).values(last_login_at=now))
