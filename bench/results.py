"""Collects benchmark figures into bench-results.json, one entry per figure."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str
    baseline: str
    baseline_value: float
    # The baseline's time over ours (above 1 means we are faster); for rates, ours over the baseline's.
    speedup: float


def figure(name: str, value: float, unit: str, baseline: str, baseline_value: float,
           higher_is_better: bool = False) -> Figure:
    """A figure whose speedup is above 1 when ours is better than the baseline's."""
    if higher_is_better:
        speedup = value / baseline_value if baseline_value else float("inf")
    else:
        speedup = baseline_value / value if value else float("inf")
    return Figure(name, round(value, 6), unit, baseline, round(baseline_value, 6), round(speedup, 3))


def write(figures: list[Figure], path: Path) -> None:
    path.write_text(json.dumps({"benchmarks": [asdict(f) for f in figures]}, indent=2) + "\n")


def print_figures(figures: list[Figure]) -> None:
    for f in figures:
        print(f"{f.name:<48} {f.value:>12.4g} {f.unit:<10} baseline {f.baseline}: "
              f"{f.baseline_value:.4g} -> x{f.speedup:.2f}")
