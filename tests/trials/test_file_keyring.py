"""The trials' file keyring is chosen only where a trial names its file.

The fault trials import it into the test process; keyring builds its default backend from every
backend class imported so far, so an always-viable file keyring became part of the default chain
of later tests and raised KeyError (its variable unset) when a store read its password."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROBE = """
import keyring, keyring.backend
from tests.trials.file_keyring import FileKeyring
assert not any(isinstance(k, FileKeyring) for k in keyring.backend.get_all_keyring())
keyring.core._keyring_backend = None  # let keyring choose again, with the class imported
chosen = keyring.get_keyring()
inside = getattr(chosen, "backends", [chosen])  # the chain's members, or the one backend
print(sorted({type(k).__name__ for k in inside}))
"""


def test_importing_the_file_keyring_does_not_make_it_the_default(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in ("RELANCE_TEST_KEYRING", "PYTHON_KEYRING_BACKEND")}
    env["XDG_CONFIG_HOME"] = str(tmp_path)  # no keyringrc.cfg picks a backend for it
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          env=env, cwd=Path(__file__).parents[2], timeout=60)
    assert done.returncode == 0, done.stderr
    assert "FileKeyring" not in done.stdout, done.stdout


def test_a_trial_that_names_its_file_gets_it(tmp_path: Path, monkeypatch) -> None:
    from tests.trials.file_keyring import FileKeyring

    monkeypatch.setenv("RELANCE_TEST_KEYRING", str(tmp_path / "keys.json"))
    backend = FileKeyring()
    assert FileKeyring.viable
    backend.set_password("relance", "smtp", "s3cret")
    assert backend.get_password("relance", "smtp") == "s3cret"
