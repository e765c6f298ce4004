"""Runs the installed `sliceaudit` command as a user would, always bounded in time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SLICEAUDIT = str(Path(sys.executable).with_name("sliceaudit"))


def run(*args: str, stdin: bytes | None = None, timeout: float = 60, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([SLICEAUDIT, *args], input=stdin, capture_output=True, timeout=timeout, **kwargs)


def one_line_error(result: subprocess.CompletedProcess) -> str:
    """The single stderr line a failure must be, checked to be no traceback."""
    err = result.stderr.decode()
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("sliceaudit: "), err
    return lines[0]
