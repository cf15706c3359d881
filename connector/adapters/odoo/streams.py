"""Odoo 16/17/18 over XML-RPC, 19+ over JSON-2: customers, invoices and credit notes in, notes and
activities out.

Vendor docs: https://www.odoo.com/documentation/17.0/developer/reference/external_api.html
(19+ deprecates XML-RPC for JSON-2: client.py picks the transport from `version()`.)

Modules: client (XML-RPC over connector.http, fault table), mapping (field maps per version,
records), push (notes, activities, messages). Reads are idempotent and retried by http.py;
writes (create, message_post) are not, and are never resent on a guess.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from datetime import timedelta
from typing import Any, ClassVar

from pydantic import Field, field_validator

from connector.adapters.base import (
    AdapterContext,
    BaseAdapter,
    Capabilities,
    Cursor,
    Page,
    Rejected,
    SourceConfig,
    SourceInfo,
    map_records,
)
from connector.adapters.odoo import groups as og
from connector.adapters.odoo import mapping as om
from connector.adapters.odoo.client import OdooRpc, describe_http, fault_code
from connector.adapters.odoo.push import OdooPushMixin
from connector.adapters.rest import with_last
from connector.errors import AuthError, ConfigError, PermanentError
from connector.http import HttpClient
from connector.models import Customer, Invoice

log = logging.getLogger(__name__)
Rows = list[dict[str, Any]]
MOVE = "account.move"
PARTNER = "res.partner"
# need -> the rights it takes, probed by `check` (what the configured channels need is an error,
# the rest a warning). A Billing user has them all; none needs an administrator.
NEEDS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "read": ((MOVE, "read", "read invoices"), (PARTNER, "read", "read contacts")),
    "notes": (("mail.message", "create", "post notes on invoices"),),
    "tasks": (("mail.activity", "create", "create activities"),
              (MOVE, "write", "activities need write on invoices"),
              ("mail.activity.type", "read", "read activity types")),
    "send_via_source": (("mail.message", "create", "send messages from invoices"),
                        (PARTNER, "read", "find the customer's contacts")),
}


class OdooConfig(SourceConfig):
    kind: str = "odoo"
    url: str
    database: str = Field(min_length=1)
    username: str = Field(min_length=1)
    company_ids: list[int] | None = None
    activity_user: int | str | None = None
    """Login or id of the user who gets an activity when the customer (and the invoice) has no
    salesperson; activities never go to the bot user silently."""
    page_size: int = Field(default=500, ge=1, le=5000)
    lookback_seconds: int = Field(default=300, ge=0, le=86_400)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("the Odoo URL must start with https:// (or http://)")
        return value.rstrip("/")


class OdooAdapter(OdooPushMixin, BaseAdapter):
    kind: ClassVar[str] = "odoo"
    config_model: ClassVar[type[SourceConfig]] = OdooConfig
    capabilities: Capabilities = Capabilities(notes=True, tasks=True, send_via_source=True,
                                              pdf=True)

    def __init__(self, config: OdooConfig, context: AdapterContext) -> None:
        super().__init__(config, context)
        self.config: OdooConfig = config
        self.http = HttpClient(config.url, sleep=context.sleep, describe_error=describe_http)
        self.rpc = OdooRpc(self.http, config.database, config.username)
        self.uid: int | None = None
        self.profile: om.VersionProfile | None = None
        self.server_version: str | None = None
        self._serie = 0
        self._api_key: str | None = None
        self._ids: dict[str, int] = {}

    # -- session ---------------------------------------------------------------------------
    @property
    def _key(self) -> str:
        """Read once, lazily: building an adapter must not need the secret (nor a keyring)."""
        if self._api_key is None:
            self._api_key = self.context.secrets.get("source", env=self.config.secret_env)
        assert self._api_key is not None
        return self._api_key

    def _connect(self) -> om.VersionProfile:
        """version() then authenticate(), once per adapter; Odoo checks the key on every call."""
        if self.profile is not None and self.uid is not None:
            return self.profile
        info = self.rpc.call("common", "version", ())
        serie = om.parse_serie(info.get("server_serie") or info.get("server_version", ""))
        self.server_version = str(info.get("server_version", serie))
        if serie < om.OLDEST:
            raise ConfigError(
                f"{self.config.url} runs Odoo {self.server_version}; relance supports Odoo "
                f"{om.OLDEST}.0 to {om.NEWEST}.0 (upgrade Odoo, or export a FEC file instead)",
                key="source.url")
        profile = om.PROFILES[min(serie, om.NEWEST)]
        try:
            uid = self.rpc.call("common", "authenticate",
                                (self.config.database, self.config.username, self._key, {}))
        except PermanentError as exc:  # fault 1: most often a database that does not exist
            raise ConfigError(f"Odoo at {self.config.url} could not open database "
                              f"{self.config.database!r}: {exc}", key="source.database") from None
        if not uid:
            raise AuthError(
                f"Odoo refused the API key for user {self.config.username} on database "
                f"{self.config.database} at {self.config.url}; check the login and database, or "
                "create a new key in Odoo: Preferences → Account Security → New API Key")
        self.uid, self.profile = int(uid), profile
        self._serie = serie
        return profile

    def _execute(self, model: str, method: str, args: list[Any],
                 kwargs: Mapping[str, Any] | None = None, *, write: bool = False) -> Any:
        self._connect()
        params = (self.config.database, self.uid, self._key, model, method, args,
                  dict(kwargs or {}))
        return self.rpc.call("object", "execute_kw", params, idempotent=not write,
                             what=f"{model}.{method}")

    def _context(self, **extra: Any) -> dict[str, Any]:
        context: dict[str, Any] = dict(extra)
        if self.config.company_ids:
            # Without it, reads span every company of the bot user (env.companies).
            context.setdefault("allowed_company_ids", list(self.config.company_ids))
        return context

    # -- check -----------------------------------------------------------------------------
    def check(self) -> SourceInfo:
        profile = self._connect()
        missing: list[str] = []
        warnings: list[str] = []
        if self._serie > om.NEWEST and self.rpc.transport == "XML-RPC":
            warnings.append(f"Odoo {self.server_version} deprecates XML-RPC; it still works, "
                            "read as Odoo 18")
        rights = self._rights(profile)
        missing = list(dict.fromkeys(r for need in rights.values() for r in need))
        if not rights.get("tasks"):
            warnings += self._task_warnings()
            if self.config.activity_user in (None, "salesperson"):
                warnings.append("no source.activity_user: a task for a customer without a "
                                "salesperson will fail rather than go to the bot user")
        try:
            followup = self._execute("ir.module.module", "search_count",
                                     [[["name", "=", "account_followup"],
                                       ["state", "=", "installed"]]])
        except AuthError:
            warnings.append("could not check whether Odoo follow-ups (account_followup) are "
                            "installed: the user cannot read ir.module.module")
        else:
            if followup:
                warnings.append("Odoo Enterprise follow-ups (account_followup) are installed: "
                                "customers would be chased twice; turn one of them off")
        return SourceInfo(kind=self.kind, url=self.config.url, version=self.server_version,
                          user=f"{self.config.username} (uid {self.uid}) on "
                               f"{self.config.database}",
                          missing_rights=missing, rights=rights, warnings=warnings)

    def _rights(self, profile: om.VersionProfile) -> dict[str, list[str]]:
        """Each need's missing rights, probed once each: what the rights of a Billing user
        (Invoicing / Billing) cover, nothing that needs an administrator."""
        found: dict[tuple[str, str], bool] = {}
        rights: dict[str, list[str]] = {}
        for need, probes in NEEDS.items():
            for model, operation, label in probes:
                if (model, operation) not in found:
                    found[model, operation] = self._can(profile, model, operation)
                if not found[model, operation]:
                    rights.setdefault(need, []).append(f"{model}: {operation} ({label})")
        return rights

    def _can(self, profile: om.VersionProfile, model: str, operation: str) -> bool:
        if operation != "read":
            return self._has_access(profile, model, operation)
        try:  # a search also meets the record rules (multi-company, own documents)
            self._execute(model, "search", [[]], {"limit": 1})
        except AuthError:
            return False
        return True

    def _task_warnings(self) -> list[str]:
        warnings: list[str] = []
        for kind in ("call", "todo"):
            try:
                self._activity_type(kind)
            except PermanentError as exc:
                warnings.append(str(exc))
        return warnings

    def _has_access(self, profile: om.VersionProfile, model: str, operation: str) -> bool:
        if profile.access_method == "has_access":
            args: list[Any] = [[], operation]
            kwargs: dict[str, Any] = {}
        else:
            args, kwargs = [operation], {"raise_exception": False}
        try:
            return bool(self._execute(model, profile.access_method, args, kwargs))
        except AuthError:
            return False

    # -- incremental scans -----------------------------------------------------------------
    def _scan(self, model: str, domain: list[Any], fields: list[str], since: Cursor | None,
              context: dict[str, Any]) -> Iterator[tuple[Rows, list[Rejected], dict[str, Any]]]:
        """Pages of raw rows in write_date order, with the checkpoint valid after each page.

        - The lower bound is inclusive and moved back by `lookback_seconds`: Odoo stamps
          write_date with the *start* of the transaction, so a transaction that commits after
          our read carries a write_date older than rows we already saw.
        - Pages are cut by keyset, not offset, so rows that change while we page cannot shift
          others out of sight. Odoo keeps write_date to the microsecond but sends it truncated
          to the second, and orders by the full value: rows of one displayed second come in
          microsecond order, not id order (recorded: ids 4, 5, 2, 3 all at 19:14:20). So the
          keyset is "a later second, or this second and an id not yet seen" — comparing
          (write_date, id) as sent would loop on, or skip, rows sharing a second.
        """
        if "write_date" not in fields:
            fields = [*fields, "write_date"]
        start = (since or {}).get("write_date")
        bound = self._since(since)
        checkpoint = {"write_date": start or None, "id": int((since or {}).get("id", 0))}
        second: str | None = None  # the displayed second of the last row read
        seen: set[int] = set()  # ids already read in that second
        while True:
            keyset: list[Any] = []
            if second is not None:
                keyset = ["|", ["write_date", ">=", om.next_second(second)],
                          "&", ["write_date", ">=", second], ["id", "not in", sorted(seen)]]
            rows, rejected, scanned = self._search_read_robust(model, domain + bound + keyset,
                                                               fields, context)
            if scanned:
                last = scanned[-1][0]
                here = {row_id for stamp, row_id in scanned if stamp == last}
                seen = seen | here if last == second else here
                second = last
                checkpoint = {"write_date": last, "id": scanned[-1][1]}
            yield rows, rejected, dict(checkpoint)
            if len(scanned) < self.config.page_size:
                return

    def _search_read_robust(self, model: str, domain: list[Any], fields: list[str],
                            context: dict[str, Any]
                            ) -> tuple[Rows, list[Rejected], list[tuple[str, int]]]:
        """One page: rows, rejected ones, and (write_date, id) of every row in server order."""
        options = {"order": "write_date asc, id asc", "limit": self.config.page_size,
                   "context": context}
        try:
            rows = self._execute(model, "search_read", [domain], {"fields": fields, **options})
            return rows, [], [(r["write_date"], r["id"]) for r in rows]
        except PermanentError as exc:
            if fault_code(exc) not in (1, 2):
                raise
            # One broken record (a failing computed field, a bad translation) fails the whole
            # read: list the page by stored columns only, and read around the broken record.
            log.warning("reading %s failed (%s); reading the page in parts", model, exc)
        keys = self._execute(model, "search_read", [domain], {"fields": ["write_date"],
                                                              **options})
        order = {k["id"]: n for n, k in enumerate(keys)}
        rows, rejected = self._read_robust(model, list(order), fields, context)
        rows.sort(key=lambda r: order[r["id"]])
        return rows, rejected, [(k["write_date"], k["id"]) for k in keys]

    def _read_robust(self, model: str, ids: list[int], fields: list[str],
                     context: dict[str, Any]) -> tuple[list[dict[str, Any]], list[Rejected]]:
        """`read`, splitting the batch in halves around records that Odoo cannot read."""
        if not ids:
            return [], []
        try:
            return self._execute(model, "read", [ids], {"fields": fields,
                                                        "context": context}), []
        except PermanentError as exc:
            if fault_code(exc) not in (1, 2):
                raise
            if len(ids) == 1:
                log.warning("skipped %s %s: %s", model, ids[0], exc)
                return [], [Rejected(str(ids[0]), str(exc)[:500])]
        half = len(ids) // 2
        left, left_rejected = self._read_robust(model, ids[:half], fields, context)
        right, right_rejected = self._read_robust(model, ids[half:], fields, context)
        return left + right, left_rejected + right_rejected

    # -- invoices --------------------------------------------------------------------------
    def _invoice_domain(self) -> list[Any]:
        # Posted moves, plus those posted once and then reset to draft or cancelled: those
        # must reach the store (as cancelled) or we would go on chasing them.
        domain: list[Any] = [["move_type", "in", ["out_invoice", "out_refund"]],
                             "|", ["state", "=", "posted"], ["posted_before", "=", True]]
        if self.config.company_ids:
            domain.append(["company_id", "in", list(self.config.company_ids)])
        return domain

    def invoices(self, since: Cursor | None) -> Iterator[Page[Invoice]]:
        pages = self._scan(MOVE, self._invoice_domain(), om.INVOICE_FIELDS, since,
                           self._context())
        for (rows, rejected, checkpoint), last in with_last(pages):
            records, bad = self._map_invoices(rows)
            yield Page(records, checkpoint, rejected=rejected + bad,
                       full_scan_complete=last and since is None)

    def _map_invoices(self, rows: list[dict[str, Any]]) -> tuple[list[Invoice], list[Rejected]]:
        lines = self._instalment_lines([r["id"] for r in rows if r.get("invoice_payment_term_id")
                                        and r["state"] == "posted"])

        def mapper(raw: dict[str, Any]) -> Invoice:
            invoice = om.map_invoice(raw, lines.get(raw["id"]))
            if raw["state"] != "posted":  # reset to draft or cancelled after posting
                invoice = Invoice.model_validate({**invoice.model_dump(), "status": "cancelled",
                                                  "residual": 0, "instalments": ()})
            return invoice

        return map_records(rows, mapper, lambda raw: raw.get("id"))

    def _instalment_lines(self, move_ids: list[int]) -> dict[int, list[Any]]:
        """The receivable lines of a whole page of invoices, in one call."""
        if not move_ids:
            return {}
        lines = self._execute("account.move.line", "search_read", [[
            ["move_id", "in", move_ids], ["display_type", "=", "payment_term"]]], {
            "fields": om.INSTALMENT_FIELDS, "order": "date_maturity asc, id asc",
            "context": self._context()})
        return om.group_lines(lines)

    def refresh(self, invoice_ids: list[str]) -> list[Invoice]:
        ids = [int(i) for i in invoice_ids if str(i).isdigit()]
        if not ids:
            return []
        # `read` silently leaves out ids that no longer exist.
        rows, _ = self._read_robust(MOVE, ids, om.INVOICE_FIELDS, self._context())
        rows = [r for r in rows if r["move_type"] in ("out_invoice", "out_refund")]
        return self._map_invoices(rows)[0]

    # -- customers -------------------------------------------------------------------------
    def customers(self, since: Cursor | None) -> Iterator[Page[Customer]]:
        """Invoiced commercial partners with their billing contacts, in two passes.

        1. Partners by write_date: customers themselves AND billing contacts, because a changed
           billing e-mail only touches the child's write_date.
        2. (incremental runs) Partners of invoices changed since the last run: posting the first
           invoice of a partner raises its customer_rank with raw SQL, which leaves the
           partner's write_date alone, so pass 1 would never see a new customer. One grouped
           read of those moves by commercial partner (groups.py), whatever their number.
        The cursor keeps one (write_date, id) mark per pass. A full scan meets every billing
        contact on its way and reads nothing more (`_Gathered`); an increment reads the contacts
        of the customers that changed, with those not on the page, in one call per page.
        """
        domain: list[Any] = [
            "|",
            "&", ["customer_rank", ">", 0],
            "|", ["is_company", "=", True], ["parent_id", "=", False],
            "&", ["type", "=", "invoice"], ["parent_id", "!=", False]]
        if self.config.company_ids:
            domain += ["|", ["company_id", "=", False],
                       ["company_id", "in", list(self.config.company_ids)]]
        context = self._context(active_test=False)  # archived customers may still owe money
        self._connect()
        fields = [*(self.profile.partner_fields if self.profile else om.PARTNER_FIELDS),
                  "commercial_partner_id", "active"]
        seen: dict[int, str] = {}  # customer id → newest write_date already yielded this run
        moves_since = (since or {}).get("invoices")
        # Without a mark, take it before reading partners: what is posted later is caught next run.
        mark = moves_since or self._latest_move()
        checkpoint: dict[str, Any] = {}
        pages = with_last(self._scan(PARTNER, domain, fields, since, context))
        if since is None:
            # A full scan meets every billing contact: gathered as they come, no read per page.
            gathered = _Gathered()
            for (rows, rejected, position), last in pages:
                records, bad = gathered.page(rows, seen)
                checkpoint = {**position, "invoices": mark}
                yield Page(records, checkpoint, rejected=rejected + bad,
                           full_scan_complete=last)
            return
        for (rows, rejected, position), last in pages:
            targets = self._targets(rows, seen)
            known = {r["id"]: r for r in rows if om.is_customer(r)}
            records, bad = self._customers_by_id(targets, known, seen, context, fields)
            checkpoint = {**position, "invoices": mark}
            yield Page(records, checkpoint, rejected=rejected + bad)
        if moves_since is None:
            return  # a first increment after an old full scan: partners only
        partners, newest = self._partners_of_moves(moves_since)
        targets = [i for i in partners if i not in seen]
        records, bad = self._customers_by_id(targets, {}, seen, context, fields)
        yield Page(records, {**checkpoint, "invoices": newest}, rejected=bad)

    def _partners_of_moves(self, since: Cursor) -> tuple[list[int], dict[str, Any]]:
        """The commercial partners of the moves changed since `since`, and the mark for the
        next run: one grouped read (groups.py), whatever the number of moves. A server that
        refuses it (a build whose grouped read takes other arguments) has the moves listed
        page by page instead, as before."""
        domain = self._invoice_domain() + self._since(since)
        method, args, kwargs = og.call(self._serie, domain)
        try:
            found = self._execute(MOVE, method, args, {**kwargs, "context": self._context()})
        except PermanentError as exc:
            if fault_code(exc) not in (1, 2):
                raise
            log.warning("Odoo refused %s on %s (%s); listing the changed moves instead",
                        method, MOVE, exc)
            return self._partners_scanned(since)
        if not found:
            return [], dict(since)
        partners, stamp = og.partners(self._serie, found)
        mark = {"write_date": stamp, "id": 0} if stamp else self._latest_move()
        if since.get("write_date") and (mark["write_date"] or "") < since["write_date"]:
            mark = dict(since)  # only moves inside the look-back changed: the mark stays
        return partners, mark

    def _partners_scanned(self, since: Cursor) -> tuple[list[int], dict[str, Any]]:
        partners: set[int] = set()
        mark: dict[str, Any] = dict(since)
        for rows, _, position in self._scan(MOVE, self._invoice_domain(),
                                            ["commercial_partner_id"], since, self._context()):
            partners |= {om.m2o_id(r["commercial_partner_id"]) or 0 for r in rows} - {0}
            mark = position
        return sorted(partners), mark

    def _since(self, since: Cursor | None) -> list[Any]:
        """The inclusive lower bound of a scan from `since`, moved back by the look-back (see
        `_scan`)."""
        start = (since or {}).get("write_date")
        if not start:
            return []
        lowered = om.parse_datetime(start)
        assert lowered is not None
        return [["write_date", ">=", om.format_datetime(
            lowered - timedelta(seconds=self.config.lookback_seconds))]]

    def _latest_move(self) -> dict[str, Any]:
        rows = self._execute(MOVE, "search_read", [self._invoice_domain()], {
            "fields": ["write_date"], "order": "write_date desc, id desc", "limit": 1,
            "context": self._context()})
        return {"write_date": rows[0]["write_date"], "id": rows[0]["id"]} if rows else \
            {"write_date": None, "id": 0}

    @staticmethod
    def _targets(rows: list[dict[str, Any]], seen: dict[int, str]) -> list[int]:
        """Every scanned row stands for its commercial partner (itself, or a contact's)."""
        wanted: list[int] = []
        for row in rows:
            target = om.m2o_id(row["commercial_partner_id"])
            if target is None or target in wanted:
                continue
            if target in seen and row["write_date"] <= seen[target]:
                continue  # already yielded this run with this change in it
            wanted.append(target)
        return wanted

    def _customers_by_id(self, wanted: list[int], known: dict[int, dict[str, Any]],
                         seen: dict[int, str], context: dict[str, Any], fields: list[str]
                         ) -> tuple[list[Customer], list[Rejected]]:
        if not wanted:
            return [], []
        by_id = dict(known)
        missing = [i for i in wanted if i not in by_id]
        contacts_of: list[Any] = ["&", "&", ["commercial_partner_id", "in", wanted],
                                  ["type", "=", "invoice"], ["id", "not in", wanted]]
        # The customers not on this page and every billing contact, in one read.
        domain = ["|", ["id", "in", missing], *contacts_of] if missing else contacts_of
        try:
            found = self._execute(PARTNER, "search_read", [domain], {
                "fields": fields, "order": "id asc", "context": context})
        except PermanentError as exc:
            if fault_code(exc) not in (1, 2) or not missing:
                raise
            # A broken customer record fails the whole read: read around it, then the contacts.
            parents, _ = self._read_robust(PARTNER, missing, fields, context)
            found = parents + self._execute(PARTNER, "search_read", [contacts_of], {
                "fields": fields, "order": "id asc", "context": context})
        wanted_set = set(wanted)
        by_id.update({p["id"]: p for p in found if p["id"] in wanted_set and om.is_customer(p)})
        contacts = [c for c in found if c["id"] not in wanted_set and c.get("active", True)]
        by_parent: dict[int, list[dict[str, Any]]] = {}
        for contact in contacts:
            by_parent.setdefault(om.m2o_id(contact["commercial_partner_id"]) or 0,
                                 []).append(contact)
        raws = [(by_id[i], by_parent.get(i, [])) for i in wanted if i in by_id]
        records, rejected = map_records(raws, lambda pair: om.map_customer(*pair),
                                        lambda pair: pair[0].get("id"))
        for raw, children in raws:
            seen[raw["id"]] = max([raw["write_date"]] + [c["write_date"] for c in children])
        return records, rejected

    def close(self) -> None:
        self.http.session.close()



class _Gathered:
    """Customers and their billing contacts as a full scan meets them, on any page: a customer
    is yielded when met, and again when a contact of it comes on a later page, so that once the
    scan ends every customer has been stored with all its (active) billing contacts."""

    def __init__(self) -> None:
        self.customers: dict[int, dict[str, Any]] = {}
        self.contacts: dict[int, dict[int, dict[str, Any]]] = {}

    def page(self, rows: Rows, seen: dict[int, str]) -> tuple[list[Customer], list[Rejected]]:
        touched: list[int] = []
        for row in rows:
            if om.is_customer(row):
                self.customers[row["id"]] = row
                touched.append(row["id"])
                continue
            parent = om.m2o_id(row["commercial_partner_id"])
            if parent is None or parent == row["id"] or row.get("type") != "invoice" \
                    or not row["parent_id"]:
                continue
            if row.get("active", True):
                self.contacts.setdefault(parent, {})[row["id"]] = row
            else:
                self.contacts.get(parent, {}).pop(row["id"], None)
            touched.append(parent)
        raws = [(self.customers[i], sorted(self.contacts.get(i, {}).values(),
                                           key=lambda c: c["id"]))
                for i in dict.fromkeys(touched) if i in self.customers]
        records, rejected = map_records(raws, lambda pair: om.map_customer(*pair),
                                        lambda pair: pair[0].get("id"))
        for raw, children in raws:
            seen[raw["id"]] = max([raw["write_date"]] + [c["write_date"] for c in children])
        return records, rejected
