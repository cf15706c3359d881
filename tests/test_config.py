"""A malformed config names the key, the file and the line; secrets never come from the file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from connector.config import load_config
from connector.errors import ConfigError
from tests.helpers import write_config


def error_for(tmp_path: Path, extra: str = "", replace: tuple[str, str] | None = None) -> ConfigError:
    path = write_config(tmp_path, extra=extra)
    if replace:
        path.write_text(path.read_text().replace(*replace))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return caught.value


def test_example_config_is_valid_and_shipped_identically() -> None:
    root = Path(__file__).resolve().parent.parent
    config = load_config(root / "config.example.toml")
    assert [level.name for level in config.policy.levels] == ["courtesy", "first", "second", "final",
                                                             "formal_notice", "escalate"]
    assert (root / "config.example.toml").read_text() == \
        (root / "connector" / "config_example.toml").read_text()


def test_unknown_top_level_key(tmp_path: Path) -> None:
    error = error_for(tmp_path, replace=("tenant = ", "tenent = \"x\"\ntenant = "))
    assert error.key == "tenent" and error.line == 1 and "relance.toml" in str(error)


def test_unknown_key_in_a_table(tmp_path: Path) -> None:
    error = error_for(tmp_path, replace=("reply_to =", "replyto ="))
    assert error.key == "sender.replyto" and error.line == 12


def test_unknown_key_in_the_source_table(tmp_path: Path) -> None:
    error = error_for(tmp_path, replace=("seed = 42", "sed = 42"))
    assert error.key == "source.sed" and error.line == 6


def test_bad_type_in_a_level(tmp_path: Path) -> None:
    error = error_for(tmp_path, extra='\n[policy]\n[[policy.levels]]\nname = "a"\ndays = "soon"\n'
                                      'template = "first"\n')
    assert error.key == "policy.levels.0.days" and "integer" in str(error)


def test_unknown_channel(tmp_path: Path) -> None:
    error = error_for(tmp_path, extra='\n[policy]\n[[policy.levels]]\nname = "a"\ndays = 1\n'
                                      'template = "first"\nchannel = "fax"\n')
    assert error.key is not None and error.key.startswith("policy.levels.0.channel")


def test_unknown_source_kind(tmp_path: Path) -> None:
    error = error_for(tmp_path, replace=('kind = "demo"', 'kind = "ciel"'))
    assert error.key == "source.kind" and "ciel" in str(error) and error.line == 5


def test_not_toml(tmp_path: Path) -> None:
    error = error_for(tmp_path, extra="\n[sender\n")
    assert "TOML" in str(error) and error.line is not None


def test_missing_required_key(tmp_path: Path) -> None:
    error = error_for(tmp_path, replace=('email = "compta@atelier-dupuis.fr"\n', ""))
    assert error.key == "sender.email" and "required" in str(error)


def test_smtp_needs_a_host(tmp_path: Path) -> None:
    error = error_for(tmp_path, replace=('transport = "file"', 'transport = "smtp"'))
    assert error.key == "email" and "host" in str(error)


def test_unknown_time_zone(tmp_path: Path) -> None:
    error = error_for(tmp_path, replace=('tenant = "acme"', 'tenant = "acme"\ntimezone = "Paris"'))
    assert error.key == "timezone"


def test_relative_paths_follow_the_config_file(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path / "client"))
    assert config.state_url == f"sqlite:///{(tmp_path / 'client' / 'state.db').resolve()}"
    assert config.outbox_dir == (tmp_path / "client" / "outbox").resolve()


@pytest.mark.parametrize(("key", "value", "says"), [
    ("siren", "123 456 789", "not a valid SIREN"),
    ("siret", "123 456 782 00001", "not a valid SIRET"),
    ("iban", "FR76 3000 6000 0112 3456 7890 188", "not a valid IBAN"),
    ("bic", "AGRI", "not a valid BIC"),
    ("payment_link", "https://pay.example/{invoice}", "unknown placeholder(s) invoice"),
    ("payment_link", "http://pay.example/", "https://"),
])
def test_sender_identifiers_and_payment_details_are_checked(tmp_path: Path, key: str, value: str,
                                                            says: str) -> None:
    path = write_config(tmp_path)
    line = 'reply_to = "relances@atelier-dupuis.fr"'
    text = re.sub(rf"^{key} = .*\n", "", path.read_text(encoding="utf-8"), flags=re.MULTILINE)
    path.write_text(text.replace(line, f'{line}\n{key} = "{value}"'), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    error = caught.value
    assert error.key == f"sender.{key}" and error.line == 13 and says in str(error)


def test_sender_identity_is_kept_in_its_canonical_form(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path))
    assert config.sender.siren == "123456782" and config.sender.rcs_city == "Lyon"
    assert config.sender.iban == "FR76 3000 6000 0112 3456 7890 189"
    assert config.sender.missing_for_letters() == []
