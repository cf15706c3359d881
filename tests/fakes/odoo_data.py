"""The in-memory half of the fake Odoo: tables, a domain evaluator, and the ORM methods we call.

Answers have the shapes recorded from a real Odoo 17 (tests/fixtures/odoo17): many2one values are
`[id, "name"]` or False, empty chars are False, money is float, datetimes are UTC strings.
Only what the adapter uses is implemented, strictly: an unknown field or method is a fault, as in
Odoo, so the adapter cannot drift from what a real server accepts.
"""

from __future__ import annotations

import datetime as dt
import html
import itertools
from collections.abc import Callable
from typing import Any
from xmlrpc.client import Fault

M2O, O2M = "m2o", "o2m"
# model → field → type; ("m2o", model) for many2one. "id" is implicit.
SCHEMA: dict[str, dict[str, Any]] = {
    "res.partner": {
        "name": "char", "display_name": "char", "email": "char", "phone": "char",
        "mobile": "char", "lang": "char", "vat": "char", "ref": "char", "is_company": "bool",
        "parent_id": (M2O, "res.partner"), "child_ids": (O2M, "res.partner", "parent_id"),
        "commercial_partner_id": (M2O, "res.partner"), "type": "char",
        "company_id": (M2O, "res.company"), "user_id": (M2O, "res.users"), "active": "bool",
        "property_payment_term_id": (M2O, "account.payment.term"), "credit": "float",
        "customer_rank": "int", "write_date": "datetime", "create_date": "datetime",
        "street": "char", "street2": "char", "zip": "char", "city": "char",
        "state_id": (M2O, "res.country.state"), "country_id": (M2O, "res.country"),
        "country_code": "char",
    },
    "account.move": {
        "name": "char", "ref": "char", "payment_reference": "char", "move_type": "char",
        "state": "char", "posted_before": "bool", "payment_state": "char",
        "partner_id": (M2O, "res.partner"), "commercial_partner_id": (M2O, "res.partner"),
        "invoice_date": "date", "invoice_date_due": "date", "date": "date",
        "currency_id": (M2O, "res.currency"), "company_id": (M2O, "res.company"),
        "amount_untaxed": "float", "amount_tax": "float", "amount_total": "float",
        "amount_residual": "float", "amount_total_signed": "float",
        "amount_residual_signed": "float",
        "invoice_payment_term_id": (M2O, "account.payment.term"),
        "invoice_user_id": (M2O, "res.users"), "is_move_sent": "bool",
        "reversed_entry_id": (M2O, "account.move"), "journal_id": (M2O, "account.journal"),
        "line_ids": (O2M, "account.move.line", "move_id"),
        "invoice_pdf_report_id": (M2O, "ir.attachment"), "invoice_payments_widget": "json",
        "write_date": "datetime", "create_date": "datetime",
    },
    "account.partial.reconcile": {
        "debit_move_id": (M2O, "account.move.line"), "credit_move_id": (M2O, "account.move.line"),
        "amount": "float", "debit_amount_currency": "float",
        "debit_currency_id": (M2O, "res.currency"), "max_date": "date",
        "write_date": "datetime", "create_date": "datetime",
    },
    "account.move.line": {
        "move_id": (M2O, "account.move"), "date_maturity": "date", "debit": "float",
        "credit": "float", "balance": "float", "amount_currency": "float",
        "amount_residual": "float", "amount_residual_currency": "float", "reconciled": "bool",
        "account_id": (M2O, "account.account"), "display_type": "char",
        "currency_id": (M2O, "res.currency"), "write_date": "datetime",
    },
    "mail.message": {
        "model": "char", "res_id": "int", "body": "html", "subject": "char",
        "message_type": "char", "subtype_id": (M2O, "mail.message.subtype"),
        "partner_ids": "ids", "attachment_ids": "ids", "date": "datetime",
        "author_id": (M2O, "res.partner"),
    },
    "mail.activity": {
        "res_model_id": (M2O, "ir.model"), "res_model": "char", "res_id": "int",
        "activity_type_id": (M2O, "mail.activity.type"), "summary": "char", "note": "html",
        "date_deadline": "date", "user_id": (M2O, "res.users"), "state": "char",
        "active": "bool",
    },
    "mail.activity.type": {"name": "char", "category": "char", "res_model": "char",
                           "sequence": "int", "keep_done": "bool"},
    "mail.message.subtype": {"name": "char"},
    "ir.model": {"model": "char", "name": "char"},
    "ir.model.data": {"module": "char", "name": "char", "model": "char", "res_id": "int"},
    "ir.module.module": {"name": "char", "state": "char"},
    "ir.attachment": {"name": "char", "datas": "char", "res_model": "char", "res_id": "int",
                      "mimetype": "char"},
    "res.users": {"login": "char", "name": "char", "active": "bool",
                  "partner_id": (M2O, "res.partner")},
    "res.company": {"name": "char"},
    "res.country": {"name": "char", "code": "char"},
    "res.country.state": {"name": "char", "code": "char"},
    "res.currency": {"name": "char"},
    "account.payment.term": {"name": "char"},
    "account.journal": {"name": "char"},
    "account.account": {"name": "char"},
}
READ_OPS = {"search", "search_read", "search_count", "read", "read_group",
            "formatted_read_group"}
ADMIN_ONLY = {"ir.model": "Models", "ir.model.data": "Model Data"}
SINCE = {("account.move", "invoice_pdf_report_id"): 17, ("mail.activity", "active"): 18,
         ("mail.activity.type", "keep_done"): 18}
"""Fields that appeared in a version: asked of an older server, they are invalid."""


def fault(code: int, message: str) -> Fault:
    # Odoo's faultString for code 1 is a whole traceback; keep that shape.
    text = message if code != 1 else (
        "Traceback (most recent call last):\n  File \"/odoo/odoo/service/model.py\", "
        f"line 156, in retrying\n    result = func()\n{message}")
    return Fault(code, text)


class OdooData:
    """Tables and ORM methods. Not thread-safe by itself: the server holds a lock around it."""

    def __init__(self, serie: str = "17.0") -> None:
        self.serie = serie
        self.major = int(serie.split(".")[0].rsplit("~", 1)[-1])
        self.tables: dict[str, dict[int, dict[str, Any]]] = {m: {} for m in SCHEMA}
        self._seq = itertools.count(1000)
        self._micro = itertools.count(1)
        self._last: dt.datetime | None = None
        self.now: str | None = None
        self.uid = 2
        self.user_companies: set[int] = set()
        self.denied: set[tuple[str, str]] = set()
        self.admin = False
        """The bot is a Billing user, as it should be: Odoo 17 grants `ir.model` and
        `ir.model.data` to "Administration / Access Rights" only."""
        self.broken: set[tuple[str, int]] = set()
        self.outgoing_mail: list[dict[str, Any]] = []

    # -- clock and raw writes -------------------------------------------------------------
    def clock(self) -> str:
        """Like PostgreSQL: microseconds kept. Odoo sends datetimes cut to the second, but
        orders and compares on the full value. A frozen `now` still ticks a microsecond per
        write, so that rows written "at the same second" have a real order, as in Odoo.
        Unfrozen, the clock never goes back behind a stamp it gave (a host clock set before
        the seeded books would otherwise hide new writes behind old ones)."""
        if self.now is not None:
            stamp = dt.datetime.strptime(self.now[:19], "%Y-%m-%d %H:%M:%S").replace(
                microsecond=next(self._micro) % 1_000_000)
        else:
            stamp = dt.datetime.now(dt.UTC).replace(tzinfo=None)
            if self._last is not None and stamp <= self._last:
                stamp = self._last + dt.timedelta(microseconds=1)
        self._last = stamp if self._last is None else max(stamp, self._last)
        return stamp.strftime("%Y-%m-%d %H:%M:%S.%f")

    def advance(self, seconds: int) -> str:
        base = dt.datetime.strptime(self.clock()[:19], "%Y-%m-%d %H:%M:%S")
        self.now = (base + dt.timedelta(seconds=seconds)).strftime("%Y-%m-%d %H:%M:%S")
        return self.now

    def insert(self, model: str, values: dict[str, Any], record_id: int | None = None) -> int:
        record_id = record_id or next(self._seq)
        record = {name: _empty(kind) for name, kind in SCHEMA[model].items()
                  if not (isinstance(kind, tuple) and kind[0] == O2M)}
        record.update(values)
        record["id"] = record_id
        if "write_date" in SCHEMA[model]:
            record.setdefault("create_date", self.clock())
            record["write_date"] = values.get("write_date") or self.clock()
        if "active" in SCHEMA[model] and "active" not in values:
            record["active"] = True
        self.tables[model][record_id] = record
        return record_id

    def write(self, model: str, record_id: int, **values: Any) -> None:
        """Like the ORM's write: stamps write_date, even when only computed fields changed."""
        record = self.tables[model][record_id]
        record.update(values)
        if "write_date" in SCHEMA[model]:
            record["write_date"] = values.get("write_date") or self.clock()

    # -- values as Odoo returns them ------------------------------------------------------
    def display_name(self, model: str, record_id: int) -> str:
        record = self.tables[model].get(record_id)
        if record is None:
            return f"{model},{record_id}"
        if model == "res.partner" and record["parent_id"] and not record["is_company"]:
            return f"{self.display_name(model, record['parent_id'])}, {record['name']}"
        return str(record.get("name") or record.get("model") or record_id)

    def raw_value(self, model: str, record: dict[str, Any], name: str) -> Any:
        """The value a domain compares: ids for relations."""
        if name == "id":
            return record["id"]
        kind = SCHEMA[model][name]
        if model == "res.partner" and name == "commercial_partner_id":
            current = record
            while not current["is_company"] and current["parent_id"]:
                current = self.tables[model][current["parent_id"]]
            return current["id"]
        if model == "res.partner" and name == "display_name":
            return self.display_name(model, record["id"])
        if model == "res.partner" and name == "credit":
            return float(round(sum(m["amount_residual_signed"] for m in self.tables["account.move"]
                             .values() if m["commercial_partner_id"] == record["id"]
                             and m["state"] == "posted"), 2))
        if model == "account.move" and name == "invoice_payments_widget":
            return self.payments_widget(record)
        if isinstance(kind, tuple) and kind[0] == O2M:
            _, target, inverse = kind
            return sorted(r["id"] for r in self.tables[target].values()
                          if r.get(inverse) == record["id"])
        return record.get(name, False)

    def payments_widget(self, move: dict[str, Any]) -> dict[str, Any] | bool:
        """As Odoo 17 computes it: one entry per reconciliation (payment or credit note) with
        its date and amount in the invoice's currency; False when nothing is reconciled."""
        lines = {ln["id"] for ln in self.tables["account.move.line"].values()
                 if ln["move_id"] == move["id"]}
        side = "credit_move_id" if move["move_type"] == "out_refund" else "debit_move_id"
        content = [{"name": "Paiement", "journal_name": "Bank", "amount": p["debit_amount_currency"],
                    "currency_id": move["currency_id"], "date": p["max_date"],
                    "partial_id": p["id"], "is_exchange": False}
                   for p in sorted(self.tables["account.partial.reconcile"].values(),
                                   key=lambda p: p["id"]) if p[side] in lines]
        if not content:
            return False
        return {"title": "Less Payment", "outstanding": False, "content": content}

    def export(self, model: str, record: dict[str, Any], fields: list[str] | None) -> dict:
        names = fields or ["id", *(n for n in SCHEMA[model]
                                   if self.major >= SINCE.get((model, n), 0))]
        for name in names:
            if name != "id" and (name not in SCHEMA[model]
                                 or self.major < SINCE.get((model, name), 0)):
                raise fault(1, f"ValueError: Invalid field '{name}' on model '{model}'")
        if (model, record["id"]) in self.broken and set(names) - {"id", "write_date"}:
            raise fault(1, f"ValueError: could not compute a field of {model}({record['id']},)")
        out: dict[str, Any] = {"id": record["id"]}
        for name in names:
            value = self.raw_value(model, record, name)
            kind = SCHEMA[model].get(name)
            if isinstance(kind, tuple) and kind[0] == M2O:
                value = [value, self.display_name(kind[1], value)] if value else False
            elif kind == "datetime" and value:
                value = value[:19]  # sent without the microseconds
            out[name] = value
        return out

    # -- search ---------------------------------------------------------------------------
    def search(self, model: str, domain: list[Any], *, order: str | None = None,
               limit: int | None = None, offset: int = 0,
               context: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        predicate = self._domain(model, domain or [])
        rows = [r for r in self.tables[model].values() if predicate(r)]
        mentions_active = any(isinstance(t, list) and t and t[0] == "active" for t in domain or [])
        if self.has_field(model, "active") and (context or {}).get("active_test", True) \
                and not mentions_active:
            rows = [r for r in rows if r["active"]]
        rows.sort(key=lambda r: r["id"])
        for part in reversed([p.strip() for p in (order or "id asc").split(",") if p.strip()]):
            name, _, direction = part.partition(" ")

            def key(row: dict[str, Any], field: str = name) -> tuple[int, Any]:
                return _sort_key(self.raw_value(model, row, field))

            rows.sort(key=key, reverse=direction.strip().lower() == "desc")
        rows = rows[offset or 0:]
        return rows[:limit] if limit else rows

    def _domain(self, model: str, domain: list[Any]) -> Callable[[dict[str, Any]], bool]:
        tokens = list(domain)
        position = 0

        def parse() -> Callable[[dict[str, Any]], bool]:
            nonlocal position
            if position >= len(tokens):
                raise fault(1, f"ValueError: Invalid domain {domain!r}")
            token = tokens[position]
            position += 1
            if token in ("&", "|"):
                left, right = parse(), parse()
                if token == "&":
                    return lambda r: left(r) and right(r)
                return lambda r: left(r) or right(r)
            if token == "!":
                inner = parse()
                return lambda r: not inner(r)
            if not isinstance(token, list) or len(token) != 3:
                raise fault(1, f"ValueError: Invalid leaf {token!r}")
            return self._leaf(model, *token)

        terms = []
        while position < len(tokens):
            terms.append(parse())
        return lambda r: all(term(r) for term in terms)

    def has_field(self, model: str, name: str) -> bool:
        return name in SCHEMA[model] and self.major >= SINCE.get((model, name), 0)

    def _leaf(self, model: str, name: str, op: str, value: Any) -> Callable[[dict], bool]:
        if name != "id" and not self.has_field(model, name):
            raise fault(1, f"ValueError: Invalid field {model}.{name} in leaf "
                           f"('{name}', '{op}', {value!r})")

        if SCHEMA[model].get(name) == "datetime" and isinstance(value, str) and len(value) == 19:
            value += ".000000"  # PostgreSQL reads '... 19:14:20' as 19:14:20.000000

        def test(record: dict[str, Any]) -> bool:
            have = self.raw_value(model, record, name)
            if op == "=":
                return have == value or (value is False and have in (False, None, 0, ""))
            if op == "!=":
                return not (have == value or (value is False and have in (False, None, "")))
            if op == "in":
                return have in value
            if op == "not in":
                return have not in value
            if op == "not ilike":
                return not (have and str(value).lower() in str(have).lower())
            if op in ("ilike", "like", "=ilike"):
                if not have:
                    return False
                if op == "=ilike":
                    return str(have).lower() == str(value).lower()
                if op == "like":
                    return str(value) in str(have)
                return str(value).lower() in str(have).lower()
            if have is False or have is None:
                return False
            return {">": have > value, ">=": have >= value, "<": have < value,
                    "<=": have <= value}[op]

        if op not in {"=", "!=", "in", "not in", "ilike", "not ilike", "like", "=ilike", ">",
                      ">=", "<", "<="}:
            raise fault(1, f"ValueError: Invalid operator {op!r}")
        return test

    # -- ORM methods reachable over execute_kw ---------------------------------------------
    def call(self, model: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        if method.startswith("_"):
            raise fault(4, f"Private methods (such as {method}) cannot be called remotely.")
        if model not in SCHEMA:
            raise fault(1, f"KeyError: '{model}'")
        context = kwargs.pop("context", None) or {}
        allowed = context.get("allowed_company_ids")
        if allowed and self.user_companies and set(allowed) - self.user_companies:
            raise fault(4, "Access to unauthorized or invalid companies.")
        if model in ADMIN_ONLY and not self.admin:
            raise fault(4, f"You are not allowed to access '{ADMIN_ONLY[model]}' ({model}) "
                           "records.\n\nThis operation is allowed for the following groups:\n"
                           "\t- Administration/Access Rights\n\nContact your administrator "
                           "to request access if necessary.")
        if method in READ_OPS:
            self._require(model, "read")
        handler = getattr(self, f"m_{method}", None)
        if handler is None or (method == "has_access" and self.major < 18):
            raise fault(1, f"AttributeError: The method '{method}' does not exist on the model "
                           f"'{model}'")
        return handler(model, *args, context=context, **kwargs)

    def _require(self, model: str, operation: str) -> None:
        if (model, operation) in self.denied:
            raise fault(4, f"You are not allowed to {operation} '{model}' ({model}) records.\n\n"
                           "This operation is allowed for the following groups:\n"
                           "\t- Accounting/Billing")

    def m_search(self, model: str, domain: list[Any], offset: int = 0, limit: int | None = None,
                 order: str | None = None, context: dict[str, Any] | None = None) -> list[int]:
        return [r["id"] for r in self.search(model, domain, order=order, limit=limit,
                                              offset=offset, context=context)]

    def m_search_count(self, model: str, domain: list[Any], context: dict | None = None,
                       limit: int | None = None) -> int:
        return len(self.search(model, domain, context=context, limit=limit))

    def m_search_read(self, model: str, domain: list[Any] | None = None,
                      fields: list[str] | None = None, offset: int = 0,
                      limit: int | None = None, order: str | None = None,
                      context: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        rows = self.search(model, domain or [], order=order, limit=limit, offset=offset,
                           context=context)
        return [self.export(model, r, fields) for r in rows]

    def m_read_group(self, model: str, domain: list[Any], *args: Any,
                     context: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        """16-18: (domain, fields, groupby, …, lazy); 19+: (domain, groupby, aggregates, …)."""
        from tests.fakes import odoo_groups
        if self.major >= 19:
            return odoo_groups.read_group_tuples(self, model, domain, *args, context=context,
                                                 **kwargs)
        return odoo_groups.read_group(self, model, domain, *args, context=context, **kwargs)

    def m_formatted_read_group(self, model: str, domain: list[Any], *args: Any,
                               context: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        from tests.fakes import odoo_groups
        if self.major < 19:  # saas~18.3 and later; no x.0 release before 19.0
            raise fault(1, f"AttributeError: The method 'formatted_read_group' does not exist "
                           f"on the model '{model}'")
        return odoo_groups.formatted_read_group(self, model, domain, *args, context=context,
                                                **kwargs)

    def m_read(self, model: str, ids: list[int], fields: list[str] | None = None,
               context: dict[str, Any] | None = None, load: str = "_classic_read") -> list[dict]:
        table = self.tables[model]
        return [self.export(model, table[i], fields) for i in ids if i in table]

    def m_check_access_rights(self, model: str, operation: str, raise_exception: bool = True,
                              context: dict[str, Any] | None = None) -> bool:
        if (model, operation) in self.denied:
            if raise_exception:
                self._require(model, operation)
            return False
        return True

    def m_has_access(self, model: str, ids: list[int], operation: str,
                     context: dict[str, Any] | None = None) -> bool:
        return (model, operation) not in self.denied

    def m_create(self, model: str, values: Any, context: dict[str, Any] | None = None) -> Any:
        self._require(model, "create")
        if isinstance(values, list):
            return [self._create_one(model, v, context or {}) for v in values]
        return self._create_one(model, values, context or {})

    def _create_one(self, model: str, values: dict[str, Any],
                    context: dict[str, Any]) -> int:
        for name in values:
            if name not in SCHEMA[model]:
                raise fault(1, f"ValueError: Invalid field '{name}' on model '{model}'")
        values = dict(values)
        if model == "mail.activity":
            ir_model = self.tables["ir.model"].get(int(values.get("res_model_id") or 0))
            if ir_model is None and context.get("default_res_model"):
                # default_get turns the model named by context into res_model_id (with sudo)
                ir_model = next((m for m in self.tables["ir.model"].values()
                                 if m["model"] == context["default_res_model"]), None)
                values["res_model_id"] = ir_model["id"] if ir_model else False
            if ir_model is None:
                raise fault(1, "psycopg2.errors.NotNullViolation: null value in column "
                               "\"res_model_id\" of relation \"mail_activity\"")
            target = ir_model["model"]
            if values.get("res_id") not in self.tables[target]:
                raise fault(2, "Record does not exist or has been deleted.")
            self._require(target, "write")  # creating an activity needs write on the record
            if values.get("activity_type_id") not in self.tables["mail.activity.type"]:
                raise fault(1, "ValueError: unknown activity type")
            values.setdefault("user_id", self.uid)
            values.setdefault("date_deadline", self.clock()[:10])
            values["res_model"] = target
            values["note"] = _as_html(values.get("note") or "") if values.get("note") else False
            values["state"] = "planned"
        return self.insert(model, values)

    def m_action_feedback(self, model: str, ids: list[int], feedback: str = "",
                          attachment_ids: list[int] | None = None,
                          context: dict[str, Any] | None = None) -> int | bool:
        """Mark activities done: a message on the document, then the activity deleted (16, 17)
        or, in 18 when its type keeps done activities (`keep_done`), archived."""
        if model != "mail.activity":
            raise fault(1, f"AttributeError: The method 'action_feedback' does not exist on the "
                           f"model '{model}'")
        message: int | bool = False
        for activity_id in ids:
            activity = self.tables[model].get(activity_id)
            if activity is None or not activity["active"]:
                raise fault(2, "Record does not exist or has been deleted.")
            self._require(activity["res_model"], "write")
            message = self.insert("mail.message", {
                "model": activity["res_model"], "res_id": activity["res_id"],
                "body": f"<p>{html.escape(feedback)}</p>", "message_type": "notification",
                "subtype_id": 2, "date": self.clock(), "author_id": 3})
            kind = self.tables["mail.activity.type"].get(activity["activity_type_id"]) or {}
            if self.major >= 18 and kind.get("keep_done"):
                self.write(model, activity_id, active=False, state="done")
            else:
                del self.tables[model][activity_id]
        return message

    def m_message_post(self, model: str, ids: list[int], body: str = "",
                       message_type: str = "notification", subtype_xmlid: str | None = None,
                       partner_ids: list[Any] | None = None, subject: str | None = None,
                       attachment_ids: list[int] | None = None, body_is_html: bool = False,
                       context: dict[str, Any] | None = None) -> int:
        if len(ids) != 1 or ids[0] not in self.tables[model]:
            raise fault(2, "Record does not exist or has been deleted.")
        self._require(model, "read")
        if any(not isinstance(p, int) for p in partner_ids or []):
            raise fault(1, "ValueError: message_post partner_ids must be a list of ids")
        if body_is_html and self.major < 17:  # 16's message_post has no such parameter
            raise fault(1, "TypeError: _notify_thread() got an unexpected keyword argument "
                           "'body_is_html'")
        # 17+ escapes a str body (only Markup, or body_is_html=True, is kept as HTML); 16 keeps
        # it as HTML. Odoo's sanitiser keeps HTML comments.
        if body_is_html or self.major < 17:
            stored = body if body.lstrip().startswith("<") else f"<p>{body}</p>"
        else:
            stored = f"<p>{html.escape(body)}</p>" if body else ""
        for attachment in attachment_ids or []:
            if attachment not in self.tables["ir.attachment"]:
                raise fault(2, "Record does not exist or has been deleted.")
        subtype = subtype_xmlid or "mail.mt_note"
        subtype_id = 1 if subtype == "mail.mt_comment" else 2
        message_id = self.insert("mail.message", {
            "model": model, "res_id": ids[0], "body": stored, "subject": subject or False,
            "message_type": message_type, "subtype_id": subtype_id,
            "partner_ids": list(partner_ids or []), "attachment_ids": list(attachment_ids or []),
            "date": self.clock(), "author_id": 3})
        if subtype_id == 1:
            for partner in partner_ids or []:
                self.outgoing_mail.append({
                    "to": self.tables["res.partner"][partner]["email"], "subject": subject,
                    "body": stored, "message_id": message_id,
                    "attachments": [self.tables["ir.attachment"][a]["name"]
                                    for a in attachment_ids or []]})
        return message_id


def _empty(kind: Any) -> Any:
    if kind == "ids":
        return []
    if kind == "int":
        return 0
    if kind == "float":
        return 0.0
    return False


def _sort_key(value: Any) -> tuple[int, Any]:
    return (0, "") if value is False or value is None else (1, value)


def _as_html(text: str) -> str:
    """An Html field takes a str as HTML (sanitised, not escaped); bare text gets a <p>."""
    return text if text.lstrip().startswith("<") else f"<p>{text}</p>"
