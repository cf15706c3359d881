"""Exactly-once trials for what SIGKILL does not cover (issue 15): answers lost after writes,
relays that misbehave after DATA, payments and address changes while a slow relay sends.

One randomized trial: a fake Odoo whose writes (notes, activities) are answered with resets and
late answers, an SMTP relay whose every message is answered at random (250, a 250 later than our
timeout, a reset after the final dot, a 421 to QUIT, a 451 refusal), 2 s per message on the
tenant's clock, a customer paying during the send and another whose address is corrected. Runs
repeat, hours apart, until nothing is left to do. Counted at the destinations themselves.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import logging
import os
import random
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from connector.app.tenant import open_tenant
from connector.clock import Clock
from connector.config import load_config
from connector.delivery.gate import MAX_AGE
from connector.store import outbox
from tests.fakes.odoo_server import API_KEY
from tests.trials.harness import free_port
from tests.trials.sources import OdooSource

log = logging.getLogger(__name__)
MODES = ("ok", "ok", "ok", "slow-250", "reset-after-dot", "quit-421", "refuse-451")
WRITES = ("message_post", "create")


@dataclass
class Arrival:
    message_id: str
    to: str
    body: str
    at: dt.datetime


@dataclass
class OddRelay:
    """aiosmtpd handler: each message costs 2 s of the tenant's clock and gets a random answer."""

    rng: random.Random
    moment: list[dt.datetime]
    arrivals: list[Arrival] = field(default_factory=list)
    during: dict[int, Any] = field(default_factory=dict)
    _mode: str = "ok"
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            self._mode = mode = self.rng.choice(MODES)
            self.moment[0] += dt.timedelta(seconds=2)
            if mode == "refuse-451":
                return "451 4.3.0 try again later"
            parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
            body = parsed.get_body(("plain",))
            self.arrivals.append(Arrival(str(parsed["Message-ID"]), str(parsed["To"]),
                                         body.get_content() if body else "", self.moment[0]))
            action = self.during.pop(len(self.arrivals), None)
        if action is not None:
            action()
        if mode == "slow-250":
            await asyncio.sleep(0.5)
        if mode == "reset-after-dot":
            server.transport.abort()
        return "250 OK"

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        return "421 closing" if self._mode == "quit-421" else "221 Bye"


def exactly_once_trial(workdir: Path, seed: int, *, runs: int = 6) -> dict[str, int]:
    rng = random.Random(seed)
    source = OdooSource(seed=seed)
    fake = source.fake
    fake.timeout_delay = 0.4
    fake.chaos(0.3, kinds=("reset-after", "timeout", "reset", "503"), seed=seed)
    moment = [dt.datetime.combine(source.today, dt.time(9, 0), tzinfo=dt.UTC)]
    relay = OddRelay(rng, moment)
    port = free_port()
    controller = Controller(relay, hostname="127.0.0.1", port=port)
    controller.start()
    events: dict[str, Any] = {}
    try:
        workdir.mkdir(parents=True, exist_ok=True)
        path = workdir / "relance.toml"
        path.write_text(
            'tenant = "once"\nstate = "sqlite:///state.db"\n\n' + source.source_toml(workdir)
            + '\n[sender]\nname = "Atelier Dupuis"\nemail = "compta@atelier-dupuis.fr"\n\n'
            f'[email]\ntransport = "smtp"\nhost = "127.0.0.1"\nport = {port}\n'
            'security = "none"\ntimeout = 0.25\n', encoding="utf-8")
        os.environ["ODOO_KEY"] = API_KEY
        config = load_config(path)

        def pay() -> None:
            with fake.lock:
                events["paid"] = source.pay_some(rng, workdir, 1)
            events["paid_at"] = moment[0]

        def correct_address() -> None:
            with fake.lock:
                partners = [p for p in fake.data.tables["res.partner"].values()
                            if str(p.get("name", "")).startswith("Client Odoo")
                            and p.get("email")]
                partner = rng.choice(partners)
                events["old_address"] = partner["email"]
                fake.data.write("res.partner", partner["id"], email=f"new-{partner['email']}")
            events["corrected_at"] = moment[0]

        relay.during = {rng.randint(1, 3): pay}
        for number in range(runs):
            tenant = open_tenant(config, today=source.today,
                                 clock=Clock(config.timezone, source=lambda: moment[0]))
            tenant.adapter.http._sleep = lambda s: None  # type: ignore[attr-defined]
            tenant.adapter.http.timeout = (2.0, 0.25)  # type: ignore[attr-defined]
            try:
                tenant.run()
            except Exception as exc:  # noqa: BLE001 - a sync that gave up: the next run resumes
                log.info("run %d of the trial stopped: %s", number, exc)
            if number == 0:
                correct_address()
                fake.data.now = None
            rows = outbox.rows(tenant.store, tenant.name, limit=10_000)
            tenant.close()
            tenant.store.close()
            moment[0] += dt.timedelta(hours=3)
            if number >= 1 and not [r for r in rows if r["status"] in ("planned", "sending")]:
                break
        fake.chaos(0.0)
        return count(fake, relay, rows, events)
    finally:
        controller.stop()
        source.stop()


def count(fake: Any, relay: OddRelay, rows: list[dict[str, Any]],
          events: dict[str, Any]) -> dict[str, int]:
    stamps: Counter[tuple[str, Any]] = Counter()  # per stamp and invoice (a note per invoice)
    for table in ("mail.message", "mail.activity"):
        for record in fake.data.tables[table].values():
            text = f"{record.get('body') or ''} {record.get('note') or ''}"
            if "[relance:" in text:  # the object's own stamp ends it (a note quotes its email's)
                stamps[(text.rsplit("[relance:", 1)[1].split("]", 1)[0],
                        record.get("res_id"))] += 1
    received = Counter(a.message_id for a in relay.arrivals)
    duplicates = sum(n - 1 for n in stamps.values()) + sum(n - 1 for n in received.values())
    stamped = {stamp for stamp, _ in stamps}
    lost = 0
    for row in rows:
        if row["status"] != "sent":
            continue
        if row["channel"] == "email":
            lost += f"<{row['key']}@atelier-dupuis.fr>" not in received
        elif row["channel"] == "note" or row["channel"] == "task":
            lost += row["key"] not in stamped
    paid_in_between = sum(
        1 for a in relay.arrivals if "paid_at" in events and a.at > events["paid_at"] + MAX_AGE
        and any(number in a.body for number in events.get("paid", [])))
    stale = sum(1 for a in relay.arrivals if "corrected_at" in events
                and a.at > events["corrected_at"] and a.to == events["old_address"])
    statuses = Counter(r["status"] for r in rows)
    return {"duplicates": duplicates, "lost": lost, "paid_in_between": paid_in_between,
            "stale": stale, "emails": len(received), "pushed": len(stamps),
            "uncertain": statuses.get("uncertain", 0),
            "pending": statuses.get("planned", 0) + statuses.get("sending", 0)}
