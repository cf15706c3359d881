"""`plan`'s output as a person or a script reads it: the JSON text and the table, streamed."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from connector.commands import views
from connector.rules.payload import DueItem, ReminderPayload

DAY = dt.date(2026, 11, 27)


def intent(n: int, name: str, *, level: str = "first", amount: str = "120.50",
           channel: str = "email") -> ReminderPayload:
    item = DueItem(f"INV{n}", f"INV{n}", f"F-{n:04d}", DAY - dt.timedelta(days=40),
                   DAY - dt.timedelta(days=10), "EUR", Decimal(amount), Decimal(amount), 10,
                   level)
    return ReminderPayload(key=f"k{n}", tenant="t", source="demo", customer_id=f"C{n}",
                           customer_name=name, customer_kind="company", language="fr",
                           level=level, channel=channel, template=level,
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
    assert first.split()[2:5] == ["première", "relance", "e-mail"] and "formal" in second
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


def test_a_collector_reads_levels_and_channels_in_words_french_first() -> None:
    """The table names the level and the channel as a collector says them, in the tenant's
    language; a level the accountant named himself ([[policy.levels]] name) shows as written."""
    rows = [intent(1, "SARL Petit"), intent(2, "SAS Grand", level="formal_notice",
                                            channel="letter"),
            intent(3, "EURL Moyen", level="second", channel="task"),
            intent(4, "SCI Autre", level="relance_maison", channel="source_email")]
    french = views.plan_table(iter(rows), "fr", 120).splitlines()
    assert french[0].split() == ["client", "niveau", "canal", "à", "payer"]
    assert "première relance" in french[1] and " e-mail " in french[1]
    assert "mise en demeure" in french[3] and "lettre recommandée" in french[3]
    assert "deuxième relance" in french[5] and " tâche " in french[5]
    assert "relance_maison" in french[7] and "e-mail par la source" in french[7]
    assert not any(word in " ".join(french) for word in ("first", "formal_notice", "letter",
                                                         "source_email", " email "))
    english = views.plan_table(iter(rows), "en", 120).splitlines()
    assert english[0].split() == ["customer", "level", "channel", "to", "pay"]
    assert "first reminder" in english[1] and " email " in english[1]
    assert "formal notice" in english[3] and "registered letter" in english[3]
    assert "second reminder" in english[5] and " task " in english[5]
    assert "relance_maison" in english[7] and "email through the source" in english[7]


def test_json_keeps_the_identifiers() -> None:
    """Scripts read `plan --json`: the level and channel stay identifiers, whatever the
    language of the table."""
    row = json.loads(views.plan_json([intent(1, "SARL Petit", level="formal_notice",
                                             channel="letter")]))[0]
    assert (row["level"], row["channel"]) == ("formal_notice", "letter")


def test_the_longest_level_in_words_still_fits_the_line() -> None:
    """"dernière relance avant mise en demeure" beside a registered letter: at 80 columns the
    level gives way (cut, marked …) before the customer's name and the amount do."""
    rows = [intent(1, "SARL Petit Commerce de Lyon", level="final", channel="letter",
                   amount="1234567.89")]
    lines = views.plan_table(iter(rows), "fr", 80).splitlines()
    assert max(len(line) for line in lines) <= 80
    assert lines[1].startswith("SARL Petit") and lines[1].endswith("567,89\xa0€")
    assert "dernière relance avant" in lines[1] and "lettre recommandée" in lines[1]
    wide = views.plan_table(iter(rows), "fr", 120).splitlines()
    assert "dernière relance avant mise en demeure" in wide[1]


def test_the_table_words_are_the_messages_and_the_cockpits() -> None:
    """One wording for a collector wherever a level or channel shows: the CLI's catalogue
    says what the tasks and notes (delivery/messages.py) and the cockpit (web/words.py) say."""
    from connector.commands.catalogue import MESSAGES
    from connector.delivery.messages import STAGE_WORDS
    from connector.rules.channels import CHANNELS
    from connector.web.words import WORDS

    for level, french in STAGE_WORDS["fr"].items():
        assert MESSAGES[f"level.{level}"] == (french, STAGE_WORDS["en"][level]), level
    for channel in CHANNELS:
        assert MESSAGES[f"channel.{channel}"] == WORDS[f"channel_{channel}"], channel
