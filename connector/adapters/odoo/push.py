"""Odoo push-back: chatter notes, activities and messages sent by Odoo, stamped with our key.

Every object we create carries `[relance:KEY]` so that `find_pushed(KEY)` can tell after a crash
whether the push happened; we never resend a write on a guess.
Docs: https://www.odoo.com/documentation/17.0/developer/reference/backend/mixins.html
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from connector.adapters.base import AdapterContext, JournalEntry, PushRequest
from connector.adapters.odoo import mapping as om
from connector.adapters.rest import key_stamp
from connector.errors import ConfigError, PermanentError
from connector.models import to_decimal

MOVE = "account.move"
PARTNER = "res.partner"
_SAFE_KEY = re.compile(r"[A-Za-z0-9.:-]{1,128}")


class OdooPushMixin:
    """Push-back half of OdooAdapter; relies on its `_execute`, `config` and session state."""

    config: Any
    context: AdapterContext
    uid: int | None
    _serie: int
    _ids: dict[str, int]

    _execute: Callable[..., Any]  # (model, method, args, kwargs=None, *, write=False)
    _connect: Callable[[], Any]
    _context: Callable[..., dict[str, Any]]

    # -- push-back -------------------------------------------------------------------------
    @staticmethod
    def stamp(key: str) -> str:
        """What we write on every pushed object so that find_pushed(key) finds it again.

        Odoo escapes HTML in what we post, and `ilike` treats % and _ as wildcards: a key with
        other characters than these is replaced by its digest, so the stamp reads back as sent.
        """
        if not _SAFE_KEY.fullmatch(key):
            key = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
        return key_stamp(key)

    def _target(self, request: PushRequest) -> dict[str, Any]:
        """The first invoice of the reminder (ids compared as numbers: 61 before 190)."""
        return self._invoices(request)[0]

    def _invoices(self, request: PushRequest) -> list[dict[str, Any]]:
        ids = sorted({int(i) for i in request.invoice_ids if str(i).isdigit()})
        if not ids or len(ids) != len(set(request.invoice_ids)):
            raise PermanentError(f"cannot push {request.key} to Odoo: not an Odoo invoice id in "
                                 f"{', '.join(map(str, request.invoice_ids)) or '(none)'}")
        rows = self._execute(MOVE, "read", [ids], {
            "fields": ["name", "company_id", "invoice_user_id", "commercial_partner_id",
                       "amount_residual", "currency_id"], "context": self._context()})
        found = {int(r["id"]): dict(r) for r in rows}
        gone = [str(i) for i in ids if i not in found]
        if gone:
            raise PermanentError(f"invoice {', '.join(gone)} no longer exists in Odoo")
        return [found[i] for i in ids]

    def _write_context(self, invoice: Mapping[str, Any]) -> dict[str, Any]:
        # The invoice's company first, so company-dependent defaults and rules resolve.
        company = om.m2o_id(invoice.get("company_id"))
        others = [c for c in (self.config.company_ids or []) if c != company]
        return {"allowed_company_ids": [company, *others]} if company else {}

    def _html_kwargs(self, text: str) -> dict[str, Any]:
        """message_post arguments for a plain text kept as typed, line breaks included: escaped
        HTML with <br>. 17+ escapes a str body unless `body_is_html` (RPC cannot send Markup);
        16 stores a str as HTML and has no such parameter."""
        return {"body": text, **({"body_is_html": True} if self._serie >= 17 else {})}

    def push_note(self, request: PushRequest) -> str:
        """One internal note on each invoice of the reminder, with that invoice's own amount as
        sent, stamped once (hidden). An invoice already noted under this key (a retry after a
        partial push) is not noted twice."""
        posted: list[str] = []
        recipients = ", ".join(request.recipients) or "aucun destinataire"
        for invoice in self._invoices(request):
            done = self._noted(request.key, int(invoice["id"]))
            if done is not None:
                posted.append(done)
                continue
            currency = request.currency or om.m2o_name(invoice["currency_id"]) or "EUR"
            sent = request.amounts.get(str(invoice["id"]))
            if sent is None:  # not named in the amounts: what Odoo says is left
                sent = to_decimal(invoice["amount_residual"], currency)
            text = (f"{request.summary}\n{invoice['name']} : {sent} {currency} demandés pour "
                    f"cette facture (destinataires : {recipients})")
            message_id = self._execute(MOVE, "message_post", [[invoice["id"]]], {
                **self._html_kwargs(f"{_html(text)}\n{self.hidden_stamp(request.key)}"),
                "message_type": "comment", "subtype_xmlid": "mail.mt_note",
                "context": self._write_context(invoice)}, write=True)
            posted.append(str(message_id))
        return posted[0]

    def _noted(self, key: str, invoice_id: int) -> str | None:
        found = self._execute("mail.message", "search", [[
            ["model", "=", MOVE], ["res_id", "=", invoice_id],
            ["body", "ilike", self.stamp(key)]]], {"limit": 1})
        return str(found[0]) if found else None

    def push_task(self, request: PushRequest) -> str:
        """A Call or To-Do activity on each invoice of the reminder, with that invoice's own
        amount, for a person (never the bot). Returns `invoice:activity` pairs, comma-separated
        (what `close_task` and `tasks_done` read back).

        Created with the rights of a Billing user: the model is passed by context
        (`default_res_model`), not as `res_model_id`, since `ir.model` is readable only by
        administrators in Odoo 17 (base/security/ir.model.access.csv). An invoice that already
        has its activity under this key (a retry after a partial push) does not get a second."""
        invoices = self._invoices(request)
        kind = self._activity_type("call" if request.task == "call" else "todo")
        self.context.journal.start(request.key, JournalEntry(
            request.customer_id, tuple(str(i["id"]) for i in invoices)))
        found = self._activities(request.key)
        people: dict[int, int] = {}
        pairs: list[tuple[int, int]] = []
        for invoice in invoices:
            activity = found.get(int(invoice["id"]))
            if activity is None:
                activity = self._create_activity(request, invoice, kind, people)
            pairs.append((int(invoice["id"]), activity))
        return task_remote_id(pairs)

    def _create_activity(self, request: PushRequest, invoice: Mapping[str, Any], kind: int,
                         people: dict[int, int]) -> int:
        currency = request.currency or om.m2o_name(invoice["currency_id"]) or "EUR"
        sent = request.amounts.get(str(invoice["id"]))
        if sent is None:
            sent = to_decimal(invoice["amount_residual"], currency)
        body = f"{request.body}\nCette activité concerne {invoice['name']} : {sent} {currency}"
        partner = om.m2o_id(invoice.get("commercial_partner_id")) or 0
        if partner not in people:
            people[partner] = self._assignee(invoice)
        values = {
            "res_id": invoice["id"], "activity_type_id": kind,
            "summary": request.summary[:120],
            # An Html field takes a str as HTML in every version: escape it ourselves.
            "note": f"<p>{_html(body)}</p>\n{self.hidden_stamp(request.key)}",
            "date_deadline": (request.due_date or self.context.today).isoformat(),
            "user_id": people[partner],
        }
        context = {**self._write_context(invoice), "default_res_model": MOVE}
        created = self._execute("mail.activity", "create", [values], {"context": context},
                                write=True)
        return int(created[0] if isinstance(created, list) else created)

    def _activities(self, key: str) -> dict[int, int]:
        """Invoice id → id of the activity stamped with `key` on it (the oldest)."""
        stamp = self.stamp(key)
        rows = self._execute("mail.activity", "search_read", [[
            ["res_model", "=", MOVE], "|", ["summary", "ilike", stamp],
            ["note", "ilike", stamp]]], {"fields": ["res_id"], "order": "id asc"})
        found: dict[int, int] = {}
        for row in rows:
            found.setdefault(int(row["res_id"]), int(row["id"]))
        return found

    def _open_activities(self, ids: Sequence[int]) -> set[int]:
        """Which of these activities are still to do. Odoo 16 and 17 delete an activity marked
        done; 18 archives it when its type keeps done activities (`keep_done`): a search, with
        its default `active_test`, finds only open ones in every version."""
        if not ids:
            return set()
        return {int(i) for i in self._execute("mail.activity", "search", [[
            ["id", "in", sorted(set(ids))]]])}

    def close_task(self, remote_id: str, *, invoice_ids: Collection[str] | None = None,
                   feedback: str | None = None) -> bool:
        """Mark our activities done (on `invoice_ids` only, when given); Odoo posts each in the
        invoice's chatter. True when they are done now or were done already."""
        pairs = parse_task_remote_id(remote_id)
        if pairs is None:
            return False
        wanted = [activity for invoice, activity in pairs if invoice_ids is None
                  or (invoice is not None and str(invoice) in invoice_ids)]
        still = self._open_activities(wanted)
        if still:
            self._execute("mail.activity", "action_feedback", [sorted(still)], {
                "feedback": feedback or "Clôturée par relance : plus rien à relancer."},
                write=True)
        return True

    def tasks_done(self, remote_ids: Sequence[str], *,
                   settled: Collection[str] = ()) -> set[str]:
        """The tasks of which a person has done (or removed) an activity in Odoo, in one call.
        An activity on a `settled` invoice does not count: relance closes those itself."""
        parsed = {remote: parse_task_remote_id(remote) for remote in remote_ids}
        ids = [activity for pairs in parsed.values() for _, activity in pairs or []]
        still = self._open_activities(ids)
        return {remote for remote, pairs in parsed.items() if pairs and any(
            activity not in still and (invoice is None or str(invoice) not in settled)
            for invoice, activity in pairs)}

    def send_via_source(self, request: PushRequest) -> str:
        """Odoo mails our rendered message to the customer's contacts itself: a comment posted on
        the (first) invoice to those partners, with the invoices' PDFs Odoo already holds.

        Odoo also notifies the invoice's followers subscribed to Discussions, and subscribes the
        bot user. The key stamp is an HTML comment: `find_pushed` finds it, the customer never
        sees it (Odoo's sanitiser keeps comments).
        """
        if not request.customer_id.isdigit():
            raise PermanentError(f"customer {request.customer_id!r} is not an Odoo partner id")
        invoice = self._target(request)
        partners = self._execute(PARTNER, "search_read", [[
            ["email", "in", list(request.recipients)],
            ["commercial_partner_id", "=", int(request.customer_id)]]], {
            "fields": ["email"], "order": "id asc"}) if request.recipients else []
        found = {str(p["email"]).lower(): p["id"] for p in partners}
        unknown = [r for r in request.recipients if r.lower() not in found]
        if unknown or not found:
            raise PermanentError(f"no Odoo contact of customer {request.customer_id} has the "
                                 f"address {', '.join(unknown) or '(none given)'}")
        body = f"{request.html or _html(request.body)}\n{self.hidden_stamp(request.key)}"
        kwargs: dict[str, Any] = {
            **self._html_kwargs(body), "subject": request.summary, "message_type": "comment",
            "subtype_xmlid": "mail.mt_comment", "partner_ids": sorted(set(found.values())),
            "context": self._write_context(invoice)}
        attachments = self._invoice_pdfs(request)
        if request.attachment:
            attachments.append(self._attach(invoice, request))
        if attachments:
            kwargs["attachment_ids"] = attachments
        return str(self._execute(MOVE, "message_post", [[invoice["id"]]], kwargs, write=True))

    def hidden_stamp(self, key: str) -> str:
        return f"<!-- {self.stamp(key)} -->"

    def _invoice_pdfs(self, request: PushRequest) -> list[int]:
        """The invoices' own PDFs, as Odoo made them when they were sent or printed (17+:
        `invoice_pdf_report_id`); an invoice never printed has none, and Odoo cannot render one
        over RPC (its report methods are private): the message then goes without it."""
        ids = [int(i) for i in request.invoice_ids if str(i).isdigit()]
        if self._serie < 17 or not ids:
            return []
        rows = self._execute(MOVE, "read", [ids], {"fields": ["invoice_pdf_report_id"],
                                                   "context": self._context()})
        found = [om.m2o_id(r.get("invoice_pdf_report_id")) for r in rows]
        return [int(a) for a in found if a]

    def _attach(self, invoice: Mapping[str, Any], request: PushRequest) -> int:
        return int(self._execute("ir.attachment", "create", [{
            "name": request.attachment_name or f"relance-{request.key}.pdf",
            "datas": base64.b64encode(request.attachment or b"").decode("ascii"),
            "res_model": MOVE, "res_id": invoice["id"], "mimetype": "application/pdf"}],
            write=True))

    def invoice_pdf(self, invoice_id: str) -> bytes | None:
        """The invoice's own PDF, as Odoo made it when it was sent or printed (17+:
        `invoice_pdf_report_id`, see `_invoice_pdfs`); None when it was never printed."""
        if not str(invoice_id).isdigit():
            return None
        self._connect()  # the version decides whether the field exists
        if self._serie < 17:
            return None
        rows = self._execute(MOVE, "read", [[int(invoice_id)]], {
            "fields": ["invoice_pdf_report_id"], "context": self._context()})
        attachment = om.m2o_id(rows[0].get("invoice_pdf_report_id")) if rows else None
        if not attachment:
            return None
        found = self._execute("ir.attachment", "read", [[attachment]], {"fields": ["datas"]})
        return base64.b64decode(found[0]["datas"]) if found and found[0].get("datas") else None

    def find_pushed(self, key: str) -> str | None:
        """Activities first (a done activity's chatter message may quote its note, stamp
        included), then messages. A task whose journal names invoices that have no activity yet
        is not found: the retry adds the missing ones, and only those."""
        found = self._activities(key)
        if found:
            entry = self.context.journal.started(key)
            wanted = {int(i) for i in entry.invoice_ids if i.isdigit()} if entry else set()
            if wanted - set(found):
                return None
            return task_remote_id(sorted(found.items()))
        messages = self._execute("mail.message", "search", [[
            ["model", "=", MOVE], ["body", "ilike", self.stamp(key)]]],
            {"order": "id asc", "limit": 1})
        return str(messages[0]) if messages else None

    # -- look-ups, cached per adapter ------------------------------------------------------
    def _activity_type(self, kind: str) -> int:
        """Call: the first type of category 'phonecall'; To-Do: the generic type named so.
        Read from `mail.activity.type`, which a Billing user may read (`ir.model.data`, where
        the xml ids live, is for administrators only)."""
        key = f"activity:{kind}"
        if key not in self._ids:
            rows = self._execute("mail.activity.type", "search_read", [[
                ["res_model", "in", [False, MOVE]]]], {
                "fields": ["name", "category", "res_model"], "order": "sequence asc, id asc",
                "context": {"lang": "en_US"}})
            calls = [r for r in rows if r.get("category") == "phonecall"]
            todos = [r for r in rows if r.get("category") in ("default", False, None)
                     and str(r.get("name") or "").replace("-", "").replace(" ", "").lower()
                     == "todo"]
            if calls:
                self._ids["activity:call"] = int(calls[0]["id"])
            if todos:
                self._ids["activity:todo"] = int(todos[0]["id"])
        if key not in self._ids:
            wanted = "of category Phonecall" if kind == "call" else "named To-Do"
            raise PermanentError(f"Odoo has no activity type {wanted} for invoices "
                                 f"(Settings → Discuss → Activity Types)")
        return self._ids[key]

    def _assignee(self, invoice: Mapping[str, Any]) -> int:
        """The customer's salesperson, else the invoice's, else `activity_user`; a person, never
        the bot user itself (nobody would see the activity in "My activities")."""
        assert self.uid is not None
        people: list[int | None] = []
        partner = om.m2o_id(invoice.get("commercial_partner_id"))
        if partner:
            rows = self._execute(PARTNER, "read", [[partner]], {"fields": ["user_id"]})
            people.append(om.m2o_id(rows[0].get("user_id")) if rows else None)
        people.append(om.m2o_id(invoice.get("invoice_user_id")))
        for person in people:
            if person and person != self.uid:
                return person
        wanted = self.config.activity_user
        if wanted is None or wanted == "salesperson":
            raise PermanentError(
                f"invoice {invoice.get('name')} has no salesperson and no fallback user is "
                "configured: set source.activity_user to the login of the person who handles "
                "collections")
        if isinstance(wanted, int) or str(wanted).isdigit():
            return int(wanted)
        key = f"user:{wanted}"
        if key not in self._ids:
            found = self._execute("res.users", "search", [[["login", "=", wanted]]],
                                  {"limit": 1})
            if not found:
                raise ConfigError(f"no active Odoo user has the login {wanted!r}",
                                  key="source.activity_user")
            self._ids[key] = int(found[0])
        return self._ids[key]


def _html(text: str) -> str:
    return html.escape(text).replace("\n", "<br/>")


def task_remote_id(pairs: Sequence[tuple[int, int]]) -> str:
    """`invoice:activity` pairs, comma-separated: which activity went on which invoice, known
    even once Odoo has deleted a done activity."""
    return ",".join(f"{invoice}:{activity}" for invoice, activity in pairs)


def parse_task_remote_id(remote_id: str) -> list[tuple[int | None, int]] | None:
    """Pairs back from `task_remote_id`; a bare activity id (older tasks) has no invoice.
    None when it is not ours."""
    pairs: list[tuple[int | None, int]] = []
    for part in str(remote_id).split(","):
        invoice, _, activity = part.strip().rpartition(":")
        if not activity.isdigit() or (invoice and not invoice.isdigit()):
            return None
        pairs.append((int(invoice) if invoice else None, int(activity)))
    return pairs
