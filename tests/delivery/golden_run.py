"""A fixed delivery run whose .eml files are kept as golden files (tests/delivery/golden_eml/).

The same demo ledger, policy and frozen tenant clock always give the same messages: the
Message-ID comes from the reminder's key, the Date from the tenant clock. Only the MIME boundary
is random by design (the email package draws it); `normalized` replaces it before comparing.

    python -m tests.delivery.golden_run DIRECTORY   # writes DIRECTORY/*.eml (regenerate)
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import sys
import tempfile
from pathlib import Path

from connector.app.tenant import open_tenant
from connector.clock import Clock
from connector.config import load_config

MOMENT = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.timezone.utc)  # a Friday, 10:00 in Paris
DAYS = (0, 7, 21)  # three Fridays: first reminders, then second and final ones
CONFIG = """\
tenant = "golden"
state = "sqlite:///state.db"

[source]
kind = "demo"
seed = 42
customers = 24
invoices = 360
anchor = "2026-11-27"

[sender]
name = "Atelier Dupuis & Fils – Lyon"
email = "compta@atelier-dupuis.fr"
reply_to = "relances@atelier-dupuis.fr"
bcc = "archives@atelier-dupuis.fr"
iban = "FR76 3000 6000 0112 3456 7890 189"
legal_form = "SARL au capital de 8 000 €"
address = "3 rue des Artisans\\n69007 Lyon"
siren = "123 456 782"
rcs_city = "Lyon"
signatory_name = "Paul Dupuis"
signatory_title = "Gérant"
payment_link = "https://pay.example/{number}?amount={amount}"

[email]
transport = "file"
directory = "outbox"

[[policy.levels]]
name = "courtesy"
days = -3
channel = "email"
template = "courtesy"

[[policy.levels]]
name = "first"
days = 1
channel = "email"
template = "first"

[[policy.levels]]
name = "second"
days = 7
channel = ["email", "task"]
template = "second"
attach = ["invoices", "statement"]

[[policy.levels]]
name = "final"
days = 20
channel = "email"
template = "final"

[customers."C00003"]
cc = ["dirigeant@client-trois.fr", "Ève.Dupré@exemple.fr"]

[customers."C00006"]
language = "en"
"""


def run(directory: Path) -> Path:
    """Sync, plan and deliver the fixed ledger on each of DAYS into directory/outbox; returns
    that folder."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "relance.toml"
    path.write_text(CONFIG, encoding="utf-8")
    config = load_config(path)
    for day in DAYS:
        moment = MOMENT + dt.timedelta(days=day)
        tenant = open_tenant(config, clock=Clock.frozen(moment, config.timezone))
        try:
            result = tenant.run()
        finally:
            tenant.close()
        assert result.delivery is not None and result.delivery.sent, f"day {day}: nothing sent"
    return config.outbox_dir


BOUNDARY = re.compile(rb'boundary="([^"]+)"')


def normalized(message: bytes) -> bytes:
    """The message with each MIME boundary replaced by its rank (the only random part)."""
    for rank, boundary in enumerate(dict.fromkeys(BOUNDARY.findall(message))):
        message = message.replace(boundary, b"BOUNDARY-%d" % rank)
    return message


if __name__ == "__main__":
    target = Path(sys.argv[1])
    with tempfile.TemporaryDirectory() as scratch:
        outbox = run(Path(scratch))
        target.mkdir(parents=True, exist_ok=True)
        for eml in sorted(outbox.glob("*.eml")):
            shutil.copyfile(eml, target / eml.name)
    print(f"{len(list(target.glob('*.eml')))} messages in {target}")
