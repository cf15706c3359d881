"""Text shown to people by the CLI: plan tables, run summaries, status. No decisions here."""

from __future__ import annotations

import json
import shutil
import textwrap
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from connector import formatting
from connector.clock import local_time
from connector.commands.words import counts, label, say
from connector.rules.engine import ReminderIntent

if TYPE_CHECKING:  # loaded by the commands that deliver
    import datetime as dt

    from connector.app.lint import Finding
    from connector.delivery.dispatch import DeliveryReport
    from connector.rules.calendar import BusinessCalendar
    from connector.rules.pauses import Pause

SHOWN = 50  # delivery problems listed by `run` (the outbox has them all)
NAME_MIN = 12  # the plan table's customer column, at the narrowest


def screen_width() -> int:
    """The terminal's width (COLUMNS when set); 80 when output is piped, never less."""
    return max(80, shutil.get_terminal_size((80, 24)).columns)


def money(amount: Any, currency: str, language: str = "fr") -> str:
    return formatting.money(amount, currency, language)


def day(value: dt.date, language: str) -> str:
    """A date inside a sentence: 27/11/2026 in French, 2026-11-27 in English."""
    return value.strftime("%d/%m/%Y") if language != "en" else value.isoformat()


def closed_day(calendar: BusinessCalendar, value: dt.date, language: str) -> str:
    """Why `value` is not a business day, in words: a weekend day or which holiday."""
    from babel.dates import format_date
    if value.weekday() >= 5:
        weekday = format_date(value, "EEEE", locale=formatting.locale(language))
        return say("day.weekend", language, day=day(value, language), weekday=weekday)
    return say("day.holiday", language, day=day(value, language),
               name=calendar.holiday(value, language))


def plan_rows(intents: Iterable[ReminderIntent]) -> list[dict[str, Any]]:
    return [plan_row(i) for i in intents]


def plan_row(i: ReminderIntent) -> dict[str, Any]:
    return {
        "key": i.key, "customer_id": i.customer_id, "customer": i.customer_name,
        "level": i.level, "channel": i.channel, "recipients": list(i.recipients),
        "invoices": [{"number": x.number, "item_id": x.item_id, "due_date": x.due_date.isoformat(),
                      "days_late": x.days_late, "level": x.level, "residual": str(x.residual)}
                     for x in i.items],
        "credit_notes": [{"number": c.number, "residual": str(c.residual)} for c in i.credit_notes],
        "currency": i.currency, "amount_due": str(i.amount_due),
        "amount_to_pay": str(i.amount_to_pay), "planned_for": i.planned_for.isoformat(),
        "review": i.review,
    }


def plan_json(intents: Iterable[ReminderIntent]) -> str:
    return "".join(plan_json_chunks(intents))


def plan_json_chunks(intents: Iterable[ReminderIntent]) -> Iterator[str]:
    """The JSON array of `plan --json`, one reminder at a time (the text `json.dumps(rows,
    indent=2, ensure_ascii=False)` gives, without holding every row: a first plan at 100k is 40k
    of them), through `formatting.indented_json`."""
    opened = False
    for intent in intents:
        row = formatting.indented_json(plan_row(intent)).replace("\n", "\n  ")
        yield (",\n  " if opened else "[\n  ") + row
        opened = True
    yield "\n]" if opened else "[]"


def plan_table(intents: Iterable[ReminderIntent], language: str = "fr", width: int = 80) -> str:
    """One line per reminder that fits `width` (the name gives way, never the amount), its
    level and channel in words (a custom level by its own name), its invoices wrapped on the
    lines below. Reads `intents` once, keeping only each one's text
    (the columns' widths need every line first; a first plan at 100k is 20k reminders)."""
    rows = [_table_row(i, language) for i in intents]
    if not rows:
        return say("plan.nothing", language)
    head = [say(f"col.{c}", language) for c in ("customer", "level", "channel", "to_pay")]
    level_w = max([len(head[1])] + [len(r.level) for r in rows])
    channel_w = max([len(head[2])] + [len(r.channel) for r in rows])
    amount_w = max([len(head[3])] + [len(r.amount) for r in rows])
    # A long level ("dernière relance avant mise en demeure") gives way before the name does.
    level_w = max(len(head[1]), min(level_w, width - 1 - NAME_MIN - channel_w - amount_w - 3))
    name_w = max(NAME_MIN, width - 1 - level_w - channel_w - amount_w - 3)  # last column free
    lines = [(f"{head[0]:<{name_w}} {head[1]:<{level_w}} {head[2]:<{channel_w}} "
              f"{head[3]:>{amount_w}}")]
    for r in rows:
        lines.append(f"{elide(r.name, name_w):<{name_w}} {elide(r.level, level_w):<{level_w}} "
                     f"{r.channel:<{channel_w}} {r.amount:>{amount_w}}")
        lines += _wrapped(r.numbers, width)
    lines.append(say("plan.total", language, n=len(rows),
                     customers=len({r.customer_id for r in rows})))
    waiting = sum(1 for r in rows if r.review)
    if waiting:
        lines.append(say("plan.approval", language, n=waiting))
    return "\n".join(lines)


def _wrapped(text: str, width: int) -> list[str]:
    """`textwrap.wrap` under a reminder's line; a text that fits as it is (most of them, 20k
    in a first plan) is what it would give, without its regular expressions."""
    if len(text) + 4 <= width and text == text.strip() and text.isprintable():
        return ["    " + text]
    return textwrap.wrap(text, width=width, initial_indent="    ", subsequent_indent="    ",
                         break_on_hyphens=False)


class _TableRow(NamedTuple):
    customer_id: str
    name: str
    level: str
    channel: str
    amount: str
    numbers: str
    review: bool


def _table_row(i: ReminderIntent, language: str) -> _TableRow:
    numbers = ", ".join(f"{x.number} (J{x.days_late:+d})" for x in i.items)
    if i.credits:
        numbers += say("plan.credit", language, amount=money(i.credits, i.currency, language))
    if i.review:
        numbers += say("plan.to_approve", language)
    return _TableRow(i.customer_id, i.customer_name, label("level", i.level, language),
                     label("channel", i.channel, language),
                     money(i.amount_to_pay, i.currency, language), numbers, i.review)


def elide(text: str, width: int) -> str:
    """`text` cut to `width` characters, an ellipsis marking the cut."""
    return text if len(text) <= width else text[:max(width - 1, 0)] + "…"


def finding_text(finding: Finding, language: str = "fr") -> str:
    """A `rules check` finding in `language`, its dates as the language writes them; a text
    worded elsewhere (a prescription, a rates file) as it came."""
    from datetime import date
    text = "".join(say(key, language, **{k: day(v, language) if isinstance(v, date) else v
                                          for k, v in values.items()})
                   for key, values in finding.parts) if finding.parts else finding.text
    return say(f"rules.finding_{finding.severity}", language, where=finding.where, text=text)


def cursor_summary(value: Any, language: str = "fr") -> str:
    """A source's cursor as a person can read it: its fields, not raw JSON; an opaque token
    shown by its end only."""
    try:
        data = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        data = value
    if isinstance(data, dict):
        return (", ".join(f"{k} {elide(str(v), 28)}" for k, v in data.items())
                or say("cursor.start", language))
    if isinstance(data, list):
        return " / ".join(elide(str(v), 28) for v in data) or say("cursor.start", language)
    text = str(data)
    return say("cursor.token", language, end=text[-8:]) if len(text) > 28 else text


def hold_rows(holds: Sequence[tuple[Pause, str]], language: str = "fr") -> list[dict[str, Any]]:
    """Tenant.holds() as paused_text's rows, each pause worded in `language`."""
    rows = []
    for pause, target in holds:
        what = say(f"hold.{pause.kind}", language)
        if pause.until:
            what += say("hold.until", language, day=day(pause.until, language))
        if pause.reason:
            what += f" ({pause.reason})"
        rows.append({"scope": pause.scope, "target": target,
                     "what": say("hold.by", language, what=what, by=pause.created_by)})
    return rows


def paused_text(paused: Sequence[dict[str, Any]], language: str = "fr") -> str:
    """Invoices and customers on hold: listed so nobody wonders why they get nothing."""
    lines = [say("paused.head", language, n=len(paused))]
    lines += [say("paused.row", language, scope=label("scope", p["scope"], language),
                  target=p["target"], what=p["what"]) for p in paused]
    return "\n".join(lines)


def delivery_summary(report: DeliveryReport | None, language: str = "fr") -> str:
    if report is None:
        return say("delivery.dry", language)
    text = say("delivery.counts", language, sent=report.sent, skipped=report.skipped,
               failed=report.failed, retried=report.retried, uncertain=report.uncertain)
    if report.waiting:
        text += "\n" + say("delivery.window", language)
    for destination, why in report.stopped.items():
        text += "\n" + say("delivery.stopped", language, destination=destination, why=why)
    reasons = [say("delivery.reason", language, state=label("state", status, language),
                   key=key[:12], reason=reason)
               for key, status, reason in report.details
               if status in ("skipped", "failed", "retried", "uncertain") and reason]
    if len(reasons) > SHOWN:
        reasons = reasons[:SHOWN] + [say("more", language, n=len(reasons) - SHOWN)]
    hints = []
    if report.failed or report.retried:
        hints.append(say("delivery.hint_failed", language))
    if report.uncertain:
        hints.append(say("delivery.hint_uncertain", language))
    return "\n".join([text, *reasons, *hints])


def waiting_text(rows: Sequence[dict[str, Any]], timezone: str, language: str = "fr") -> str:
    """Reminders rescheduled by an earlier run: not due yet, so not tried now, but not sent."""
    lines = [say("waiting.head", language, n=len(rows))]
    lines += [say("waiting.row", language, key=r["key"][:12], channel=r["channel"],
                  next=local_time(r["next_attempt_at"], timezone), attempts=r["attempts"],
                  reason=r["reason"] or "-") for r in rows[:SHOWN]]
    return "\n".join(lines)


def status_text(status: dict[str, Any], timezone: str = "Europe/Paris", width: int = 80,
                language: str = "fr") -> str:
    """What the tenant's state looks like, times in its zone, each line within `width`."""
    last = status.get("last_sync") or {}
    when = last.get("finished_at") or last.get("started_at")
    lines = [say("status.head", language, tenant=status["tenant"], source=status["source"],
                 today=status["today"]),
             say("status.last_sync", language,
                 when=local_time(when, timezone) if when else say("never", language),
                 status=label("run", last.get("status", "-"), language),
                 error=" – " + last["error"] if last.get("error") else ""),
             say("status.records", language, counts=counts(status["records"], "stream", language)),
             say("status.outbox", language,
                 counts=counts(dict(sorted(status["outbox"].items())), "state", language)
                 or say("empty", language))]
    if status["outbox"].get("pending_approval"):
        lines.append(say("status.pending", language, n=status["outbox"]["pending_approval"]))
    if status.get("waiting_for_cap"):
        lines.append(say("status.capped", language, n=status["waiting_for_cap"]))
    if status.get("letters"):  # registered letters: written, then posted by a person
        lines.append(say("status.letters", language,
                         counts=counts(dict(sorted(status["letters"].items())), "letters",
                                       language)))
    if status["cursors"]:
        lines.append(say("status.cursors", language))
        lines += [say("status.cursor", language, stream=c["stream"],
                      value=cursor_summary(c["value"], language),
                      when=local_time(c["updated_at"], timezone)) for c in status["cursors"]]
    if not when:
        lines.append(say("status.no_sync", language))
    for warning in status.get("warnings", []) + status.get("law_warnings", []):
        lines.append(say("warning", language, text=warning))
    if status["open_tasks"]:
        total = status.get("open_tasks_total", len(status["open_tasks"]))
        lines.append(say("status.tasks", language, n=total))
        lines += [f"  {task['due_date']}  {task['title']}" for task in status["open_tasks"]]
        if total > len(status["open_tasks"]):
            lines.append(say("status.more_tasks", language, n=total - len(status["open_tasks"])))
    if status.get("pauses"):
        lines.append(paused_text(status["pauses"], language))
    if status["recent_rejects"]:
        lines.append(say("status.rejects", language))
        lines += [f"  {r['stream']} {r['source_id']}: {r['reason']}" for r in
                  status["recent_rejects"]]
    return "\n".join(elide(line, width) for text in lines for line in text.splitlines())
