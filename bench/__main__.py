"""`make bench`: runs every suite, prints figures and writes bench-results.json."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from bench.results import print_figures, write

# Each suite is a module with run() -> list[Figure]; later issues append theirs.
SUITES = ["bench.core", "bench.exporter", "bench.kube", "bench.predict"]


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
    print(f"wrote {out} ({len(figures)} figures)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
