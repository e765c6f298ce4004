"""`sliceaudit exporter` from the outside: bad input is one line and exit 2; SIGTERM stops it cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.request

import pytest
from exporter_testkit import free_port, write_kubeconfig

from sliceaudit.cli.main import main


@pytest.fixture
def kubeconfig(tmp_path):
    # Nothing listens there: the exporter starts, serves, and reports the clusters down.
    dead = f"https://127.0.0.1:{free_port()}"
    return write_kubeconfig(tmp_path / "kubeconfig", {"prod-eu-1": dead, "prod-us-1": dead, "staging": dead})


@pytest.mark.parametrize("args, message", [
    (["--shard", "2", "--total-shards", "2"], "--shard must be between 0 and 1"),
    (["--listen", "nowhere"], "--listen 'nowhere': expected HOST:PORT"),
    (["--context", "prod-eu-1", "--all-contexts"], "--context and --all-contexts exclude each other"),
    (["--in-cluster", "--context", "prod-eu-1"], "--in-cluster cannot be combined"),
    (["--max-series-per-cluster", "2"], "at least 4"),
    (["--context", "nope"], "kubeconfig has no context 'nope'"),
    (["--eks", "prod"], "expected REGION/CLUSTER"),
    (["--shard", "x"], "'x' is not a valid integer"),
    (["--max-connections", "0"], "--max-connections must be 1 or more"),
    (["--reload-interval", "-1"], "--reload-interval must be 0"),
    (["--list-timeout", "0"], "--list-timeout must be a positive number"),
    (["--consumer", "nginx-plus"], "--consumer 'nginx-plus': unknown consumer"),
    (["--consumer", "skipper@latest"], "'latest' is not a version"),
])
def test_bad_arguments_are_one_line_and_exit_2(kubeconfig, capsys, args, message):
    assert main(["exporter", "--kubeconfig", kubeconfig, *args]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_missing_kubeconfig(tmp_path, capsys):
    assert main(["exporter", "--kubeconfig", str(tmp_path / "none")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_in_cluster_outside_a_cluster(capsys, monkeypatch):
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    assert main(["exporter", "--in-cluster"]) == 2
    assert "not running in a cluster" in capsys.readouterr().err


def test_flags_come_from_environment_variables(kubeconfig, capsys, monkeypatch):
    monkeypatch.setenv("SLICEAUDIT_EXPORTER_KUBECONFIG", kubeconfig)
    monkeypatch.setenv("SLICEAUDIT_EXPORTER_TOTAL_SHARDS", "3")
    monkeypatch.setenv("SLICEAUDIT_EXPORTER_SHARD", "3")
    assert main(["exporter"]) == 2
    assert "--shard must be between 0 and 2" in capsys.readouterr().err


def test_a_taken_port_is_a_usage_error(kubeconfig, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["exporter", "--kubeconfig", kubeconfig, "--all-contexts", "--listen", f"127.0.0.1:{port}"]) == 2
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in err and "Traceback" not in err


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def _wait_for(predicate, proc, timeout=30.0):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read()
        try:
            if predicate():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_serves_unreachable_clusters_as_down_and_stops_on_sigterm(kubeconfig):
    port = free_port()
    env = {**os.environ, "SLICEAUDIT_EXPORTER_KUBECONFIG": kubeconfig, "SLICEAUDIT_EXPORTER_ALL_CONTEXTS": "true",
           "SLICEAUDIT_EXPORTER_LISTEN": f"127.0.0.1:{port}", "SLICEAUDIT_EXPORTER_SHARD": "0",
           "SLICEAUDIT_EXPORTER_TOTAL_SHARDS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "sliceaudit.cli.main", "exporter"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(lambda: _get(base + "/healthz")[0] == 200, proc)
        # Ready once every cluster has been tried, so one dead cluster cannot hold a rollout forever.
        _wait_for(lambda: _get(base + "/readyz")[0] == 200, proc)
        status, body = _get(base + "/metrics")
        assert status == 200
        for cluster in ("prod-eu-1", "prod-us-1", "staging"):
            assert f'sliceaudit_cluster_up{{cluster="{cluster}"}} 0' in body
        assert _get(base + "/nothing")[0] == 404
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    err = proc.stderr.read()
    # At most one line per cluster and resource, not one per retry.
    refused = [line for line in err.splitlines() if "cluster prod-eu-1 " in line and "connection refused" in line]
    assert 1 <= len(refused) <= 2, err
    assert "Traceback" not in err
