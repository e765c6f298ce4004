"""`make bench`: runs every suite (or those named: `python -m bench kube exporter`), prints figures and
each suite's wall time; a full run writes bench-results.json."""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path

from bench.results import print_figures, print_verdict, write

# Each suite is a module with run() -> list[Figure] (bench/results.py); register one by adding its name.
SUITES = ["bench.core", "bench.manyports", "bench.consumers", "bench.exporter", "bench.kube", "bench.predict",
          "bench.yaml_input"]


def main(argv: list[str]) -> int:
    chosen = [n if n.startswith("bench.") else f"bench.{n}" for n in argv] or SUITES
    unknown = [n for n in chosen if n not in SUITES]
    if unknown:
        print(f"unknown suite {', '.join(unknown)}; the suites are {', '.join(SUITES)}", file=sys.stderr)
        return 2
    figures = []
    began = time.perf_counter()
    for name in chosen:
        print(f"== {name}", flush=True)
        start = time.perf_counter()
        try:
            suite = importlib.import_module(name)
        except ModuleNotFoundError as err:
            print(f"   skipped: {err}")
            continue
        got = suite.run()
        print_figures(got)
        print(f"   ({time.perf_counter() - start:.0f} s)", flush=True)
        figures.extend(got)
    if chosen == SUITES:
        out = Path("bench-results.json")
        write(figures, out)
        print(f"wrote {out} ({len(figures)} figures)")
    print_verdict(figures)
    print(f"bench wall time: {time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
