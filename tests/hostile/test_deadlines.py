"""One wall-clock deadline per cluster: a server that sends a byte every half second (in its body or
its headers) is cut off at `scan --timeout`, reported in its entry, and the other clusters complete.
The exporter's lists have the same deadline (watch_kind's list_timeout)."""

from __future__ import annotations

import json
import threading

import pytest
import yaml

from hostile.cli_runner import run
from hostile.hostile_api import HostileApi, merged_kubeconfig
from sliceaudit.kube.clusters import ClusterAccess, connect
from sliceaudit.kube.watch import Failed, Listed, WatchOptions, watch_kind
from sliceaudit.sim.clusterserver import ClusterServer
from sliceaudit.sim.fleetrun import kubeconfig_for
from sliceaudit.sim.world.fleet import generate_cluster

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def good():
    with ClusterServer(generate_cluster("good", services=10, seed=3, broken_share=0.0)) as server:
        yield server


def test_dripping_servers_are_cut_off_at_the_deadline_and_the_others_complete(good, tmp_path):
    with HostileApi("drip-body") as body, HostileApi("drip-headers") as headers:
        config = tmp_path / "config"
        config.write_text(yaml.safe_dump(merged_kubeconfig(
            kubeconfig_for({"good": good}), body.kubeconfig("drip-body"), headers.kubeconfig("drip-headers"))))
        # Each dripping answer would take more than an hour; the scan must end with its 3 s timeout.
        result = run("scan", "--kubeconfig", str(config), "--all-contexts", "--timeout", "3", "-o", "json",
                     "--fail-on", "never", timeout=60)
    report = json.loads(result.stdout)
    clusters = {c["name"]: c for c in report["clusters"]}
    assert clusters["good"]["services"] and not clusters["good"]["errors"]
    for name in ("drip-body", "drip-headers"):
        assert clusters[name]["services"] == []
        (error,) = clusters[name]["errors"]
        assert error["object"] == "cluster"
        assert error["message"].startswith("deadline reached while listing ") or \
            error["message"] == "timed out after 3 s", error
    assert result.returncode == 2
    assert sorted(result.stderr.decode().splitlines()) == sorted(
        f"sliceaudit: cluster {n}: {clusters[n]['errors'][0]['message']}" for n in ("drip-body", "drip-headers"))


@pytest.mark.parametrize("mode", ["drip-body", "drip-chunked"])   # a declared length is read in one call
def test_the_exporters_list_has_a_deadline_too(mode):
    errors, lists = [], []
    stop = threading.Event()
    with HostileApi(mode) as api:
        config = api.kubeconfig("drip")
        access = ClusterAccess(name="drip", source="kubeconfig", kubeconfig=config, context="drip")

        def watch(client):
            for event in watch_kind(client, "Service", stop=stop, options=WatchOptions(list_timeout=1.0)):
                match event:
                    case Listed(records=records):
                        lists.append(records)
                    case Failed(error=error):
                        errors.append(error)
                        stop.set()

        with connect(access) as client:
            thread = threading.Thread(target=watch, args=(client,), daemon=True)
            thread.start()
            thread.join(60)
    assert not thread.is_alive() and not lists
    assert [str(e) for e in errors] == ["deadline reached while listing services"]
