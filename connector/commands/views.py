"""Text shown to people by the CLI: plan tables, run summaries, status. No decisions here."""

from __future__ import annotations

import json
import shutil
import textwrap
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import orjson

from connector import formatting
from connector.clock import local_time
from connector.rules.engine import ReminderIntent

if TYPE_CHECKING:  # loaded by the commands that deliver
    from connector.delivery.dispatch import DeliveryReport

SHOWN = 50  # delivery problems listed by `run` (the outbox has them all)


def screen_width() -> int:
    """The terminal's width (COLUMNS when set); 80 when output is piped, never less."""
    return max(80, shutil.get_terminal_size((80, 24)).columns)


def money(amount: Any, currency: str, language: str = "fr") -> str:
    return formatting.money(amount, currency, language)


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
    of them). orjson, because the standard library indents in Python, with nested functions
    that make reference cycles on every call: under `one_pass` (no cyclic GC) they piled up
    (+57 MB at 100k)."""
    opened = False
    for intent in intents:
        values = plan_row(intent)
        try:
            row = orjson.dumps(values, option=orjson.OPT_INDENT_2).decode()
        except orjson.JSONEncodeError:  # a lone surrogate in a name: the standard library's text
            row = json.dumps(values, indent=2, ensure_ascii=False)
        row = row.replace("\n", "\n  ")
        yield (",\n  " if opened else "[\n  ") + row
        opened = True
    yield "\n]" if opened else "[]"


def plan_table(intents: Iterable[ReminderIntent], language: str = "fr", width: int = 80) -> str:
    """One line per reminder that fits `width` (the name gives way, never the amount), its
    invoices wrapped on the lines below. Reads `intents` once, keeping only each one's text
    (the columns' widths need every line first; a first plan at 100k is 20k reminders)."""
    rows = [_table_row(i, language) for i in intents]
    if not rows:
        return "Nothing to send today."
    level_w = max([5] + [len(r.level) for r in rows])
    channel_w = max([7] + [len(r.channel) for r in rows])
    amount_w = max([6] + [len(r.amount) for r in rows])
    name_w = max(12, width - 1 - level_w - channel_w - amount_w - 3)  # the last column stays free
    lines = [(f"{'customer':<{name_w}} {'level':<{level_w}} {'channel':<{channel_w}} "
              f"{'to pay':>{amount_w}}")]
    for r in rows:
        lines.append(f"{elide(r.name, name_w):<{name_w}} {r.level:<{level_w}} "
                     f"{r.channel:<{channel_w}} {r.amount:>{amount_w}}")
        lines += _wrapped(r.numbers, width)
    lines.append(f"{len(rows)} reminder(s) for {len({r.customer_id for r in rows})} "
                 f"customer(s).")
    waiting = sum(1 for r in rows if r.review)
    if waiting:
        lines.append(f"{waiting} wait for approval once queued: relance review")
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
        numbers += f"; − avoir {money(i.credits, i.currency, language)}"
    if i.review:
        numbers += "  [à valider]"
    return _TableRow(i.customer_id, i.customer_name, i.level, i.channel,
                     money(i.amount_to_pay, i.currency, language), numbers, i.review)


def elide(text: str, width: int) -> str:
    """`text` cut to `width` characters, an ellipsis marking the cut."""
    return text if len(text) <= width else text[:max(width - 1, 0)] + "…"


def cursor_summary(value: Any) -> str:
    """A source's cursor as a person can read it: its fields, not raw JSON; an opaque token
    shown by its end only."""
    try:
        data = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        data = value
    if isinstance(data, dict):
        return ", ".join(f"{k} {elide(str(v), 28)}" for k, v in data.items()) or "start"
    if isinstance(data, list):
        return " / ".join(elide(str(v), 28) for v in data) or "start"
    text = str(data)
    return f"token …{text[-8:]}" if len(text) > 28 else text


def paused_text(paused: Sequence[dict[str, Any]]) -> str:
    """Invoices and customers on hold: listed so nobody wonders why they get nothing."""
    lines = [f"paused ({len(paused)}), nothing planned for:"]
    lines += [f"  {p['scope']} {p['target']}: {p['what']}" for p in paused]
    return "\n".join(lines)


def delivery_summary(report: DeliveryReport | None) -> str:
    if report is None:
        return "Dry run: nothing was sent."
    text = (f"sent {report.sent}, skipped {report.skipped}, failed {report.failed}, "
            f"rescheduled {report.retried}, uncertain {report.uncertain}")
    if report.waiting:
        text += "\noutside the send window: reminders are queued and leave on the next run inside it"
    for destination, why in report.stopped.items():
        text += f"\nstopped delivering by {destination}: {why}"
    words = {"retried": "rescheduled"}
    reasons = [f"  {words.get(status, status)}: {key[:12]}… {reason}"
               for key, status, reason in report.details
               if status in ("skipped", "failed", "retried", "uncertain") and reason]
    if len(reasons) > SHOWN:
        reasons = reasons[:SHOWN] + [f"  … and {len(reasons) - SHOWN} more"]
    hints = []
    if report.failed or report.retried:
        hints.append("see them with `relance outbox review --status failed` (or `--status "
                     "planned`); once the cause is fixed, `relance outbox retry` sends them now")
    if report.uncertain:
        hints.append("uncertain: check the sent mailbox, then `relance outbox resolve KEY "
                     "--sent/--not-sent`")
    return "\n".join([text, *reasons, *hints])


def waiting_text(rows: Sequence[dict[str, Any]], timezone: str) -> str:
    """Reminders rescheduled by an earlier run: not due yet, so not tried now, but not sent."""
    lines = [(f"{len(rows)} reminder(s) wait for a retry after a failure "
              "(`relance outbox retry` to try now):")]
    lines += [f"  {r['key'][:12]}… {r['channel']} next {local_time(r['next_attempt_at'], timezone)}"
              f" (attempt {r['attempts']}): {r['reason'] or '-'}" for r in rows[:SHOWN]]
    return "\n".join(lines)


def status_text(status: dict[str, Any], timezone: str = "Europe/Paris", width: int = 80) -> str:
    """What the tenant's state looks like, times in its zone, each line within `width`."""
    last = status.get("last_sync") or {}
    when = last.get("finished_at") or last.get("started_at")
    lines = [f"tenant {status['tenant']} · source {status['source']} · today {status['today']}",
             (f"last sync: {local_time(when, timezone) if when else 'never'}"
              f" ({last.get('status', '-')}){' – ' + last['error'] if last.get('error') else ''}"),
             "records: " + ", ".join(f"{k} {v}" for k, v in status["records"].items()),
             "outbox: " + (", ".join(f"{k} {v}" for k, v in sorted(status["outbox"].items()))
                           or "empty")]
    if status["outbox"].get("pending_approval"):
        lines.append(f"{status['outbox']['pending_approval']} message(s) wait for approval: "
                     "relance review")
    if status.get("waiting_for_cap"):
        lines.append(f"{status['waiting_for_cap']} message(s) due today wait for a later run "
                     "(policy.max_messages_per_run)")
    if status.get("letters"):  # registered letters: written, then posted by a person
        lines.append("letters: " + ", ".join(f"{k.replace('_', ' ')} {v}"
                                             for k, v in sorted(status["letters"].items())))
    if status["cursors"]:
        lines.append("cursors (where the next sync starts):")
        lines += [f"  {c['stream']}: {cursor_summary(c['value'])} "
                  f"(saved {local_time(c['updated_at'], timezone)})" for c in status["cursors"]]
    if not when:
        lines.append("no sync yet: run `relance sync` first")
    for warning in status.get("warnings", []) + status.get("law_warnings", []):
        lines.append(f"warning: {warning}")
    if status["open_tasks"]:
        total = status.get("open_tasks_total", len(status["open_tasks"]))
        lines.append(f"open tasks ({total}):")
        lines += [f"  {task['due_date']}  {task['title']}" for task in status["open_tasks"]]
        if total > len(status["open_tasks"]):
            lines.append(f"  … and {total - len(status['open_tasks'])} more: relance tasks")
    if status.get("pauses"):
        lines.append(paused_text(status["pauses"]))
    if status["recent_rejects"]:
        lines.append("records skipped by recent syncs:")
        lines += [f"  {r['stream']} {r['source_id']}: {r['reason']}" for r in
                  status["recent_rejects"]]
    return "\n".join(elide(line, width) for text in lines for line in text.splitlines())
