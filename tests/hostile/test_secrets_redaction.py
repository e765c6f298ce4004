"""Secrets in a user's kubeconfig never reach output: server passwords are redacted, plugin stderr unshown.

The CLI and the exporter run as processes, as a user runs them; the clusters are a closed loopback port.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "exporter"))
from exporter_e2ekit import Process, wait_until  # noqa: E402

SLICEAUDIT = str(Path(sys.executable).with_name("sliceaudit"))
SECRET = "hunter2-secret"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kubeconfig(tmp_path, server: str, user: dict, *more: tuple[str, str, dict]) -> str:
    """A kubeconfig with context c (`server`, `user`), and one context per (name, server, user) in `more`."""
    entries = [("c", server, user), *more]
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump({
        "current-context": "c", "contexts": [{"name": n, "context": {"cluster": n, "user": n}} for n, _, _ in entries],
        "clusters": [{"name": n, "cluster": {"server": s}} for n, s, _ in entries],
        "users": [{"name": n, "user": u} for n, _, u in entries]}))
    return str(path)


def plugin(tmp_path) -> str:
    """An exec plugin that prints a secret on stderr and fails, as a confused plugin does."""
    path = tmp_path / "plugin"
    path.write_text(f"#!/bin/sh\necho 'error: token {SECRET} expired' >&2\nexit 1\n")
    path.chmod(0o755)
    return str(path)


@pytest.mark.parametrize("output", ["json", "table"])
@pytest.mark.parametrize("case", ["password-in-url", "plugin-stderr"])
def test_no_secret_in_any_output(tmp_path, case, output):
    port = closed_port()
    if case == "password-in-url":
        path = kubeconfig(tmp_path, f"https://admin:{SECRET}@127.0.0.1:{port}", {"token": "t"})
        shown = f"https://***@127.0.0.1:{port}"
    else:
        path = kubeconfig(tmp_path, f"https://127.0.0.1:{port}", {"exec": {
            "apiVersion": "client.authentication.k8s.io/v1", "command": plugin(tmp_path)}})
        shown = "exited with status 1"
    result = subprocess.run([SLICEAUDIT, "scan", "--kubeconfig", path, "--all-contexts", "-o", output],
                            capture_output=True, text=True, timeout=120)
    assert "Traceback" not in result.stderr
    everything = result.stdout + result.stderr
    assert SECRET not in everything
    assert shown in everything


def test_the_exporter_logs_no_secret(tmp_path):
    port = closed_port()
    path = kubeconfig(tmp_path, f"https://admin:{SECRET}@127.0.0.1:{port}", {"token": "t"},
                      ("plugin", f"https://127.0.0.1:{port}", {"exec": {
                          "apiVersion": "client.authentication.k8s.io/v1", "command": plugin(tmp_path)}}))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        listen = f"127.0.0.1:{s.getsockname()[1]}"
    log = tmp_path / "exporter.log"
    proc = Process("exporter", [sys.executable, "-m", "sliceaudit.cli.main", "exporter", "--kubeconfig", path,
                                "--all-contexts", "--listen", listen], log)
    try:
        wait_until("both clusters' failures in the log",
                   lambda: f"***@127.0.0.1:{port}" in log.read_text() and "exited with status 1" in log.read_text(),
                   [proc], timeout=60)
    finally:
        proc.stop()
    text = log.read_text()
    assert SECRET not in text and "Traceback" not in text
