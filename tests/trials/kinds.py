"""More exactly-once trial kinds (issue 15, case 11), each cheap enough for a thousand: tenants run
in this process on a tenant clock that only moves when the trial says so, against servers in this
process (an SMTP relay, the Odoo, Pennylane and Sage fakes), with the HTTP back-off sleeps off.

- refused-login: the relay refuses the password; a payment and a `do_not_dun` while the rows sit
  failed; the password is fixed, `outbox retry`, runs to the end.
- renamed-tenant: the tenant is renamed on the same books; relance must refuse until
  `tenants rename`, then send nothing twice.
- same-hostname: another container with our hostname holds the tenant's lock; we must wait for
  its lease (or take over at once only when the holder is a dead process of this very instance).
- first-start: several starts at once on a new store; all come up, one run at a time.
- pennylane-push / sage-push: writes into the source answered by a reset (lost after the write)
  or refused; the traces are looked up by key before any retry.

Each returns counts: duplicates, lost, paid_in_between, stale (each must be 0) and what was done.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import os
import random
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keyring
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from connector.adapters.pennylane.mapping import appendix_suffix
from connector.adapters.sage.auth import TOKENS
from connector.app.lease import hold
from connector.app.tenant import Tenant, open_tenant
from connector.clock import Clock
from connector.config import load_config
from connector.errors import ConfigError, ConnectorError
from connector.http import HttpClient
from connector.secrets import SERVICE, account
from connector.store import identity, outbox, runs
from connector.store.store import Store
from tests.fakes.pennylane_server import Fault
from tests.trials.harness import DemoSource, free_port
from tests.trials.sources import OdooSource, PennylaneSource, SageSource

DOMAIN = "atelier-dupuis.fr"
PASSWORD_ENV = "TRIAL_SMTP_PW"
Result = dict[str, int]


@dataclass
class Arrival:
    message_id: str
    to: str
    subject: str
    body: str
    at: dt.datetime


@dataclass
class Relay:
    """An aiosmtpd handler with AUTH; stamps each arrival with the trial's tenant clock."""

    moment: list[dt.datetime]
    password: str = "right"
    arrivals: list[Arrival] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str,
                     auth_data: Any) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and auth_data.password.decode() == self.password
        return AuthResult(success=ok, handled=False)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = parsed.get_body(("plain",))
        with self.lock:
            self.arrivals.append(Arrival(str(parsed["Message-ID"]), str(parsed["To"]),
                                         str(parsed["Subject"]),
                                         body.get_content() if body else "", self.moment[0]))
        return "250 OK"


class _NoChecks:
    """The Sage fake's spec checks off: the adapter's tests check the wire; trials count."""

    violations: list[str] = []

    def check_request(self, *_args: Any) -> None:
        return None

    def check_response(self, *_args: Any) -> None:
        return None

    def check_attributes(self, *_args: Any) -> None:
        return None


class World:
    """What a series of trials shares: the relay and the sources' fakes, started once."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.moment = [dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)]
        self.relay = Relay(self.moment)
        self.port = free_port()
        self._controller = Controller(self.relay, hostname="127.0.0.1", port=self.port,
                                      authenticator=self.relay.authenticate,
                                      auth_require_tls=False)
        self._controller.start()
        self._sources: dict[str, Any] = {}

    def source(self, kind: str) -> Any:
        if kind not in self._sources:
            self._sources[kind] = {"odoo": OdooSource, "pennylane": PennylaneSource}.get(
                kind, lambda: SageSource(self.workdir / "keyring.json"))()
            os.environ.update(self._sources[kind].env())
            if kind == "pennylane":  # rate limits and the spec are other tests' business
                self._sources[kind].fake.rate_limit = 10**9
                self._sources[kind].fake.validate = False
            if kind == "sage":
                self._sources[kind].running.fake.checker = _NoChecks()
        return self._sources[kind]

    def faulty(self, share: float, seed: int) -> None:
        """The fault trials: every source's fake answers `share` of all calls with a fault."""
        for kind in ("odoo", "pennylane", "sage"):
            self.source(kind).set_faults(share, seed=seed)
        self.source("sage").running.server.timeout_sleep = 0.05
        self.source("pennylane").fake.fault_delay = 0.05

    def new_day(self) -> None:
        """Each trial starts on a later morning of the tenant clock (09:00 in Paris)."""
        self.moment[0] = (self.moment[0] + dt.timedelta(days=1)).replace(
            hour=8, minute=0, second=0, microsecond=0)

    def now(self, path: Path, today: dt.date) -> dt.datetime:
        """What the tenant's clock reads (moved to the trial's `today`, as `--today` does)."""
        return Clock(load_config(path).timezone, source=lambda: self.moment[0]).on(today).now()

    def stop(self) -> None:
        self._controller.stop()
        for source in self._sources.values():
            source.stop()


# -- helpers --------------------------------------------------------------------------------------
def write_config(world: World, workdir: Path, tenant: str, source_toml: str, *,
                 login: bool = False, extra: str = "") -> Path:
    workdir.mkdir(parents=True, exist_ok=True)
    auth = (f'username = "relance@{DOMAIN}"\nsecret_env = "{PASSWORD_ENV}"\n'
            'allow_plaintext_auth = true\n') if login else ""
    path = workdir / "relance.toml"
    path.write_text(
        f'tenant = "{tenant}"\nstate = "sqlite:///state.db"\n\n{source_toml}\n'
        f'[sender]\nname = "Atelier Dupuis"\nemail = "compta@{DOMAIN}"\n\n'
        f'[email]\ntransport = "smtp"\nhost = "127.0.0.1"\nport = {world.port}\n'
        f'security = "none"\ntimeout = 5\n{auth}{extra}', encoding="utf-8")
    return path


def open_at(world: World, path: Path, today: dt.date) -> Tenant:
    config = load_config(path)
    tenant = open_tenant(config, today=today,
                         clock=Clock(config.timezone, source=lambda: world.moment[0]))
    adapter = tenant.adapter
    for holder in (adapter, getattr(adapter, "client", None)):
        http = getattr(holder, "http", None)
        if isinstance(http, HttpClient):  # the trial's time is the tenant clock: no real waits
            http._sleep = lambda _s: None
            http.budget = None
            http.timeout = (2.0, 2.0)
    return tenant


def run_once(world: World, path: Path, today: dt.date) -> list[dict[str, Any]]:
    """One `relance run` (in this process); returns the tenant's outbox rows afterwards."""
    tenant = open_at(world, path, today)
    try:
        try:
            with hold(tenant.store, tenant.name, clock=tenant.clock) as lease:
                assert lease is not None, "nobody else runs this tenant"
                tenant.run()
        except ConfigError:
            raise  # refused (a renamed tenant): the trial wants to know
        except ConnectorError:
            pass  # a sync that gave up: the next run resumes
        return outbox.rows(tenant.store, tenant.name, limit=10_000)
    finally:
        tenant.close()
        tenant.store.close()


def run_to_end(world: World, path: Path, today: dt.date, runs_left: int = 6) -> list[Any]:
    rows: list[dict[str, Any]] = []
    for _ in range(runs_left):
        rows = run_once(world, path, today)
        world.moment[0] += dt.timedelta(hours=1)
        if not [r for r in rows if r["status"] in ("planned", "sending")]:
            break
    return rows


def mail_counts(arrivals: list[Arrival], rows: list[dict[str, Any]]) -> Result:
    received = Counter(a.message_id for a in arrivals)
    sent = {f"<{r['key']}@{DOMAIN}>" for r in rows if r["channel"] == "email"
            and r["status"] == "sent"}
    left = sum(1 for r in rows if r["status"] in ("planned", "sending", "failed"))
    return {"duplicates": sum(n - 1 for n in received.values()),
            "lost": len(sent - set(received)) + left, "emails": len(received)}


def small_demo(demo: DemoSource, workdir: Path, rng: random.Random) -> str:
    """A small demo ledger (a few customers, a year of invoices): a trial costs little."""
    return demo.source_toml(workdir) + (f"customers = {rng.randint(3, 8)}\n"
                                        f"invoices = {rng.randint(20, 60)}\n")


def zero() -> Result:
    return {"duplicates": 0, "lost": 0, "paid_in_between": 0, "stale": 0}


# -- the kinds ------------------------------------------------------------------------------------
def refused_login(world: World, workdir: Path, seed: int) -> Result:
    world.new_day()
    rng = random.Random(seed)
    demo = DemoSource(seed=seed)
    tenant_name = f"login{seed}"
    path = write_config(world, workdir, tenant_name, small_demo(demo, workdir, rng), login=True)
    start = len(world.relay.arrivals)
    os.environ[PASSWORD_ENV] = "wrong"  # a typo in the password, or a rotated one
    first = run_once(world, path, demo.today)
    failed = [r for r in first if r["status"] == "failed" and r["channel"] == "email"]
    world.moment[0] += dt.timedelta(minutes=rng.randint(5, 120))
    paid = demo.pay_some(rng, workdir, rng.randint(0, 2))
    paid_at = world.moment[0]
    held: str | None = None
    if failed and rng.random() < 0.5:  # someone sets do_not_dun on a customer while it waits
        held = rng.choice(failed)["customer_id"]
        path.write_text(path.read_text(encoding="utf-8")
                        + f'\n[customers."{held}"]\ndo_not_dun = true\n', encoding="utf-8")
    held_at = world.moment[0]
    world.relay.password = os.environ[PASSWORD_ENV] = "right"  # fixed
    store = Store(load_config(path).state_url)
    outbox.retry_now(store, tenant_name, None,  # `relance outbox retry --all`
                     now=world.now(path, demo.today))
    store.close()
    rows = run_to_end(world, path, demo.today)
    mine = world.relay.arrivals[start:]
    result = {**zero(), **mail_counts(mine, rows), "refused": len(failed)}
    result["paid_in_between"] = sum(1 for a in mine if a.at >= paid_at
                                    and any(number in a.body for number in paid))
    addresses = {r["customer_id"]: r for r in first}
    if held is not None:
        held_to = outbox.payload(addresses[held]).recipients if held in addresses else ()
        result["stale"] = sum(1 for a in mine if a.at >= held_at and any(
            address in a.to for address in held_to))
    return result


def renamed_tenant(world: World, workdir: Path, seed: int) -> Result:
    world.new_day()
    rng = random.Random(seed)
    odoo = world.source("odoo")
    old, new = f"old{seed}", f"new{seed}"
    path = write_config(world, workdir, old, odoo.source_toml(workdir))
    start = len(world.relay.arrivals)
    run_to_end(world, path, odoo.today, runs_left=rng.randint(1, 2))
    text = path.read_text(encoding="utf-8").replace(f'tenant = "{old}"', f'tenant = "{new}"')
    path.write_text(text, encoding="utf-8")  # the client file renamed
    refused = 0
    try:
        run_once(world, path, odoo.today)
    except ConfigError:
        refused = 1  # refused, with the command that moves the history
    store = Store(load_config(path).state_url)
    if refused:
        identity.rename(store, old, new)  # `relance tenants rename OLD NEW`
    store.close()
    rows = run_to_end(world, path, odoo.today)
    mine = world.relay.arrivals[start:]
    result = {**zero(), **mail_counts(mine, rows), "refused": refused}
    same = Counter((a.to, a.subject) for a in mine)  # the same reminder under a new key
    result["duplicates"] += sum(n - 1 for n in same.values())
    result["lost"] += 1 - refused  # a rename that was not refused is a failure too
    return result


def same_hostname(world: World, workdir: Path, seed: int) -> Result:
    """Another container with our hostname (another PID namespace: another instance id) holds
    the lock, under a pid that may or may not exist here."""
    world.new_day()
    rng = random.Random(seed)
    store = Store(f"sqlite:///{workdir / 'locks.db'}")
    now = world.moment[0]
    lease = dt.timedelta(minutes=10)
    tenant = f"host{seed}"
    pid = rng.choice([os.getpid(), 1, 999_999, rng.randint(2, 60_000)])
    theirs = rng.random() < 0.7
    instance = f"{rng.getrandbits(64):016x}" if theirs else runs.INSTANCE
    holder = f"{instance}:{pid}:{rng.randint(1, 10**6)}:{rng.getrandbits(32):08x}"
    assert runs.acquire(store, tenant, holder, now, lease)
    result = zero()
    during = now + dt.timedelta(seconds=rng.uniform(0, lease.total_seconds() - 1))
    with hold(store, tenant, clock=lambda: during, lease=lease) as mine:
        taken = mine is not None
    gone_here = not theirs and runs._dead_here(holder)
    if taken and not gone_here:
        result["duplicates"] = 1  # two holders at once: the overlap the trial hunts
    if gone_here and not taken:
        result["lost"] = 1  # a crashed holder of this very instance blocks for its whole lease
    after = now + lease + dt.timedelta(seconds=1)
    with hold(store, tenant, clock=lambda: after, lease=lease) as later:
        result["lost"] += later is None  # the lease ran out: the tenant must run again
    store.close()
    return result


def first_start(world: World, workdir: Path, seed: int) -> Result:
    """Several starts at once on a new store (a firm's cron jobs, a restarted server)."""
    world.new_day()
    rng = random.Random(seed)
    demo = DemoSource(seed=seed)
    path = write_config(world, workdir, f"first{seed}", small_demo(demo, workdir, rng))
    starters = rng.randint(2, 6)
    barrier = threading.Barrier(starters)
    errors: list[BaseException] = []
    ran = [0]
    start = len(world.relay.arrivals)

    def start_one() -> None:
        try:
            barrier.wait()
            tenant = open_at(world, path, demo.today)
            try:
                with hold(tenant.store, tenant.name, clock=tenant.clock) as lease:
                    if lease is not None:
                        ran[0] += 1
                        tenant.run()
            finally:
                tenant.close()
                tenant.store.close()
        except BaseException as exc:  # noqa: BLE001 - counted below
            errors.append(exc)

    threads = [threading.Thread(target=start_one) for _ in range(starters)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rows = run_to_end(world, path, demo.today)
    mine = world.relay.arrivals[start:]
    result = {**zero(), **mail_counts(mine, rows), "starters": starters}
    result["lost"] += len(errors) + (ran[0] == 0)
    return result


def _stamps_pennylane(fake: Any, keys: set[str]) -> Counter[tuple[str, int]]:
    found: Counter[tuple[str, int]] = Counter()
    for invoice_id, items in fake.appendices.items():
        for item in items:
            name = str(item.get("filename", ""))
            for key in keys:
                if name.endswith(appendix_suffix(key)):
                    found[(key, invoice_id)] += 1
    return found


def _stamps_sage(fake: Any, keys: set[str]) -> Counter[tuple[str, str]]:
    found: Counter[tuple[str, str]] = Counter()
    for record in fake.data.get("attachments", {}).values():
        name = str(record.get("file_name", ""))
        for key in keys:
            if name == f"relance-{key}.pdf":
                found[(key, str(record.get("attachment_context_id")))] += 1
    for contact in fake.data.get("contacts", {}).values():
        for key in keys:
            count = str(contact.get("notes") or "").count(f"[relance:{key}]")
            if count:
                found[(key, "notes:" + str(contact.get("id")))] += count
    return found


def _push_trial(world: World, workdir: Path, seed: int, kind: str,
                script: Callable[[Any, random.Random], None],
                stamps: Callable[[Any, set[str]], Counter[Any]]) -> Result:
    world.new_day()
    rng = random.Random(seed)
    source = world.source(kind)
    tenant_name = f"{kind}{seed}"
    if hasattr(source, "prepare"):  # what `relance auth sage` leaves, in whichever keyring
        source.prepare(tenant_name)  # a child process would use, and in this process's
        keyring.set_password(SERVICE, account(tenant_name, TOKENS),
                             json.dumps(source.running.grant_tokens()))
    toml = source.source_toml(workdir)
    if kind == "sage":
        toml += 'push = ["invoice_attachment", "contact_note"]\n'
    path = write_config(world, workdir, tenant_name, toml)
    start = len(world.relay.arrivals)
    fake = source.fake if kind == "pennylane" else source.running.fake
    script(fake, rng)
    rows = run_to_end(world, path, source.today)
    pushed_keys = {r["key"] for r in rows if r["channel"] == "note"}
    found = stamps(fake, pushed_keys)
    result = {**zero(), **mail_counts(world.relay.arrivals[start:], rows)}
    result["duplicates"] += sum(n - 1 for n in found.values())
    stamped = {key for key, _where in found}
    result["lost"] += sum(1 for r in rows if r["channel"] == "note" and r["status"] == "sent"
                          and r["key"] not in stamped)
    result["pushed"] = len(stamped)
    return result


def pennylane_push(world: World, workdir: Path, seed: int) -> Result:
    def script(fake: Any, rng: random.Random) -> None:
        fake.faults.clear()
        for _ in range(rng.randint(1, 6)):  # uploads whose answer is lost, or refused
            fake.faults.append(Fault(rng.choice(["reset", "reset", "503"]), "POST",
                                     "/customer_invoices/"))
    return _push_trial(world, workdir, seed, "pennylane", script, _stamps_pennylane)


def sage_push(world: World, workdir: Path, seed: int) -> Result:
    def script(fake: Any, rng: random.Random) -> None:
        fake.write_faults = [rng.choice(["reset-after", "reset-after", "503"])
                             for _ in range(rng.randint(1, 6))]
    return _push_trial(world, workdir, seed, "sage", script, _stamps_sage)


KINDS: dict[str, Callable[[World, Path, int], Result]] = {
    "refused-login": refused_login, "renamed-tenant": renamed_tenant,
    "same-hostname": same_hostname, "first-start": first_start,
    "pennylane-push": pennylane_push, "sage-push": sage_push,
}
