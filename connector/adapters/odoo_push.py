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
from collections.abc import Callable, Mapping
from typing import Any

from connector.adapters import odoo_mapping as om
from connector.adapters.base import AdapterContext, PushRequest
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
        return f"[relance:{key}]"

    def _target(self, request: PushRequest) -> dict[str, Any]:
        if not request.invoice_ids or not str(request.invoice_ids[0]).isdigit():
            raise PermanentError(f"cannot push {request.key} to Odoo: no Odoo invoice id")
        rows = self._execute(MOVE, "read", [[int(request.invoice_ids[0])]], {
            "fields": ["name", "company_id", "invoice_user_id", "amount_residual",
                       "currency_id"], "context": self._context()})
        if not rows:
            raise PermanentError(f"invoice {request.invoice_ids[0]} no longer exists in Odoo")
        return dict(rows[0])

    def _write_context(self, invoice: Mapping[str, Any]) -> dict[str, Any]:
        # The invoice's company first, so company-dependent defaults and rules resolve.
        company = om.m2o_id(invoice.get("company_id"))
        others = [c for c in (self.config.company_ids or []) if c != company]
        return {"allowed_company_ids": [company, *others]} if company else {}

    def _body(self, text: str) -> str:
        # 17+ escapes a str body (only Markup, which RPC cannot send, is kept as HTML): plain
        # text it is. 16 stores the string as HTML, so escape it ourselves and keep line breaks.
        return _html(text) if self._serie <= 16 else text

    def push_note(self, request: PushRequest) -> str:
        invoice = self._target(request)
        currency = om.m2o_name(invoice["currency_id"]) or "EUR"
        due = to_decimal(invoice["amount_residual"], currency)
        recipients = ", ".join(request.recipients) or "aucun destinataire"
        note = (f"Relance {request.level} ({request.channel}) à {recipients} : "
                f"{request.summary} ; reste dû {due} {currency} sur "
                f"{invoice['name']} {self.stamp(request.key)}")
        message_id = self._execute(MOVE, "message_post", [[invoice["id"]]], {
            "body": self._body(note), "message_type": "comment",
            "subtype_xmlid": "mail.mt_note", "context": self._write_context(invoice)},
            write=True)
        return str(message_id)

    def push_task(self, request: PushRequest) -> str:
        invoice = self._target(request)
        kind = "call" if request.channel in ("phone", "call") else "todo"
        values = {
            "res_model_id": self._model_id(MOVE),
            "res_id": invoice["id"],
            "activity_type_id": self._activity_type(kind),
            "summary": request.summary[:120],
            # An Html field takes a str as HTML in every version: escape it ourselves.
            "note": _html(f"{request.body}\n{self.stamp(request.key)}"),
            "date_deadline": (request.due_date or self.context.today).isoformat(),
            "user_id": self._assignee(invoice),
        }
        activity_id = self._execute("mail.activity", "create", [values],
                                    {"context": self._write_context(invoice)}, write=True)
        return str(activity_id[0] if isinstance(activity_id, list) else activity_id)

    def send_via_source(self, request: PushRequest) -> str:
        """Odoo mails the recipients itself (message_post as a comment to their partners).

        Odoo also notifies the invoice's followers subscribed to Discussions, and subscribes the
        bot user. The key stamp ends the message, so the customer sees it as a reference.
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
        kwargs: dict[str, Any] = {
            "body": self._body(f"{request.body}\n\n{self.stamp(request.key)}"),
            "subject": request.summary, "message_type": "comment",
            "subtype_xmlid": "mail.mt_comment", "partner_ids": sorted(set(found.values())),
            "context": self._write_context(invoice)}
        if request.attachment:
            kwargs["attachment_ids"] = [self._attach(invoice, request)]
        return str(self._execute(MOVE, "message_post", [[invoice["id"]]], kwargs, write=True))

    def _attach(self, invoice: Mapping[str, Any], request: PushRequest) -> int:
        return int(self._execute("ir.attachment", "create", [{
            "name": request.attachment_name or f"relance-{request.key}.pdf",
            "datas": base64.b64encode(request.attachment or b"").decode("ascii"),
            "res_model": MOVE, "res_id": invoice["id"], "mimetype": "application/pdf"}],
            write=True))

    def invoice_pdf(self, invoice_id: str) -> bytes | None:
        """The invoice PDF Odoo keeps as an attachment of the move (17.0 stores it when the
        invoice is sent or printed: `invoice_pdf_report_id`), newest first; our own trace
        appendices (`relance-….pdf`) are not invoices. None when it was never printed."""
        if not str(invoice_id).isdigit():
            return None
        rows = self._execute("ir.attachment", "search_read", [[
            ["res_model", "=", MOVE], ["res_id", "=", int(invoice_id)],
            ["mimetype", "=", "application/pdf"], ["name", "not ilike", "relance-"]]],
            {"fields": ["name", "datas"], "order": "id desc", "limit": 1})
        if not rows or not rows[0].get("datas"):
            return None
        return base64.b64decode(rows[0]["datas"])

    def find_pushed(self, key: str) -> str | None:
        stamp = self.stamp(key)
        messages = self._execute("mail.message", "search", [[
            ["model", "=", MOVE], ["body", "ilike", stamp]]], {"order": "id asc", "limit": 1})
        if messages:
            return str(messages[0])
        activities = self._execute("mail.activity", "search", [[
            ["res_model", "=", MOVE], "|", ["summary", "ilike", stamp],
            ["note", "ilike", stamp]]], {"order": "id asc", "limit": 1,
                                         "context": {"active_test": False}})
        return str(activities[0]) if activities else None

    # -- look-ups, cached per adapter ------------------------------------------------------
    def _model_id(self, model: str) -> int:
        key = f"model:{model}"
        if key not in self._ids:
            found = self._execute("ir.model", "search", [[["model", "=", model]]], {"limit": 1})
            if not found:
                raise PermanentError(f"Odoo has no model {model}")
            self._ids[key] = int(found[0])
        return self._ids[key]

    def _activity_type(self, kind: str) -> int:
        key = f"activity:{kind}"
        if key not in self._ids:
            rows = self._execute("ir.model.data", "search_read", [[
                ["module", "=", "mail"],
                ["name", "in", ["mail_activity_data_call", "mail_activity_data_todo"]]]],
                {"fields": ["res_id", "name"]})
            for row in rows:
                self._ids["activity:" + row["name"].rsplit("_", 1)[-1]] = int(row["res_id"])
        if key not in self._ids:
            raise PermanentError(f"Odoo has no activity type mail.mail_activity_data_{kind}")
        return self._ids[key]

    def _assignee(self, invoice: Mapping[str, Any]) -> int:
        wanted = self.config.activity_user
        assert self.uid is not None
        if wanted is None:
            return self.uid
        if isinstance(wanted, int) or str(wanted).isdigit():
            return int(wanted)
        if wanted == "salesperson":
            return om.m2o_id(invoice.get("invoice_user_id")) or self.uid
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
