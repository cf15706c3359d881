"""Review, approval, tasks and history as a collector types them (issue 13)."""

from __future__ import annotations

import email
import json
from email import policy as email_policy
from pathlib import Path

from connector.commands.context import EXAMPLE
from connector.config import load_config
from connector.store.store import Store
from tests.test_cli import TODAY, invoke

LATER = "2026-12-14"


def _demo_dir(tmp_path: Path, onboarding: str, extra: str = "") -> Path:
    """A fresh demo directory whose config sets `onboarding` (relance demo keeps a config)."""
    workdir = tmp_path / "demo"
    workdir.mkdir()
    text = EXAMPLE.read_text(encoding="utf-8").replace('tenant = "ma-societe"', 'tenant = "demo"')
    text = text.replace('anchor = "2026-11-27"', f'anchor = "{TODAY}"\ncustomers = 20\n'
                        'invoices = 300')
    text = text.replace('onboarding = "gentle"', f'onboarding = "{onboarding}"')
    (workdir / "relance.toml").write_text(text.replace("[tasks]\n", f"[tasks]\n{extra}"),
                                          encoding="utf-8")
    return workdir


def _emails(workdir: Path) -> list[Path]:
    return sorted((workdir / "outbox").glob("*.eml")) if (workdir / "outbox").exists() else []


def test_hold_sends_nothing_until_approved_then_exactly_what_was_approved(tmp_path: Path) -> None:
    workdir = _demo_dir(tmp_path, "hold")
    config = str(workdir / "relance.toml")
    demo = invoke("--today", TODAY, "demo", "--dir", str(workdir))
    assert demo.exit_code == 0, demo.output
    assert _emails(workdir) == []  # hold: nothing goes out
    assert "en attente de validation : relance --config" in demo.output
    listed = invoke("--config", config, "--today", TODAY, "review")
    assert listed.exit_code == 0 and "en attente de validation" in listed.output
    keys = [line.split()[0] for line in listed.output.splitlines() if len(line.split()[0]) == 32]
    assert len(keys) > 3
    status = invoke("--config", config, "--today", TODAY, "status")
    assert f"{len(keys)} message(s) en attente de validation" in status.output

    shown = invoke("--config", config, "--today", TODAY, "review", keys[0][:10])
    assert shown.exit_code == 0 and "--- texte ---" in shown.output and "--- HTML ---" in shown.output

    approved = invoke("--config", config, "--today", TODAY, "approve", keys[0], "--by", "marie")
    assert approved.exit_code == 0 and "1 message(s)" in approved.output
    run = invoke("--config", config, "--today", TODAY, "run", "--no-sync")
    assert run.exit_code == 0, run.output
    sent = _emails(workdir)
    assert [p.stem for p in sent] == [keys[0]]  # exactly the approved one
    message = email.message_from_bytes(sent[0].read_bytes(), policy=email_policy.default)
    assert message["X-Relance-Level"] == "first"  # a first run starts gently
    assert message["X-Relance-Invoices"]
    assert "précédent" not in message.get_body(("plain",)).get_content()
    left = invoke("--config", config, "--today", TODAY, "review")
    assert keys[0] not in left.output and keys[1] in left.output

    rejected = invoke("--config", config, "--today", TODAY, "reject", keys[1], "--reason",
                      "client en redressement judiciaire", "--by", "paul")
    assert rejected.exit_code == 0
    store = Store(load_config(config).state_url)
    with store.engine.connect() as conn:
        rows = {r.key: r for r in conn.exec_driver_sql(
            "SELECT key, status, reviewed_by, reviewed_at, reason FROM outbox")}
    assert (rows[keys[0]].status, rows[keys[0]].reviewed_by) == ("sent", "marie")
    assert (rows[keys[1]].status, rows[keys[1]].reviewed_by) == ("rejected", "paul")
    assert "redressement" in rows[keys[1]].reason and rows[keys[1]].reviewed_at is not None
    assert invoke("--config", config, "--today", TODAY, "approve", keys[1]).exit_code == 2


def test_first_day_is_gentle_and_dry_run_writes_previews(tmp_path: Path) -> None:
    workdir = _demo_dir(tmp_path, "gentle")
    config = str(workdir / "relance.toml")
    dry = invoke("--config", config, "--today", TODAY, "run", "--dry-run")
    assert dry.exit_code == 0, dry.output
    previews = sorted((workdir / "preview").glob("*.eml"))
    assert previews and f"dans {workdir.resolve() / 'preview'}" in dry.output
    assert _emails(workdir) == []
    levels = {email.message_from_bytes(p.read_bytes())["X-Relance-Level"] for p in previews}
    assert levels <= {"courtesy", "first"}


def test_cap_leaves_the_rest_waiting_and_status_says_so(tmp_path: Path) -> None:
    workdir = _demo_dir(tmp_path, "gentle")
    path = workdir / "relance.toml"
    path.write_text(path.read_text().replace('# max_messages_per_run = 50',
                                             'max_messages_per_run = 2'))
    run = invoke("--config", str(path), "--today", TODAY, "run")
    assert run.exit_code == 0, run.output
    assert len(_emails(workdir)) == 2 and "attendent la prochaine exécution" in run.output
    status = invoke("--config", str(path), "--today", TODAY, "status")
    assert "dus aujourd'hui attendent une exécution suivante" in status.output


def test_tasks_list_assign_done_and_history(tmp_path: Path) -> None:
    workdir = _demo_dir(tmp_path, "gentle", extra='owner = "marie"\n')
    config = str(workdir / "relance.toml")
    assert invoke("--config", config, "--today", TODAY, "run").exit_code == 0
    assert invoke("--config", config, "--today", LATER, "run").exit_code == 0  # second: a call
    tasks = json.loads(invoke("--config", config, "--today", LATER, "tasks", "--json").output)
    assert tasks and all(t["owner"] == "marie" and t["status"] == "open" for t in tasks)
    assert not any("second" in t["title"] or "final" in t["title"] for t in tasks)
    first = tasks[0]["id"]
    assert invoke("--config", config, "tasks", "assign", str(first), "paul").exit_code == 0
    done = invoke("--config", config, "--today", LATER, "tasks", "done", str(first), "--note",
                  "promet de payer vendredi", "--by", "paul")
    assert done.exit_code == 0, done.output
    still = json.loads(invoke("--config", config, "tasks", "--json").output)
    assert first not in [t["id"] for t in still]
    every = json.loads(invoke("--config", config, "tasks", "--all", "--json").output)
    closed = next(t for t in every if t["id"] == first)
    assert (closed["status"], closed["owner"], closed["done_by"]) == ("done", "paul", "paul")

    everyone = json.loads(invoke("--config", config, "history", "--json").output)
    assert len({e["customer_id"] for e in everyone}) > 1
    assert {"date", "kind", "level", "channel", "status", "invoices"} <= set(everyone[0])
    assert any(e["kind"] == "task_done" and "vendredi" in e["text"] for e in everyone)
    emailed: dict[str, list[str]] = {}
    for e in everyone:
        if e["kind"] == "message" and e["channel"] == "email":
            emailed.setdefault(e["customer_id"], []).append(e["level"])
    cid = next(c for c, levels in emailed.items() if len(levels) > 1)
    name = next(e["customer"] for e in everyone if e["customer_id"] == cid)
    events = json.loads(invoke("--config", config, "history", name, "--json").output)
    messages = [e for e in events if e["kind"] == "message" and e["channel"] == "email"]
    assert [e["level"] for e in messages] == emailed[cid] == ["first", "second"]
    assert all(e["invoices"] for e in messages)
    assert [e["date"] for e in events] == sorted(e["date"] for e in events)
    assert json.loads(invoke("--config", config, "history", cid, "--json").output) == events
    near = invoke("--config", config, "history", name[:-1] + "x")
    assert near.exit_code == 2 and "vouliez-vous dire" in near.output and name in near.output


def test_demo_onboarding_hold_shows_the_review_without_editing_the_config(tmp_path: Path) -> None:
    workdir = tmp_path / "fresh"
    demo = invoke("--today", TODAY, "demo", "--dir", str(workdir), "--onboarding", "hold")
    assert demo.exit_code == 0, demo.output
    assert _emails(workdir) == [] and "en attente de validation : relance --config" in demo.output
    assert 'onboarding = "hold"' in (workdir / "relance.toml").read_text(encoding="utf-8")
    listed = invoke("--config", str(workdir / "relance.toml"), "--today", TODAY, "review")
    assert listed.exit_code == 0 and "en attente de validation" in listed.output
    again = invoke("--today", TODAY, "demo", "--dir", str(workdir), "--onboarding", "resume")
    assert again.exit_code == 0, again.output  # an existing demo directory is switched too
    assert 'onboarding = "resume"' in (workdir / "relance.toml").read_text(encoding="utf-8")
