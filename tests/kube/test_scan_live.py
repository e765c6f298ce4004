"""`sliceaudit scan` on live (simulated) clusters: the ground truth, field by field, and failures."""

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sliceaudit.kube.clusters import kubeconfig_clusters
from sliceaudit.live.owners import Owners
from sliceaudit.live.scan import scan_clusters
from sliceaudit.sim.fleetrun import SimulatedFleet

SLICEAUDIT = str(Path(sys.executable).with_name("sliceaudit"))


@pytest.fixture(scope="module")
def fleet():
    with SimulatedFleet(clusters=3, services=45, seed=11, broken_share=0.3) as fleet:
        yield fleet


@pytest.fixture(scope="module")
def kubeconfig(fleet, tmp_path_factory):
    return str(fleet.write_kubeconfig(tmp_path_factory.mktemp("kube") / "config"))


def scan(*args):
    return subprocess.run([SLICEAUDIT, "scan", *args], capture_output=True, text=True, timeout=120)


def comparable(service: dict) -> dict:
    """A service report with what must match exactly; finding messages are prose, not contract."""
    out = {k: service[k] for k in ("namespace", "name", "status", "endpoints", "null_port_endpoints",
                                   "port_zero_endpoints")}
    out["ports"] = [{**p, "backends": sorted(p["backends"])} for p in service["ports"]]
    out["findings"] = sorted(({k: v for k, v in f.items() if k != "message"} for f in service["findings"]),
                             key=lambda f: (f["code"], f["slices"]))
    return out


def test_scan_of_every_context_reports_exactly_what_the_generator_broke(fleet, kubeconfig):
    result = scan("--kubeconfig", kubeconfig, "--all-contexts", "--output", "json", "--fail-on", "never")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    truth = fleet.truth()
    assert report["schema"] == truth["schema"] and report["errors"] == []
    assert [c["name"] for c in report["clusters"]] == [c["name"] for c in truth["clusters"]]
    for got, want in zip(report["clusters"], truth["clusters"], strict=True):
        assert got["errors"] == []
        assert [comparable(s) for s in got["services"]] == [comparable(s) for s in want["services"]]
        broken = {(s["namespace"], s["name"]): s["status"] for s in want["services"] if s["status"] != "ok"}
        assert broken and {(s["namespace"], s["name"]): s["status"]
                           for s in got["services"] if s["status"] != "ok"} == broken


def test_a_failed_cluster_is_one_error_line_and_the_others_complete(fleet, kubeconfig, tmp_path):
    config = yaml.safe_load(Path(kubeconfig).read_text())
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"https://127.0.0.1:{s.getsockname()[1]}"
    config["clusters"].insert(1, {"name": "down", "cluster": {"server": dead,
                                                              "certificate-authority-data": config["clusters"][0]
                                                              ["cluster"]["certificate-authority-data"]}})
    config["users"].append({"name": "down", "user": {"token": "x"}})
    config["contexts"].insert(1, {"name": "down", "context": {"cluster": "down", "user": "down"}})
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump(config))
    result = scan("--kubeconfig", str(path), "--all-contexts", "--output", "json")
    report = json.loads(result.stdout)
    assert [c["name"] for c in report["clusters"]] == ["sim-1", "down", "sim-2", "sim-3"]
    down = report["clusters"][1]
    assert down["services"] == [] and down["errors"] == [
        {"object": "cluster", "message": f"connection refused by {dead}"}]
    assert all(c["services"] and not c["errors"] for i, c in enumerate(report["clusters"]) if i != 1)
    assert result.returncode == 2   # a cluster asked for could not be audited, whatever the others hold
    assert result.stderr.strip().splitlines() == [f"sliceaudit: cluster down: connection refused by {dead}"]


def test_repeated_context_scans_those_clusters_in_order(kubeconfig):
    result = scan("--kubeconfig", kubeconfig, "--context", "sim-3", "--context", "sim-1", "-o", "json",
                  "--fail-on", "never")
    assert result.returncode == 0, result.stderr
    assert [c["name"] for c in json.loads(result.stdout)["clusters"]] == ["sim-3", "sim-1"]


@pytest.mark.parametrize(("args", "message"), [
    (("--context", "nope"), "kubeconfig has no context 'nope' (has: sim-1, sim-2, sim-3)"),
    (("--file", "x.yaml", "--all-contexts"), "give --file or live clusters"),
])
def test_unusable_live_arguments_exit_2_with_one_line(kubeconfig, args, message):
    result = scan("--kubeconfig", kubeconfig, *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_table_output_names_the_clusters(kubeconfig):
    result = scan("--kubeconfig", kubeconfig, "--all-contexts", "--fail-on", "never")
    assert result.returncode == 0, result.stderr
    assert "sim-1" in result.stdout and "sim-3" in result.stdout


def test_progress_is_reported_once_per_cluster(kubeconfig):
    seen = []
    report = scan_clusters(kubeconfig_clusters(kubeconfig, all_contexts=True), owners=Owners.NONE,
                           progress=lambda access, cluster: seen.append(access.name))
    assert sorted(seen) == ["sim-1", "sim-2", "sim-3"]
    assert [c.name for c in report.clusters] == ["sim-1", "sim-2", "sim-3"]
