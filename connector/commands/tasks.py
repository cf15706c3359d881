"""`relance tasks`: the calls and letters waiting for a person; `done`, `assign`.

The logic lives in app/tasks.py; these commands only parse and print.
"""

from __future__ import annotations

import json

import click

from connector.app import tasks as tasks_app
from connector.commands.context import Obj, fail, handle_errors
from connector.commands.pauses import _who
from connector.commands.words import say


def register(main: click.Group) -> None:
    @main.group("tasks", invoke_without_command=True)
    @click.option("--all", "every", is_flag=True, help="Closed tasks too.")
    @click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
    @click.pass_context
    @handle_errors
    def tasks(ctx: click.Context, every: bool, as_json: bool) -> None:
        """List the open tasks (calls, registered letters), soonest first."""
        if ctx.invoked_subcommand is not None:
            return
        obj: Obj = ctx.obj
        tenant = obj.tenant()
        rows = tasks_app.list_tasks(tenant.store, tenant.name, every=every)
        if as_json:
            click.echo(json.dumps(rows, indent=2, default=str, ensure_ascii=False))
            return
        if not rows:
            click.echo(say("tasks.none_open" if not every else "tasks.none", obj.language))
            return
        for row in rows:
            owner = row["owner"] or say("tasks.unassigned", obj.language)
            state = "" if row["status"] == "open" else say(
                "tasks.done_by", obj.language, day=f"{row['done_at']:%Y-%m-%d}", by=row["done_by"],
                note=say("tasks.note", obj.language, note=row["note"]) if row["note"] else "") \
                if row["done_at"] else f"  [{row['status']}]"
            click.echo(f"#{row['id']:<5} {row['due_date']}  {owner:<14} {row['title']}{state}")

    @tasks.command("done")
    @click.argument("task_id", type=int)
    @click.option("--note", help="What was done or agreed.")
    @click.option("--by", help="Who did it (default: the OS user).")
    @click.pass_obj
    @handle_errors
    def tasks_done(obj: Obj, task_id: int, note: str | None, by: str | None) -> None:
        """Close task ID (in the source too where it was pushed there)."""
        tenant = obj.tenant()
        closed = tasks_app.done(tenant.store, tenant.name, task_id, by=_who(by),
                                now=tenant.clock.now(), note=note, adapter=tenant.adapter)
        if not closed.found:
            fail(obj.language, say("tasks.no_task", obj.language, id=task_id))
        click.echo(say("tasks.closed", obj.language, id=task_id))
        if closed.in_source is False:
            click.echo(say("tasks.not_in_source", obj.language,
                           problem=f" ({closed.problem})" if closed.problem else ""))

    @tasks.command("assign")
    @click.argument("task_id", type=int)
    @click.argument("user")
    @click.pass_obj
    @handle_errors
    def tasks_assign(obj: Obj, task_id: int, user: str) -> None:
        """Give task ID to USER."""
        tenant = obj.tenant()
        if not tasks_app.assign(tenant.store, tenant.name, task_id, user):
            fail(obj.language, say("tasks.no_task", obj.language, id=task_id))
        click.echo(say("tasks.assigned", obj.language, id=task_id, user=user))
