"""Plans and messages on a fixed ledger are the same, byte for byte, as the golden files say.

The golden files were written from `main` before the plan and enqueue were made faster (issue 18),
so any change to what is planned (the reminder keys) or to what a customer reads (subject, text,
HTML, attachments) shows here. Three runs a week or more apart take the ladder up to the levels that
attach a statement of account, through the real path: plan → outbox → freshness gate → channel.

Rewrite them only on purpose: `RELANCE_WRITE_GOLDEN=1 pytest tests/delivery/test_golden_messages.py`.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import hashlib
import json
import os
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from connector.app.tenant import open_tenant
from connector.clock import Clock
from connector.commands.context import EXAMPLE
from connector.config import load_config
from connector.store import tables as t

GOLDEN = Path(__file__).resolve().parent.parent / "fixtures" / "golden"
DAYS = (dt.date(2026, 11, 27), dt.date(2026, 12, 4), dt.date(2026, 12, 14))


def _config(directory: Path) -> Path:
    text = EXAMPLE.read_text(encoding="utf-8")
    for old, new in (('tenant = "ma-societe"', 'tenant = "golden"'),
                     ("seed = 42 ", "customers = 40\ninvoices = 500\nseed = 42 "),
                     ('onboarding = "gentle"', 'onboarding = "resume"')):
        assert old in text, old
        text = text.replace(old, new, 1)
    path = directory / "relance.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _email(path: Path) -> dict[str, Any]:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    parts: dict[str, Any] = {"subject": message["Subject"], "to": message["To"],
                             "cc": message["Cc"], "attachments": []}
    for part in message.walk():
        if part.is_multipart():
            continue
        name = part.get_filename()
        content = part.get_content()
        if name:
            data = content if isinstance(content, bytes) else content.encode()
            parts["attachments"].append([name, hashlib.sha256(data).hexdigest()])
        else:
            parts[part.get_content_type()] = content
    return parts


def _runs(directory: Path) -> dict[str, Any]:
    config = load_config(_config(directory))
    outbox_dir = config.outbox_dir
    result: dict[str, Any] = {}
    for number, day in enumerate(DAYS):
        moment = dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC)
        tenant = open_tenant(config, clock=Clock.frozen(moment, config.timezone))
        try:
            before = set(outbox_dir.glob("*.eml")) if outbox_dir.exists() else set()
            run = tenant.run(do_sync=number == 0)
            with tenant.store.engine.connect() as conn:
                tasks = sorted(conn.execute(select(t.tasks.c.customer_id, t.tasks.c.title)
                                            .where(t.tasks.c.tenant == "golden")).all())
        finally:
            tenant.close()
            tenant.store.close()
        emails = {p.stem: _email(p) for p in sorted(set(outbox_dir.glob("*.eml")) - before)}
        result[day.isoformat()] = {
            "plan": [[i.key, i.customer_id, i.level, i.channel,
                      [f"{x.item_id}@{x.level}" for x in i.items]] for i in run.planned],
            "emails": emails,
            "tasks": [list(row) for row in tasks],
        }
    return result


def test_plans_and_messages_match_the_golden_files(tmp_path: Path) -> None:
    got = _runs(tmp_path)
    path = GOLDEN / "demo-40-500.json"
    if os.environ.get("RELANCE_WRITE_GOLDEN"):
        GOLDEN.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(got, indent=1, ensure_ascii=False, sort_keys=True) + "\n",
                        encoding="utf-8")
    want = json.loads(path.read_text(encoding="utf-8"))
    assert sum(len(day["emails"]) for day in want.values()) > 20  # the file is not empty
    for day, expected in want.items():
        assert got[day]["plan"] == expected["plan"], day
        assert got[day]["tasks"] == expected["tasks"], day
        assert sorted(got[day]["emails"]) == sorted(expected["emails"]), day
        for key, message in expected["emails"].items():
            assert got[day]["emails"][key] == message, (day, key)


@pytest.mark.parametrize("size", [1])
def test_the_golden_ledger_reaches_the_statement_levels(size: int) -> None:
    """The fixed ledger is worth its name: statements of account are attached somewhere."""
    want = json.loads((GOLDEN / "demo-40-500.json").read_text(encoding="utf-8"))
    names = [name for day in want.values() for m in day["emails"].values()
             for name, _hash in m["attachments"]]
    assert len(names) >= size and any(n.startswith("releve-de-compte") for n in names)
