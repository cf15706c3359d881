"""`plan`'s output as a person or a script reads it: the JSON text and the table, streamed."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from connector.commands import views
from connector.rules.payload import DueItem, ReminderPayload

DAY = dt.date(2026, 11, 27)


def intent(n: int, name: str, *, level: str = "first", amount: str = "120.50") -> ReminderPayload:
    item = DueItem(f"INV{n}", f"INV{n}", f"F-{n:04d}", DAY - dt.timedelta(days=40),
                   DAY - dt.timedelta(days=10), "EUR", Decimal(amount), Decimal(amount), 10,
                   level)
    return ReminderPayload(key=f"k{n}", tenant="t", source="demo", customer_id=f"C{n}",
                           customer_name=name, customer_kind="company", language="fr",
                           level=level, channel="email", template=level,
                           recipients=(f"compta{n}@exemple.fr",), currency="EUR",
                           items=(item,), credit_notes=(), planned_for=DAY)


NAMES = ["Café « Ŝoleil » \"SARL\" \\ 😀", "tab\tnew\nline\x01", "lone \ud800 surrogate",
         "Plain"]


def test_plan_json_is_the_standard_librarys_indented_text() -> None:
    intents = [intent(n, name) for n, name in enumerate(NAMES)]
    expected = json.dumps(views.plan_rows(intents), indent=2, ensure_ascii=False)
    assert views.plan_json(intents) == expected
    assert views.plan_json(iter(intents)) == expected  # streamed, one reminder at a time
    assert views.plan_json([]) == json.dumps([], indent=2)


def test_plan_table_read_once_aligns_on_the_widest_line() -> None:
    small, large = intent(1, "SARL Petit"), intent(2, "SAS Grand", level="formal",
                                                   amount="1234567.89")
    text = views.plan_table(iter([small, large]), "fr", 80)  # a stream, read once
    head, first, _numbers, second, *_rest = text.splitlines()
    assert first.endswith(" 120,50\xa0€") and second.endswith("567,89\xa0€")
    assert len(head) == len(first) == len(second)  # the small amount padded to the large one
    assert first.split()[2:4] == ["first", "email"] and "formal" in second
    assert text.splitlines()[-1] == "2 relance(s) pour 2 client(s)."
    assert views.plan_table(iter([small, large]), "en").splitlines()[-1] == \
        "2 reminder(s) for 2 customer(s)."
    assert views.plan_table(iter([]), "en") == "Nothing to send today."


def test_invoice_numbers_wrap_as_textwrap_does() -> None:
    import textwrap

    for text in ["F-1 (J+3)", "F-1 (J+3), " * 12 + "F-9 (J+1)", " F-2 (J+1)", "F-3\t(J+2)",
                 "x" * 76, "x" * 77, "F-4 (J+5)  [à valider]", "A-B-C " * 20]:
        assert views._wrapped(text, 80) == textwrap.wrap(
            text, width=80, initial_indent="    ", subsequent_indent="    ",
            break_on_hyphens=False), text
