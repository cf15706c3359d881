"""Odoo with the rights of a Billing user, as a real Odoo 17 grants them: no `ir.model`, no
`ir.model.data`; `check` names what the configured channels need; a level can ask for a Call;
activities go to a person and close."""

from __future__ import annotations

import xmlrpc.client
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connector.adapters.base import PushRequest
from tests.adapters.odoo.helpers import TRANSPORTS, make_adapter, pushed_activities
from tests.e2e import relance, write_user_config
from tests.fakes.odoo_server import API_KEY, FakeOdooServer, running_fake_odoo

ENV = {"ODOO_KEY": API_KEY}


@pytest.fixture(params=TRANSPORTS)
def odoo(request: pytest.FixtureRequest) -> Iterator[FakeOdooServer]:
    with running_fake_odoo(request.param) as server:
        server.data.write("res.partner", 8, user_id=6)  # Beta's salesperson: Marie
        yield server


def request(**extra: Any) -> PushRequest:
    values: dict[str, Any] = {
        "key": "c0ffee01", "invoice_ids": ["4"], "customer_id": "8", "level": "second",
        "channel": "task", "summary": "Appeler le client – Beta Services SAS",
        "body": "Appeler le client – Beta Services SAS\nINV/2026/00004 : 1 200,00 €", **extra}
    return PushRequest(**values)


def test_the_fake_refuses_ir_model_to_a_billing_user_as_odoo_17_does(
        odoo: FakeOdooServer) -> None:
    url, database, _user, key = odoo.credentials()
    proxy = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object")
    for model in ("ir.model", "ir.model.data"):
        with pytest.raises(xmlrpc.client.Fault) as refused:
            proxy.execute_kw(database, odoo.data.uid, key, model, "search", [[]])
        assert refused.value.faultCode == 4 and "Administration/Access Rights" in \
            refused.value.faultString


@pytest.mark.parametrize(("task", "type_id"), [("call", 2), ("todo", 4)])
def test_a_billing_user_creates_calls_and_to_dos(task: str, type_id: int, odoo: FakeOdooServer,
                                                 tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    adapter = make_adapter(odoo, tmp_path, monkeypatch)
    [activity] = pushed_activities(odoo, adapter.push_task(request(task=task)))
    assert activity["activity_type_id"] == type_id  # 2 = Call (phonecall), 4 = To-Do
    assert activity["res_model"] == "account.move" and activity["res_id"] == 4
    assert activity["user_id"] == 6  # Marie, the customer's salesperson
    assert not {model for _, model, _ in odoo.calls} & {"ir.model", "ir.model.data"}


@pytest.mark.parametrize(("serie", "keep_done", "kept"), [
    ("17.0", True, False),  # 16 and 17 delete a done activity, whatever its type
    ("18.0", False, False), ("18.0", True, True)])  # 18 archives it if its type keeps them
def test_close_task_marks_the_activity_done_once(serie: str, keep_done: bool, kept: bool,
                                                 tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    with running_fake_odoo(serie) as odoo:
        odoo.data.write("res.partner", 8, user_id=6)
        if serie >= "18":
            odoo.data.write("mail.activity.type", 4, keep_done=keep_done)
        adapter = make_adapter(odoo, tmp_path, monkeypatch)
        pushed = adapter.push_task(request())
        [activity] = pushed_activities(odoo, pushed)
        before = len(odoo.data.tables["mail.message"])
        assert adapter.close_task(pushed, feedback="Facture réglée") is True
        left = odoo.data.tables["mail.activity"].get(activity["id"])
        assert (left is not None) is kept
        if kept:
            assert left is not None and left["active"] is False
        assert len(odoo.data.tables["mail.message"]) == before + 1  # "done" in the chatter
        assert "Facture réglée" in odoo.data.tables["mail.message"][max(
            odoo.data.tables["mail.message"])]["body"]
        assert adapter.close_task(pushed) is True  # already done: nothing more
        assert len(odoo.data.tables["mail.message"]) == before + 1
        assert adapter.close_task("not-an-id") is False


def level(channel: str, task: str = "todo") -> str:
    return (f'\n[policy]\n\n[[policy.levels]]\nname = "first"\ndays = 1\nchannel = {channel}\n'
            f'template = "first"\ntask = "{task}"\n')


def config(tmp_path: Path, odoo: FakeOdooServer, channel: str, task: str = "todo") -> Path:
    path = write_user_config(tmp_path, odoo.source_toml()
                             + 'activity_user = "marie@example.fr"\n')
    path.write_text(path.read_text(encoding="utf-8") + level(channel, task), encoding="utf-8")
    return path


def test_check_passes_for_a_billing_user(tmp_path: Path, odoo: FakeOdooServer) -> None:
    code, out = relance(config(tmp_path, odoo, '["email", "task"]'), "check", env=ENV)
    assert code == 0 and "tout est en ordre" in out, out


def test_check_names_the_right_a_configured_channel_lacks(tmp_path: Path,
                                                          odoo: FakeOdooServer) -> None:
    odoo.data.denied.add(("mail.activity", "create"))
    code, out = relance(config(tmp_path, odoo, '["email", "task"]'), "check", env=ENV)
    assert code == 2, out
    assert "droit manquant (requis par task) : mail.activity: create (create activities)" in out
    assert "tout est en ordre" not in out


def test_a_right_no_channel_needs_is_only_a_warning(tmp_path: Path, odoo: FakeOdooServer) -> None:
    odoo.data.denied.add(("mail.activity", "create"))
    code, out = relance(config(tmp_path, odoo, '"email"'), "check", env=ENV)
    assert code == 0, out
    assert "attention : droit manquant, inutile aux canaux configurés : mail.activity: " \
        "create" in out


def test_check_names_a_missing_note_right_for_email(tmp_path: Path, odoo: FakeOdooServer) -> None:
    odoo.data.denied.add(("mail.message", "create"))
    code, out = relance(config(tmp_path, odoo, '"email"'), "check", env=ENV)
    assert code == 2 and "requis par email) : mail.message: create" in out, out


def test_a_level_asks_for_a_call_end_to_end(tmp_path: Path, odoo: FakeOdooServer) -> None:
    path = config(tmp_path, odoo, '"task"', task="call")
    for args in (("sync",), ("run",)):
        code, out = relance(path, "--today", "2026-11-27", *args, env=ENV)
        assert code == 0, out
    activities = list(odoo.data.tables["mail.activity"].values())
    assert activities and {a["activity_type_id"] for a in activities} == {2}  # all Calls
    assert {a["user_id"] for a in activities} <= {6}  # Marie: salesperson or fallback
