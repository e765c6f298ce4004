"""Probes: one measurement in a fresh process (its own imports, heap and peak RSS), one JSON line out."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = 3  # runs per noisy figure: the figure is their median, min and max kept beside it


def probe(module: str, *args: str, timeout: float = 600) -> dict:
    """Runs `python -m module args...` and returns the JSON object it printed last."""
    out = subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True, text=True,
                         timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"probe {module} {' '.join(args[:1])} failed: {out.stderr.strip()[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def interleaved(module: str, commands: Sequence[Sequence[str]], runs: int = RUNS) -> list[list[dict]]:
    """`runs` results of each command, run in turn (ours, baseline, ours, ...) so that a load that
    comes and goes on the machine falls on both sides alike."""
    results: list[list[dict]] = [[] for _ in commands]
    for _ in range(runs):
        for got, args in zip(results, commands):
            got.append(probe(module, *args))
    return results


@contextlib.contextmanager
def served(module: str, *args: str, timeout: float = 600) -> Iterator[dict]:
    """A simulated API server in a process of its own (`python -m module args...`, which calls
    `announce`), so that its speed does not depend on what the benchmark's own process holds; yields
    what it announced, and stops it on leaving."""
    proc = subprocess.Popen([sys.executable, "-m", module, *args], cwd=ROOT, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"server {module} {' '.join(args[:1])} exited ({proc.wait(timeout)}) before serving")
        yield json.loads(line)
    finally:
        proc.stdin.close()   # the server leaves when its standard input closes
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()


def announce(info: dict) -> dict:
    """In a `served` process: says how to reach the server, then serves until standard input closes."""
    print(json.dumps(info), flush=True)
    sys.stdin.read()
    return {}


def serve(probes: dict[str, Callable[..., dict]]) -> None:
    """A module's `__main__`: `python -m bench.x MODE ARGS...` prints MODE's result as JSON."""
    mode, *rest = sys.argv[1:]
    print(json.dumps(probes[mode](*rest)))


def rss_mb(field: str = "VmRSS") -> float:
    """This process's resident memory now (VmRSS) or at its peak (VmHWM). Not ru_maxrss: Linux carries
    that over from a forking parent into the child."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0
