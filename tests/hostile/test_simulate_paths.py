"""`sliceaudit simulate` writes only regular files: a device, fifo or directory at --kubeconfig/--truth is
refused before anything starts (as root, replacing /dev/null with a file breaks the machine).

A fifo stands in for /dev/null: /dev itself is never touched.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

SLICEAUDIT = str(Path(sys.executable).with_name("sliceaudit"))


def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "fifo"
    os.mkfifo(path)
    return path


def link_to_fifo(tmp_path: Path) -> Path:
    link = tmp_path / "null"
    link.symlink_to(fifo(tmp_path))
    return link


def directory(tmp_path: Path) -> Path:
    path = tmp_path / "dir"
    path.mkdir()
    return path


def simulate(kubeconfig: Path, truth: Path) -> list[str]:
    return [SLICEAUDIT, "simulate", "--clusters", "1", "--services", "2", "--kubeconfig", str(kubeconfig),
            "--truth", str(truth)]


@pytest.mark.parametrize("option", ["--kubeconfig", "--truth"])
@pytest.mark.parametrize("make, kind", [(fifo, "is a fifo"), (link_to_fifo, "is a fifo"),
                                        (directory, "directory")])
def test_a_path_that_is_not_a_regular_file_is_refused(tmp_path, option, make, kind):
    target = make(tmp_path)
    before = os.lstat(target)
    files = {"--kubeconfig": tmp_path / "kubeconfig", "--truth": tmp_path / "truth.json", option: target}
    result = subprocess.run(simulate(files["--kubeconfig"], files["--truth"]), capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert kind in line and option in line
    after = os.lstat(target)
    assert (after.st_ino, stat.S_IFMT(after.st_mode)) == (before.st_ino, stat.S_IFMT(before.st_mode))
    assert not (tmp_path / "kubeconfig").exists() and not (tmp_path / "truth.json").exists()


def test_a_symlink_to_a_regular_file_writes_that_file_atomically(tmp_path):
    real = tmp_path / "real-kubeconfig"
    real.write_text("old")
    link = tmp_path / "kubeconfig"
    link.symlink_to(real)
    truth = tmp_path / "truth.json"
    proc = subprocess.Popen(simulate(link, truth), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not truth.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        assert truth.exists(), proc.stderr.read() if proc.poll() is not None else "simulate wrote no truth"
        assert link.is_symlink() and "clusters" in yaml.safe_load(real.read_text())
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []   # no temporary file left
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
