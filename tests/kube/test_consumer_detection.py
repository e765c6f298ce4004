"""Consumer detection in a live scan: the simulated clusters' proxies are found with their versions.

The expected consumers are written here from the images the simulator deploys (sim/world/catalog.py EDGE
and its CoreDNS): the test does not reuse the detection's own image table.
"""

from __future__ import annotations

import pytest
from kube_testkit import access_for

from sliceaudit.consumers.detect import parse_consumer
from sliceaudit.live.scan import scan_cluster
from sliceaudit.sim.clusterserver import ClusterServer
from sliceaudit.sim.world.fleet import generate_cluster

EXPECTED = {
    0: {("coredns", "v1.11.3"), ("skipper", "v0.21.146")},
    1: {("coredns", "v1.11.3"), ("ingress-nginx", "v1.6.4"), ("skipper", "v0.21.150")},
    2: {("coredns", "v1.11.3"), ("traefik", "v3.6.23"), ("linkerd", "stable-2.14.10")},
}


@pytest.mark.parametrize("index", sorted(EXPECTED))
def test_a_live_scan_finds_the_proxies_the_cluster_runs(index):
    cluster = generate_cluster(f"c{index}", services=30, seed=11, broken_share=0.3, index=index)
    with ClusterServer(cluster) as server:
        report = scan_cluster(access_for(server))
    assert report.errors == []
    assert {(c.name, c.version) for c in report.consumers} == EXPECTED[index]
    for c in report.consumers:
        assert c.found_in and all(" (" in where for where in c.found_in)


def test_the_incident_version_is_hit_where_the_fix_is_not():
    """Skipper v0.21.146 routes the null-port endpoints of the simulated Services (at :0 when their slice
    sorts last, else at another slice's number); v0.21.150 drops those slices and never dials them."""
    for index, before_fix in ((0, True), (1, False)):
        cluster = generate_cluster(f"c{index}", services=30, seed=11, broken_share=0.3, index=index)
        with ClusterServer(cluster) as server:
            report = scan_cluster(access_for(server))
        null_port = [s for s in report.services if any(f.code == "NULL_PORTS" for f in s.findings)]
        assert null_port, "the simulated fleet has null-port Services"
        for svc in null_port:
            nulls = {a for f in svc.findings if f.code == "NULL_PORTS" for a in f.addresses}
            dialled = {b.rsplit(":", 1)[0] for i in svc.impact if i.consumer == "skipper"
                       for p in i.ports for b in p.backends}
            assert bool(nulls & dialled) == before_fix, (index, svc.namespace, svc.name)


def test_declared_consumers_skip_detection():
    cluster = generate_cluster("c0", services=10, seed=11, index=0)
    with ClusterServer(cluster) as server:
        report = scan_cluster(access_for(server), consumers=[parse_consumer("kong@3.2")])
        listed = {r.path for r in server.requests}
    assert [(c.name, c.found_in) for c in report.consumers] == [("kong", ["--consumer"])]
    assert not any(p.endswith(("/deployments", "/daemonsets", "/statefulsets")) for p in listed)
