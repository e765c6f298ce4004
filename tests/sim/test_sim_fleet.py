"""The running fleet: kubeconfig, truth file, on-demand breakage seen over the API, churn, the CLI."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import yaml
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from sim_testkit import watch_events

from sliceaudit.sim.fleetrun import SimulatedFleet
from sliceaudit.sim.world.breakage import CannotBreak


def _client_for(kubeconfig, context) -> k8s.ApiClient:
    configuration = k8s.Configuration()
    k8s_config.load_kube_config(str(kubeconfig), context=context, client_configuration=configuration)
    return k8s.ApiClient(configuration)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fleet")
    with SimulatedFleet(clusters=2, services=16, seed=6, broken_share=0.25) as f:
        f.write_kubeconfig(tmp / "kubeconfig")
        f.write_truth(tmp / "truth.json")
        yield f, tmp


def test_kubeconfig_has_a_working_context_per_cluster(fleet):
    f, tmp = fleet
    config = yaml.safe_load((tmp / "kubeconfig").read_text())
    assert [c["name"] for c in config["contexts"]] == ["sim-1", "sim-2"]
    for name in ("sim-1", "sim-2"):
        with _client_for(tmp / "kubeconfig", name) as api:
            services = k8s.CoreV1Api(api).list_service_for_all_namespaces().items
        assert len(services) == 16
    assert f.servers["sim-1"].url != f.servers["sim-2"].url


def test_truth_file_is_a_report_per_cluster(fleet):
    f, tmp = fleet
    truth = json.loads((tmp / "truth.json").read_text())
    assert truth["schema"] == "sliceaudit.report/v1" and truth["errors"] == []
    assert [c["name"] for c in truth["clusters"]] == ["sim-1", "sim-2"]
    for cluster in truth["clusters"]:
        assert len(cluster["services"]) == 16
        assert sum(s["status"] != "ok" for s in cluster["services"]) == 4
    assert truth == f.truth()


def test_a_service_broken_on_demand_shows_in_the_api_and_the_truth(fleet):
    f, tmp = fleet
    server = f.servers["sim-2"]
    ns, name = server.breakable("outage")[0]
    with _client_for(tmp / "kubeconfig", "sim-2") as api:
        discovery = k8s.DiscoveryV1Api(api)
        selector = f"kubernetes.io/service-name={name}"
        rv = discovery.list_namespaced_endpoint_slice(ns, label_selector=selector).metadata.resource_version
        truth = server.break_service(ns, name, "outage")
        assert truth["status"] == "outage" and truth["null_port_endpoints"] == truth["endpoints"] > 0
        slices = discovery.list_namespaced_endpoint_slice(ns, label_selector=selector).items
        assert {s.metadata.name for s in slices if s.ports is None}
        resp = discovery.list_namespaced_endpoint_slice(ns, label_selector=selector, watch=True,
                                                        resource_version=rv, timeout_seconds=1,
                                                        _preload_content=False)
        assert {"MODIFIED", "ADDED", "DELETED"} & {e["type"] for e in watch_events(resp)}
        written = json.loads((tmp / "truth.json").read_text())
        mine = next(c for c in written["clusters"] if c["name"] == "sim-2")
        assert next(s for s in mine["services"] if s["name"] == name and s["namespace"] == ns) == truth
        fixed = server.fix_service(ns, name)
        assert (fixed["status"], fixed["findings"]) == ("ok", [])
        assert all(s.ports for s in discovery.list_namespaced_endpoint_slice(ns, label_selector=selector).items)
    with pytest.raises(CannotBreak):
        server.break_service(ns, name, "port-zero")  # only hand-made slices can lose their numbers
    with pytest.raises(KeyError):
        server.break_service(ns, "no-such-service", "outage")


def test_churn_changes_the_cluster_and_rewrites_the_truth(tmp_path):
    with SimulatedFleet(clusters=1, services=12, seed=2, churn=True, churn_interval=0.05) as f:
        path = f.write_truth(tmp_path / "truth.json")
        server = f.servers["sim-1"]
        first, rv = path.read_text(), server.store.rv
        deadline = time.monotonic() + 20
        while (path.read_text() == first or server.store.rv == rv) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.store.rv > rv and path.read_text() != first


def _simulate(*args, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "sliceaudit.cli.main", "simulate", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def test_simulate_serves_until_sigterm(tmp_path):
    proc = _simulate("--clusters", "2", "--services", "6", "--seed", "3", "--kubeconfig",
                     str(tmp_path / "kc.yaml"), "--truth", str(tmp_path / "truth.json"))
    try:
        lines = []
        while not lines or not lines[-1].startswith("kubeconfig:"):
            line = proc.stdout.readline()
            assert line, proc.stderr.read()
            lines.append(line)
        assert [line.split("\t")[0] for line in lines[:-1]] == ["sim-1", "sim-2"]
        with _client_for(tmp_path / "kc.yaml", "sim-2") as api:
            assert len(k8s.CoreV1Api(api).list_service_for_all_namespaces().items) == 6
        assert json.loads((tmp_path / "truth.json").read_text())["clusters"][1]["name"] == "sim-2"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "stopped" in out and "Traceback" not in err


@pytest.mark.parametrize("args, message", [
    (("--clusters", "0"), "--clusters must be between 1 and 50"),
    (("--broken-share", "1.5"), "--broken-share must be between 0 and 1"),
    (("--services", "many"), "'many' is not a valid integer"),
])
def test_bad_arguments_are_one_line(tmp_path, args, message):
    proc = _simulate(*args, "--kubeconfig", str(tmp_path / "kc"), "--truth", str(tmp_path / "t"),
                     env={**os.environ, "NO_COLOR": "1"})
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert message in err and len(err.strip().splitlines()) == 1
