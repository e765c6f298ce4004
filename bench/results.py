"""Benchmark figures, their targets, and bench-results.json (one entry per figure).

A figure measured several times (each run in a fresh process, see bench/probe.py) is the median
of its runs, with the min and max beside it, so a reader can tell a change from noise.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Target:
    """What a figure must reach: its value at most `limit` (`kind` "max"), its value over the
    baseline's at most `limit` ("ratio"), or its speedup over the baseline at least `limit` ("speedup")."""

    kind: str
    limit: float

    def met(self, f: Figure) -> bool:
        if self.kind == "max":
            return f.value <= self.limit
        if self.kind == "ratio":
            return f.ratio <= self.limit
        return f.speedup >= self.limit

    def describe(self, unit: str) -> str:
        if self.kind == "max":
            return f"<= {self.limit:g} {unit}"
        if self.kind == "ratio":
            return f"<= {self.limit:g}x baseline"
        return f">= {self.limit:g}x baseline"


def at_most(limit: float) -> Target:
    return Target("max", limit)


def ratio_at_most(limit: float) -> Target:
    return Target("ratio", limit)


def speedup_at_least(limit: float) -> Target:
    return Target("speedup", limit)


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str
    baseline: str
    baseline_value: float
    # The baseline's time over ours (above 1 means we are faster); for rates, ours over the baseline's.
    speedup: float
    runs: int = 1
    value_min: float | None = None
    value_max: float | None = None
    baseline_min: float | None = None
    baseline_max: float | None = None
    targets: tuple[Target, ...] = ()

    @property
    def ratio(self) -> float:
        """Ours over the baseline: the inverse of `speedup`."""
        return 1 / self.speedup if self.speedup else float("inf")

    @property
    def met(self) -> bool | None:
        """Whether every target is met; None when the figure has none."""
        return all(t.met(self) for t in self.targets) if self.targets else None


def _summary(values: float | Sequence[float]) -> tuple[float, float, float, int]:
    if isinstance(values, (int, float)):
        return float(values), float(values), float(values), 1
    return statistics.median(values), min(values), max(values), len(values)


def figure(name: str, value: float | Sequence[float], unit: str, baseline: str,
           baseline_value: float | Sequence[float], higher_is_better: bool = False,
           targets: Sequence[Target] = ()) -> Figure:
    """A figure whose speedup is above 1 when ours is better than the baseline's.

    `value` and `baseline_value` are one measurement or the runs of one (median, min and max kept).
    """
    v, v_min, v_max, runs = _summary(value)
    b, b_min, b_max, b_runs = _summary(baseline_value)
    if higher_is_better:
        speedup = v / b if b else float("inf")
    else:
        speedup = b / v if v else float("inf")
    spread = runs > 1 or b_runs > 1
    return Figure(name, round(v, 6), unit, baseline, round(b, 6), round(speedup, 3), max(runs, b_runs),
                  round(v_min, 6) if spread else None, round(v_max, 6) if spread else None,
                  round(b_min, 6) if spread else None, round(b_max, 6) if spread else None, tuple(targets))


def _entry(f: Figure) -> dict:
    entry = {k: v for k, v in asdict(f).items() if v is not None and k != "targets"}
    if f.targets:
        entry["targets"] = [t.describe(f.unit) for t in f.targets]
        entry["met"] = f.met
    return entry


def write(figures: list[Figure], path: Path) -> None:
    path.write_text(json.dumps({"benchmarks": [_entry(f) for f in figures]}, indent=2) + "\n")


def _compared(f: Figure) -> str:
    """A ratio target reads as ours over the baseline (`1.38x of`); the rest as a speedup (`x15.7`)."""
    if any(t.kind == "ratio" for t in f.targets):
        return f"ours {f.ratio:.2f}x of it"
    return f"x{f.speedup:.2f}"


def print_figures(figures: list[Figure]) -> None:
    for f in figures:
        spread = f" [{f.value_min:.4g}..{f.value_max:.4g}]" if f.value_min is not None else ""
        line = (f"{f.name:<52} {f.value:>10.4g} {f.unit:<9}{spread} baseline {f.baseline}: "
                f"{f.baseline_value:.4g} -> {_compared(f)}")
        if f.targets:
            verdict = "met" if f.met else "NOT MET"
            line += f"  | target {' and '.join(t.describe(f.unit) for t in f.targets)}: {verdict}"
        print(line)


def print_verdict(figures: list[Figure]) -> None:
    """One line per target: how many are met, and which are not."""
    targeted = [f for f in figures if f.targets]
    missed = [f for f in targeted if not f.met]
    print(f"targets: {len(targeted) - len(missed)} of {len(targeted)} figures meet theirs")
    for f in missed:
        print(f"   NOT MET: {f.name} ({f.value:.4g} {f.unit}, {_compared(f)}: {f.baseline})")
