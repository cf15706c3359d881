"""Command areas, one module per area, each exposing `register(group)`.

`COMMANDS` names every top-level command with its area and its one-line help, so that `relance`,
`relance --help` and `relance --version` start without importing any area (nor SQLAlchemy,
pydantic or Alembic behind them): an area is imported when one of its commands runs.
tests/test_startup.py checks this table against what the areas register.
"""

from __future__ import annotations

import importlib

import click

COMMANDS: dict[str, tuple[str, str]] = {
    "approve": ("review", "Approve messages (KEY…, or --all): the next run sends them."),
    "bank": ("bank", "Bank statements: import a file, review the payments matched to invoices."),
    "auth": ("auth", "Grant relance access to an accounting system that uses OAuth2."),
    "check": ("loop", "Check the configuration, the source's reachability and credentials."),
    "clients": ("firm", "The client companies of a firm directory (--firm)."),
    "db": ("firm", "The state database."),
    "demo": ("loop", "The whole loop on the built-in demo ledger: sync, plan, write .eml files."),
    "dispute": ("pauses", "Hold reminders for INVOICE (number or id) while a dispute is open."),
    "history": ("history", "Messages, notes, tasks, pauses and payments of CUSTOMER (name, id or "
                           "invoice number)."),
    "import": ("imports", "Read invoices from a file: look at a spreadsheet before using it as "
                          "the source."),
    "jobs": ("worker", "The job queue per client: queued, running, failed, and the last error."),
    "init": ("loop", "Write a commented configuration file to start from."),
    "letters": ("letters", "Formal notices to post (the default), or batch / posted / received."),
    "outbox": ("loop", "Look at and settle reminders that need a person."),
    "penalties": ("penalties", "Late-payment interest by period, the €40 where due, and the "
                               "total."),
    "pause": ("pauses", "Hold every reminder to CUSTOMER (id or exact name) until a date."),
    "plan": ("loop", "Show what would be sent today, from the local state."),
    "promise": ("pauses", "Hold reminders for INVOICE until the promised date; unpaid after it, "
                          "escalate."),
    "reject": ("review", "Reject a message waiting for approval: it never goes out."),
    "report": ("report", "Aged balance, DSO, CEI, reminder success, payment behaviour, cash-in "
                         "forecast."),
    "resume": ("pauses", "End the disputes, promises and pauses of TARGET (an invoice or a "
                         "customer)."),
    "review": ("review", "List the messages waiting for approval, or show one (KEY) exactly as it "
                         "will go."),
    "rules": ("rules", "Check the reminder rules and explain their decisions."),
    "run": ("loop", "Sync, plan, re-check each invoice at the source, and deliver."),
    "secret": ("loop", 'Store secrets in the system keyring (service "relance").'),
    "serve": ("firm", "Run every client on its schedule until stopped (SIGTERM finishes the "
                      "delivery in hand)."),
    "status": ("loop", "Last sync, cursors, outbox counts, open tasks."),
    "sync": ("loop", "Pull customers, invoices and payments from the source into the local state."),
    "tasks": ("tasks", "List the open tasks (calls, registered letters), soonest first."),
    "templates": ("rules", "Look at the reminder texts."),
    "tenants": ("tenants", "Tenants of the state database (rename one, its history follows)."),
    "users": ("users", "The people who may use the web cockpit (`relance web`)."),
    "worker": ("worker", "Run the clients' jobs from the PostgreSQL queue until stopped (SIGTERM "
                         "finishes the delivery in hand)."),
    "web": ("web", "The collector's web cockpit: review, customers, tasks, letters, dashboard."),
}
AREAS = tuple(sorted({area for area, _ in COMMANDS.values()}))


def load_area(area: str) -> dict[str, click.Command]:
    """Import one area and return the commands it registers."""
    holder = click.Group()
    importlib.import_module(f"connector.commands.{area}").register(holder)
    return dict(holder.commands)


def register(main: click.Group) -> None:
    """Attach every area's commands at once (tests, documentation)."""
    for area in AREAS:
        for name, command in load_area(area).items():
            main.add_command(command, name)
