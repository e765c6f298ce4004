"""`make bench`: runs every suite, prints figures and writes bench-results.json."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from bench.results import print_figures, print_verdict, write

# Each suite is a module with run() -> list[Figure] (bench/results.py); register one by adding its name.
SUITES = ["bench.core", "bench.manyports", "bench.consumers", "bench.exporter", "bench.kube", "bench.predict",
          "bench.yaml_input"]


def main() -> int:
    figures = []
    for name in SUITES:
        print(f"== {name}", flush=True)
        try:
            suite = importlib.import_module(name)
        except ModuleNotFoundError as err:
            print(f"   skipped: {err}")
            continue
        got = suite.run()
        print_figures(got)
        figures.extend(got)
    out = Path("bench-results.json")
    write(figures, out)
    print_verdict(figures)
    print(f"wrote {out} ({len(figures)} figures)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
