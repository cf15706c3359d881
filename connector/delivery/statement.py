"""The statement of account (relevé de compte) attached to a reminder, laid out with fpdf2.

The statement lists every open item of the customer in the reminder's currency (those reminded and
the others), the credit notes, the balance to pay and how to pay it: what a customer's accountant
needs to reconcile without calling. Dated by the reminder, so the same reminder gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from babel.dates import format_date

from connector import formatting
from connector.delivery.letter import FONT, font_dir

if TYPE_CHECKING:
    from fpdf import FPDF

HEADS: dict[str, tuple[str, ...]] = {
    "fr": ("Pièce", "Date", "Échéance", "Montant", "Reste dû"),
    "en": ("Document", "Date", "Due", "Amount", "Balance"),
}
WORDS: dict[str, dict[str, str]] = {
    "fr": {"title": "Relevé de compte", "at": "au {day}", "ref": "Réf. client : {id}",
           "invoice": "Facture {n}", "credit": "Avoir {n}", "total": "Solde à régler",
           "iban": "Virement : IBAN {iban}{bic}", "link": "Paiement en ligne : {url}",
           "late": "{n} j de retard"},
    "en": {"title": "Statement of account", "at": "as of {day}", "ref": "Customer ref.: {id}",
           "invoice": "Invoice {n}", "credit": "Credit note {n}", "total": "Balance to pay",
           "iban": "Bank transfer: IBAN {iban}{bic}", "link": "Pay online: {url}",
           "late": "{n} d late"},
}


def _document(day: dt.date, title: str, author: str) -> FPDF:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_creation_date(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC))
    pdf.set_title(title)
    pdf.set_author(author)
    pdf.add_font(FONT, "", str(font_dir() / "Roboto-Regular.ttf"))
    pdf.add_font(FONT, "B", str(font_dir() / "Roboto-Bold.ttf"))
    pdf.set_margins(18, 16, 18)
    pdf.add_page()
    return pdf


def _line(pdf: FPDF, text: str, *, size: float = 10, bold: bool = False,
          align: str = "L") -> None:
    from fpdf.enums import XPos, YPos

    pdf.set_font(FONT, "B" if bold else "", size)
    pdf.multi_cell(0, size * 0.55, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def statement_pdf(context: dict[str, Any], language: str) -> bytes:
    """The statement for a reminder's template context (delivery/messages.py)."""
    lang = "en" if language == "en" else "fr"
    words = WORDS[lang]
    currency = str(context["currency"])
    day = dt.date.fromisoformat(str(context["today"]))
    sender = context["sender"]

    def money(value: Decimal) -> str:
        return formatting.money(value, currency, lang)

    def date(value: dt.date) -> str:
        return format_date(value, "short", locale=formatting.locale(lang))

    pdf = _document(day, words["title"], str(sender["name"]))
    _line(pdf, str(sender.get("legal_name") or sender["name"]), bold=True)
    for part in (sender.get("address") or "").splitlines():
        _line(pdf, part)
    _line(pdf, str(sender["email"]))
    pdf.ln(4)
    _line(pdf, str(context["customer_name"]), bold=True, align="R")
    for part in (context.get("customer_address") or "").splitlines():
        _line(pdf, part, align="R")
    _line(pdf, words["ref"].format(id=context["customer_id"]), align="R")
    pdf.ln(4)
    _line(pdf, f"{words['title']} {words['at'].format(day=formatting.long_date(day, lang))}",
          size=13, bold=True)
    pdf.ln(2)
    items = sorted([*context["items"], *context["other_open"]], key=lambda i: i.due_date)
    credits = list(context["credit_notes"])
    pdf.set_font(FONT, "", 9.5)
    with pdf.table(col_widths=(44, 24, 34, 26, 26), line_height=5.5,
                   text_align=("LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT"),
                   first_row_as_headings=True) as table:
        row = table.row()
        for cell in HEADS[lang]:
            row.cell(cell)
        for item in items:
            late = f" ({words['late'].format(n=item.days_late)})" if item.days_late > 0 else ""
            row = table.row()
            for cell in (words["invoice"].format(n=item.number), date(item.issue_date),
                         date(item.due_date) + late, money(item.total), money(item.residual)):
                row.cell(cell)
        for credit in credits:
            row = table.row()
            for cell in (words["credit"].format(n=credit.number), date(credit.issue_date), "",
                         "", "-" + money(credit.residual)):
                row.cell(cell)
    balance = sum((i.residual for i in items), Decimal(0)) - sum(
        (c.residual for c in credits), Decimal(0))
    pdf.ln(3)
    _line(pdf, f"{words['total']} : {money(max(balance, Decimal(0)))}" if lang == "fr"
          else f"{words['total']}: {money(max(balance, Decimal(0)))}", size=11.5, bold=True,
          align="R")
    pdf.ln(3)
    if sender.get("iban"):
        bic = f", BIC {sender['bic']}" if sender.get("bic") else ""
        _line(pdf, words["iban"].format(iban=sender["iban"], bic=bic))
    for link in context.get("payment_links") or []:
        _line(pdf, words["link"].format(url=link["url"]))
    return bytes(pdf.output())
