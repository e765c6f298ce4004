"""Secrets in a user's kubeconfig never reach output: server passwords are redacted, plugin stderr unshown.

The CLI runs as a subprocess, as a user runs it; the clusters are a closed loopback port.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

SLICEAUDIT = str(Path(sys.executable).with_name("sliceaudit"))
SECRET = "hunter2-secret"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kubeconfig(tmp_path, server: str, user: dict) -> str:
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump({
        "current-context": "c", "contexts": [{"name": "c", "context": {"cluster": "c", "user": "c"}}],
        "clusters": [{"name": "c", "cluster": {"server": server}}], "users": [{"name": "c", "user": user}]}))
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
