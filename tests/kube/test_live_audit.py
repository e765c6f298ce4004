"""The live audit per namespace: the same report as auditing the whole snapshot, in less memory."""

from __future__ import annotations

import pytest

from sliceaudit.api.decode import decode_object
from sliceaudit.api.snapshot import Snapshot
from sliceaudit.audit.cluster import audit_cluster
from sliceaudit.kube.pages import ListOptions
from sliceaudit.live.fetch import fetch_snapshot
from sliceaudit.live.namespaces import NamespaceStream, OutOfOrder, audit_live
from sliceaudit.live.owners import Owners


def service(ns, name):
    return decode_object("Service", {"metadata": {"namespace": ns, "name": name},
                                     "spec": {"ports": [{"name": "http", "port": 80}]}})


def endpoint_slice(ns, name, svc, ports):
    return decode_object("EndpointSlice", {
        "metadata": {"namespace": ns, "name": name, "labels": {"kubernetes.io/service-name": svc}},
        "endpoints": [{"addresses": [f"10.0.0.{len(name)}"]}], "ports": ports})


SERVICES = [service("a", "web"), service("b", "api"), service("c", "idle")]
SLICES = [endpoint_slice("a", "web-1", "web", [{"name": "http", "port": 8080}]),
          endpoint_slice("a", "web-22", "web", None),
          endpoint_slice("b", "api-1", "api", [{"name": "http", "port": 0}])]


def test_stream_equals_the_whole_audit_and_keeps_only_problem_slices():
    stream = NamespaceStream(SERVICES)
    stream.add(SLICES[:2])
    stream.add(SLICES[2:])
    assert stream.finish() == audit_cluster("c", Snapshot.of(SERVICES + SLICES)).services
    assert sorted(stream.kept) == [("a", "web"), ("b", "api")]


def test_a_namespace_coming_back_is_out_of_order():
    stream = NamespaceStream(SERVICES)
    stream.add([SLICES[0], SLICES[2]])
    with pytest.raises(OutOfOrder):
        stream.add([SLICES[1]])


@pytest.mark.parametrize("owners", [Owners.NEEDED, Owners.NONE])
def test_live_audit_equals_the_snapshot_audit(client, owners):
    assert audit_live(client, "sim", owners=owners) == audit_cluster("sim", fetch_snapshot(client, owners=owners))


def test_a_list_restarted_by_410_is_audited_once(client, server):
    expected = audit_live(client, "sim", owners=Owners.NONE)
    server.requests.clear()
    server.faults.add(status=410, on="continue", resource="endpointslices")
    assert audit_live(client, "sim", owners=Owners.NONE, listing=ListOptions(page_size=7)) == expected
    assert any(r.status == 410 for r in server.requests)   # the list did restart
