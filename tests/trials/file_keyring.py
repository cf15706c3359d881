"""A keyring backend in a JSON file, for subprocesses under trial (the machine has no keyring).

Selected with PYTHON_KEYRING_BACKEND=tests.trials.file_keyring.FileKeyring and the file named by
RELANCE_TEST_KEYRING. Writes are atomic (temp file + rename) under an flock, so a relance killed
mid-write leaves either the old or the new content, as a real keyring would.
"""

from __future__ import annotations

import fcntl
import json
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from jaraco.classes.properties import classproperty
from keyring.backend import KeyringBackend


class FileKeyring(KeyringBackend):
    @classproperty
    def priority(cls) -> float:  # noqa: N805 - keyring's class property
        """Viable only where a trial named its file: importing this module (the fault trials
        do, in the test process) must not make it the default keyring of every later test, nor
        a member of keyring's chain, where it raised KeyError for the unset variable."""
        if "RELANCE_TEST_KEYRING" not in os.environ:
            raise RuntimeError("RELANCE_TEST_KEYRING is not set")
        return 1

    @property
    def path(self) -> Path:
        return Path(os.environ["RELANCE_TEST_KEYRING"])

    @contextmanager
    def _locked(self) -> Iterator[dict[str, str]]:
        lock = self.path.with_suffix(".lock")
        with open(lock, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            data = json.loads(self.path.read_text()) if self.path.exists() else {}
            yield data
            partial = self.path.with_suffix(".part")
            partial.write_text(json.dumps(data))
            os.replace(partial, self.path)

    def get_password(self, service: str, username: str) -> str | None:
        if not self.path.exists():
            return None
        return json.loads(self.path.read_text()).get(f"{service}\x1f{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        with self._locked() as data:
            data[f"{service}\x1f{username}"] = password

    def delete_password(self, service: str, username: str) -> None:
        with self._locked() as data:
            data.pop(f"{service}\x1f{username}", None)
