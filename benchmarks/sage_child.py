"""`relance` for a Sage benchmark step: the granted tokens go into an in-memory keyring first.

A child process has no desktop keyring on a server; the driver passes the token pair it had the
fake grant (as `relance auth sage` would store it) in RELANCE_BENCH_SAGE_TOKENS.

    python benchmarks/sage_child.py --config relance.toml --today 2026-11-27 sync
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keyring  # noqa: E402

from connector.adapters.sage.auth import TOKENS  # noqa: E402
from connector.cli import main  # noqa: E402
from connector.secrets import SecretStore  # noqa: E402
from tests.conftest import MemoryKeyring  # noqa: E402

if __name__ == "__main__":
    keyring.set_keyring(MemoryKeyring())
    SecretStore(os.environ["RELANCE_BENCH_TENANT"]).set(
        TOKENS, os.environ["RELANCE_BENCH_SAGE_TOKENS"])
    main(sys.argv[1:])
