"""Impact: a Service's slices and the consumers in use in, what each does differently from kube-proxy out."""

from __future__ import annotations

import sys
from pathlib import Path

import msgspec
import pytest

from sliceaudit.api.records import Deployment
from sliceaudit.api.snapshot import Snapshot
from sliceaudit.audit.cluster import audit_cluster
from sliceaudit.consumers.detect import parse_consumer

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "consumers"))
from consumers_testkit import matrix_script  # noqa: E402

SHAPES = {s.name: s for s in matrix_script().load_shapes()}


def audit(shape: str, *consumers: str, workloads=()):
    s = SHAPES[shape]
    snapshot = Snapshot(services=(s.service,), slices=s.slices, deployments=tuple(workloads))
    declared = [parse_consumer(c) for c in consumers] if consumers else None
    return msgspec.to_builtins(audit_cluster("c1", snapshot, declared))


def impact(shape: str, *consumers: str):
    (svc,) = audit(shape, *consumers)["services"]
    return svc["impact"]


def test_skipper_before_the_fix_dials_every_endpoint_at_port_zero():
    # skipper#3151: the null slice sorts last, its absent ports serve every endpoint.
    (i,) = impact("null_ports", "skipper@v0.21.146")
    assert (i["consumer"], i["version"], i["behaviour"]) == ("skipper", "v0.21.146", "<= v0.21.149")
    (port,) = i["ports"]
    assert port["wrong"] == ["10.0.0.1:0", "10.0.0.2:0", "10.0.0.3:0"]
    assert port["missing"] == ["10.0.0.1:8080", "10.0.0.2:8080"]
    assert port["share"] == 1.0
    assert "3 of 3 backends (3 at TCP port 0)" in i["message"] and "100% of its requests" in i["message"]


def test_the_fixed_skipper_routes_null_port_slices_like_kube_proxy():
    assert impact("null_ports", "skipper@v0.21.150") == []


def test_a_share_of_requests_goes_to_mis_mapped_numbers():
    (i,) = impact("two_numbers", "skipper@v0.21.150")
    (port,) = i["ports"]
    assert port["wrong"] == ["10.0.0.1:9090", "10.0.0.2:9090"] and port["share"] == pytest.approx(0.6667)
    assert [e["kind"] for e in i["effects"]] == ["mis_mapped_port"]


def test_an_unknown_version_lists_each_possible_behaviour_that_differs():
    (i,) = impact("null_ports", "skipper")
    assert (i["version"], i["behaviour"]) == ("unknown", "<= v0.21.149")
    assert i["message"].startswith("Skipper (version unknown), if <= v0.21.149:")


def test_kube_proxy_and_consumers_that_agree_have_no_impact():
    assert impact("port_zero", "kube-proxy", "linkerd", "ingress-nginx@1.9.4") == []


@pytest.mark.parametrize("shape,consumer,code", [
    ("port_unset", "ingress-nginx@v1.9.4", "CONSUMER_PANIC"),
    ("nil_ready", "ingress-nginx@v1.6.4", "CONSUMER_PANIC"),
    ("port_unset", "haproxy-ingress@3.0.1", "CONSUMER_PANIC"),
    ("port_zero", "envoy-gateway@v1.3.0", "CONSUMER_CONFIG_REJECTED"),
])
def test_effects_beyond_the_service_are_cluster_wide_findings(shape, consumer, code):
    cluster = audit(shape, consumer)
    (svc,) = cluster["services"]
    (i,) = svc["impact"]
    assert i.get("ports", []) == []   # its routes are not updated at all: none to compare
    (c,) = cluster["consumers"]
    (finding,) = c["findings"]
    assert finding["code"] == code and finding["services"] == ["shop/web"]
    assert "no route it serves in this cluster is updated" in finding["message"]


def test_consumers_are_detected_from_workload_images_when_none_are_declared():
    image = "registry.opensource.zalan.do/teapot/skipper:v0.21.146"
    skipper = msgspec.convert({"metadata": {"namespace": "kube-system", "name": "skipper-ingress"},
                               "spec": {"template": {"spec": {"containers": [{"name": "skipper", "image": image}]}}}},
                              Deployment)
    cluster = audit("null_ports", workloads=[skipper])
    (c,) = cluster["consumers"]
    assert (c["name"], c["version"], c["behaviours"]) == ("skipper", "v0.21.146", ["<= v0.21.149"])
    assert c["found_in"] == ["Deployment kube-system/skipper-ingress "
                             "(registry.opensource.zalan.do/teapot/skipper:v0.21.146)"]
    assert [i["consumer"] for i in cluster["services"][0]["impact"]] == ["skipper"]


def test_declared_consumers_override_detection():
    cluster = audit("null_ports", "traefik@v3.6.23")
    assert [c["name"] for c in cluster["consumers"]] == ["traefik"]
    assert cluster["services"][0]["impact"] == []


def test_coredns_reads_only_headless_services():
    assert impact("null_ports", "coredns@1.11.1") == []
    assert impact("headless_null_ports", "coredns@1.11.1") == []
