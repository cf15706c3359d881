"""Issue 18's targets, each beside what run_all.py measured and its floor: met or not met.

A target is on CPU seconds (user + system of the whole command, `os.wait4`) or peak RSS; where a
floor prototype was measured in the same run (floors.py), the ratio product / floor is printed
too, so the distance to "within 2x of the floor" is read, not remembered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from benchmarks.measure import Figure


@dataclass(frozen=True)
class Target:
    what: str
    figure: str
    limit: float
    unit: str = "s"
    measure: str = "cpu"
    """"cpu", "rss", or the name of a figure's extra value (in the target's unit)."""
    floor: str | None = None
    """The floor figure's name; "extra:NAME" for a value of the same figure (measured beside it
    in the same child, like delivery's floor)."""
    sizes: tuple[str, ...] = ("100k",)


TARGETS = (
    Target("start-up: relance --version", "cli start (--version)", 0.15, floor="floor: import click",
           sizes=("1k", "10k", "100k")),
    Target("first plan, 100k open invoices: CPU", "plan, first (all due)", 1.0,
           floor="floor: plan (sqlite3 scan)"),
    Target("first plan: peak RSS", "plan, first (all due)", 150, "MB", "rss",
           floor="floor: plan (sqlite3 scan)"),
    Target("first plan --json (streamed): peak RSS", "plan --json, first", 150, "MB", "rss",
           floor="floor: plan (sqlite3 scan)"),
    Target("first run's enqueue (~40k reminders)", "enqueue, first run", 3.0,
           measure="enqueue_cpu_s", floor="floor: enqueue (sqlite3)"),
    Target("delivery, file transport: CPU per reminder", "delivery (file transport)", 1.5,
           "ms", measure="cpu_ms_per_reminder", floor="extra:floor_ms_per_reminder",
           sizes=("1k", "10k", "100k")),
    Target("daily steady plan, 100k", "plan, steady state (next day)", 0.5),
    Target("status", "status", 0.35, sizes=("1k", "10k", "100k")),
    Target("report, 100k", "report (open ledger)", 2.0),
)
ELSEWHERE = ("Odoo calls = minimum + O(1) (18.5): see the odoo part's requests/minimum",
             "test suite <= 4 min wall (18.6): measured by running the suite, not here")


def _value(figure: Figure, measure: str) -> float | None:
    if measure == "cpu":
        return figure.cpu_s
    if measure == "rss":
        return figure.peak_rss_mb
    value = figure.extra.get(measure)
    return float(value) if value is not None else None


def _floor(target: Target, figure: Figure, by_name: dict[str, Figure]) -> float | None:
    if target.floor is not None and target.floor.startswith("extra:"):
        return _value(figure, target.floor.removeprefix("extra:"))
    floor_figure = by_name.get(target.floor or "")
    return None if floor_figure is None else _value(
        floor_figure, "cpu" if target.measure not in ("rss",) else "rss")


def print_targets(figures: Sequence[Figure], size: str) -> None:
    by_name = {f.name: f for f in figures}
    print(f"== targets (issue 18), {size}")
    for target in TARGETS:
        figure = by_name.get(target.figure)
        if figure is None or size not in target.sizes:
            continue
        value = _value(figure, target.measure)
        if value is None:
            continue
        floor = _floor(target, figure, by_name)
        ratio = f"{value / floor:5.1f}x floor ({floor:.2f} {target.unit})" if floor else "no floor"
        verdict = "met" if value <= target.limit and figure.exit_code == 0 else "NOT MET"
        print(f"  {target.what:44} {value:8.2f} {target.unit:2} <= {target.limit:<5} {ratio:28} "
              f"{verdict}", flush=True)
    for line in ELSEWHERE:
        print(f"  {line}")
