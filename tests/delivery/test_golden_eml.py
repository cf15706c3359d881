"""The messages a fixed run writes are byte for byte those of the golden files, which were
generated from main before the delivery was made faster (b2eb792):
`python -m tests.delivery.golden_run tests/delivery/golden_eml`. Only the random MIME boundary is
normalized; every header, part, encoding and attachment must match."""

from __future__ import annotations

from pathlib import Path

from tests.delivery.golden_run import normalized, run

GOLDEN = Path(__file__).with_name("golden_eml")


def test_a_fixed_run_writes_the_golden_messages_byte_for_byte(tmp_path: Path) -> None:
    outbox = run(tmp_path)
    written = {p.name: p.read_bytes() for p in outbox.glob("*.eml")}
    golden = {p.name: p.read_bytes() for p in GOLDEN.glob("*.eml")}
    assert sorted(written) == sorted(golden)  # the same reminders, under the same keys
    for name, expected in golden.items():
        assert normalized(written[name]) == normalized(expected), name
