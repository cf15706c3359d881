"""Text shown to people by the CLI: plan tables, run summaries, status. No decisions here."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from connector import formatting
from connector.delivery.dispatch import DeliveryReport
from connector.rules.engine import ReminderIntent


def money(amount: Any, currency: str, language: str = "fr") -> str:
    return formatting.money(amount, currency, language)


def plan_rows(intents: Sequence[ReminderIntent]) -> list[dict[str, Any]]:
    return [{
        "key": i.key, "customer_id": i.customer_id, "customer": i.customer_name,
        "level": i.level, "channel": i.channel, "recipients": list(i.recipients),
        "invoices": [{"number": x.number, "item_id": x.item_id, "due_date": x.due_date.isoformat(),
                      "days_late": x.days_late, "level": x.level, "residual": str(x.residual)}
                     for x in i.items],
        "credit_notes": [{"number": c.number, "residual": str(c.residual)} for c in i.credit_notes],
        "currency": i.currency, "amount_due": str(i.amount_due),
        "amount_to_pay": str(i.amount_to_pay), "planned_for": i.planned_for.isoformat(),
    } for i in intents]


def plan_json(intents: Sequence[ReminderIntent]) -> str:
    return json.dumps(plan_rows(intents), indent=2, ensure_ascii=False)


def plan_table(intents: Sequence[ReminderIntent], language: str = "fr") -> str:
    if not intents:
        return "Nothing to send today."
    lines = [f"{'customer':<34} {'level':<9} {'channel':<8} {'to pay':>14}  invoices"]
    for i in intents:
        numbers = ", ".join(f"{x.number} (J{x.days_late:+d})" for x in i.items)
        credit = f" − avoir {money(i.credits, i.currency, language)}" if i.credit_notes else ""
        lines.append(f"{i.customer_name[:34]:<34} {i.level:<9} {i.channel:<8} "
                     f"{money(i.amount_to_pay, i.currency, language):>14}  {numbers}{credit}")
    lines.append(f"{len(intents)} reminder(s) for {len({i.customer_id for i in intents})} "
                 f"customer(s).")
    return "\n".join(lines)


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
    reasons = [f"  {status}: {key[:12]}… {reason}" for key, status, reason in report.details
               if status in ("skipped", "failed", "uncertain") and reason]
    return "\n".join([text, *reasons[:20]])


def status_text(status: dict[str, Any]) -> str:
    last = status.get("last_sync") or {}
    lines = [f"tenant {status['tenant']} · source {status['source']} · today {status['today']}",
             f"last sync: {last.get('finished_at') or last.get('started_at') or 'never'}"
             f" ({last.get('status', '-')}){' – ' + last['error'] if last.get('error') else ''}",
             "records: " + ", ".join(f"{k} {v}" for k, v in status["records"].items()),
             "outbox: " + (", ".join(f"{k} {v}" for k, v in sorted(status["outbox"].items()))
                           or "empty")]
    if status.get("letters"):  # registered letters: written, then posted by a person
        lines.append("letters: " + ", ".join(f"{k.replace('_', ' ')} {v}"
                                             for k, v in sorted(status["letters"].items())))
    for cursor in status["cursors"]:
        lines.append(f"cursor {cursor['stream']}: {cursor['value']} (at {cursor['updated_at']})")
    for warning in status.get("warnings", []) + status.get("law_warnings", []):
        lines.append(f"warning: {warning}")
    if status["open_tasks"]:
        lines.append(f"open tasks ({len(status['open_tasks'])}):")
        lines += [f"  {task['due_date']}  {task['title']}" for task in status["open_tasks"]]
    if status.get("pauses"):
        lines.append(paused_text(status["pauses"]))
    if status["recent_rejects"]:
        lines.append("records skipped by recent syncs:")
        lines += [f"  {r['stream']} {r['source_id']}: {r['reason']}" for r in
                  status["recent_rejects"]]
    return "\n".join(lines)
