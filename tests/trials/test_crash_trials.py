"""Short crash trials (the full ones: benchmarks/crash_trials.py): SIGKILL at random moments,
payments at the source in between, and still no duplicate, no loss, no reminder for a paid invoice."""

from __future__ import annotations

from pathlib import Path

from tests.trials.harness import DemoSource, SmtpSink, clean_run_seconds, totals, trial


def test_demo_crash_trials(tmp_path: Path) -> None:
    source = DemoSource()
    with SmtpSink() as sink:
        window = clean_run_seconds(source, sink, tmp_path / "probe")
        results = [trial(source, sink, tmp_path / f"t{seed}", seed, window) for seed in range(4)]
    summary = totals(results)
    assert summary["sent"] > 0
    assert summary["duplicates"] == 0
    assert summary["lost"] == 0
    assert summary["paid_in_between"] == 0
    assert summary["cursor_mismatches"] == 0
