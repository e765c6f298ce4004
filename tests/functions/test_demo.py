"""`make demo`: the fleet audit end to end on a simulated fleet, exiting by itself."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_demo_audits_the_simulated_fleet_and_writes_the_html_report(tmp_path):
    out = tmp_path / "demo-output"
    result = subprocess.run([sys.executable, "scripts/demo.py", "--clusters", "2", "--services", "12",
                             "--output", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "matches the simulator's ground truth: yes" in result.stdout
    assert f"HTML report: {(out / 'report.html').resolve()}" in result.stdout
    assert "2 clusters, 24 Services" in result.stdout
    # The real kubectl's output piped into `sliceaudit scan -f -` (scripts/demo.py kubectl_scan).
    assert "-o json | sliceaudit scan -f -" in result.stdout and "kubectl exited" not in result.stdout
    assert "$ sliceaudit predict -f" in result.stdout and "sliceaudit predict exited" not in result.stdout
    assert (out / "report.html").read_text().startswith("<!doctype html>")
    assert "Traceback" not in result.stderr


def test_demo_refuses_bad_arguments_in_one_line():
    result = subprocess.run([sys.executable, "scripts/demo.py", "--clusters", "0"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
