"""The short version of benchmarks/firm_scale.py: a few clients on fake Odoo, Pennylane and demo
sources, two `relance worker` processes on a real PostgreSQL, a sync then the reminders run, one
worker SIGKILLed while it has a job in hand (and restarted). No tenant runs twice at once (from
each run's recorded start and end), no email reaches the SMTP sink twice, none the outbox calls
sent is missing there, every job ends, and only the unreachable client's jobs fail."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from benchmarks import firm_scale, scale_figures
from tests.delivery.test_email import free_port
from tests.pg import PgServer


@pytest.fixture
def sink() -> Iterator[tuple[firm_scale.Sink, int]]:
    received, port = firm_scale.Sink(delay=0.05), free_port()  # deliveries stay in flight
    controller = Controller(received, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield received, port
    finally:
        controller.stop()


def test_two_workers_one_killed_no_double_run_no_duplicate_email(
        tmp_path: Path, pg_server: PgServer, sink: tuple[firm_scale.Sink, int]) -> None:
    received, port = sink
    state = pg_server.create_database()
    sources = firm_scale.Sources()
    try:
        firm = tmp_path / "firm"
        firm_scale.write_firm(firm, 5, state, port, sources)
        figures = firm_scale.simulate(state, firm, received, sources.env, workers=2, ticks=2,
                                      kills=1, kill_ticks=[1])
    finally:
        sources.stop()
    assert figures.workers_killed == 1
    assert figures.overlapping_runs == 0
    assert figures.duplicate_emails == 0 and figures.sent_not_received == 0
    assert figures.emails > 0
    assert figures.jobs_deferred == 10
    assert figures.jobs_succeeded + figures.jobs_failed == 10
    assert figures.jobs_failed == 2  # client-00004 cannot reach its source, at both ticks


def test_the_overlap_count_sees_a_run_cut_by_a_kill_and_a_real_double_run() -> None:
    lines = [["start", "a", "sync", 1, 0.0], ["end", "a", "sync", 1, 1.0],
             ["start", "a", "sync", 2, 1.5], ["end", "a", "sync", 2, 2.0],  # after: fine
             ["start", "b", "sync", 3, 0.0],  # killed at 5.0, never ended
             ["start", "b", "sync", 4, 6.0], ["end", "b", "sync", 4, 7.0]]
    assert scale_figures.overlaps(lines, killed=[(3, 5.0)]) == 0
    assert scale_figures.overlaps(lines, killed=[(3, 6.5)]) == 1  # b ran twice at once
    assert scale_figures.overlaps(lines + [["start", "a", "sync", 5, 0.5],
                                        ["end", "a", "sync", 5, 0.7]], killed=[(3, 5.0)]) == 1
