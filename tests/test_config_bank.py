"""A mistake in `[bank]` is refused with the key, the file and the line, like any other."""

from __future__ import annotations

from pathlib import Path

import pytest

from connector.config import load_config
from connector.errors import ConfigError
from tests.helpers import write_config


@pytest.mark.parametrize("table, line, key, words", [
    ("[bank]\nfolder = \"banque\"\nhold_dayz = 3\n", 3, "bank.hold_dayz", "unknown key"),
    ("[bank]\nhold_days = 0\n", 2, "bank.hold_days", "greater than or equal to 1"),
    ("[bank]\nmin_score = 20\n", 2, "bank.min_score", "greater than or equal to 60"),
    ("[bank]\n\n[bank.csv]\ndecimal = \";\"\n", 4, "bank.csv.decimal", "','"),
    ("[bank.csv]\nencoding = \"klingon\"\n", 2, "bank.csv.encoding", "unknown encoding"),
    ("[bank.csv]\ncurrency = \"EURO\"\n", 2, "bank.csv.currency", "ISO 4217"),
])
def test_bank_errors_name_key_file_and_line(tmp_path: Path, table: str, line: int, key: str,
                                            words: str) -> None:
    path = write_config(tmp_path, extra="\n" + table)
    first = len(path.read_text(encoding="utf-8").splitlines()) - len(table.splitlines())
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    text = str(caught.value)
    assert key in text and str(path) in text and words in text
    assert f"line {first + line}:" in text, text


def test_a_bank_table_with_defaults(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, extra='\n[bank]\nfolder = "banque"\n'))
    assert config.bank is not None and config.bank.hold_days == 10
    assert config.bank.folder_path(config.base_dir) == (tmp_path / "banque").resolve()
    assert config.bank.csv.mapping().label == "Libellé"
