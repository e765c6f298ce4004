"""Listing against the simulated API server over real HTTPS: pages, retries, expiry, faults."""

import base64
import socket
import time

import pytest
import trustme
from kube_testkit import access_for

from sliceaudit.audit.cluster import audit_cluster, consumers_of
from sliceaudit.kube.clusters import connect
from sliceaudit.kube.errors import ClusterError
from sliceaudit.kube.pages import SLOW_ANSWER, ListOptions, iter_pages, list_kind, read_body
from sliceaudit.live.fetch import fetch_snapshot
from sliceaudit.live.namespaces import audit_live
from sliceaudit.live.owners import Owners


class Sleeps(list):
    """Records the waits a retry loop asks for instead of sleeping them."""

    def __call__(self, seconds):
        self.append(seconds)


def names(records):
    return sorted((r.metadata.namespace, r.metadata.name) for r in records)


def expected(cluster, kind):
    return sorted((o["metadata"]["namespace"], o["metadata"]["name"]) for o in cluster.objects[kind])


def lists(server, plural):
    return [r for r in server.requests if r.path.endswith("/" + plural) and not r.watch]


def test_lists_every_page_with_limit_and_continue(client, server, cluster):
    listed = list_kind(client, "EndpointSlice", listing=ListOptions(page_size=7))
    assert names(listed.items) == expected(cluster, "EndpointSlice")
    seen = lists(server, "endpointslices")
    assert len(seen) == -(-len(cluster.objects["EndpointSlice"]) // 7)
    assert all(r.query["limit"] == "7" for r in seen)
    assert "continue" not in seen[0].query and all("continue" in r.query for r in seen[1:])
    assert listed.resource_version


def test_the_next_page_is_asked_for_before_this_one_is_handed_on(client, server, cluster):
    pages = iter_pages(client, "EndpointSlice", listing=ListOptions(page_size=7))
    assert len(next(pages).items) == 7
    deadline = time.monotonic() + 10
    while len(lists(server, "endpointslices")) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(lists(server, "endpointslices")) == 2   # the server builds page 2 while page 1 is audited
    pages.close()   # a consumer that stops (a namespace out of order) leaves page 2 unread
    again = list_kind(client, "EndpointSlice", listing=ListOptions(page_size=7))
    assert names(again.items) == expected(cluster, "EndpointSlice")   # its connection was not reused


def test_a_page_asked_for_early_is_retried_like_any_other(client, server, cluster):
    server.faults.add(status=503, times=2, on="continue", resource="endpointslices")
    sleeps = Sleeps()
    listed = list_kind(client, "EndpointSlice", listing=ListOptions(page_size=7), sleep=sleeps)
    assert names(listed.items) == expected(cluster, "EndpointSlice")
    assert len(sleeps) == 2
    statuses = [(r.status, "continue" in r.query) for r in lists(server, "endpointslices")]
    assert statuses[:4] == [(200, False), (503, True), (503, True), (200, True)]


def test_against_a_slow_server_pages_asked_for_on_a_thread_lose_nothing(client, server, cluster):
    server.faults.add(delay=SLOW_ANSWER * 2, times=None, on="continue", resource="endpointslices")
    listed = list_kind(client, "EndpointSlice", listing=ListOptions(page_size=7))
    assert names(listed.items) == expected(cluster, "EndpointSlice")
    seen = lists(server, "endpointslices")
    assert len(seen) == -(-len(cluster.objects["EndpointSlice"]) // 7)   # each page asked for once


def test_a_page_declared_larger_than_the_limit_is_refused_before_it_is_read(client):
    resp = client.open("EndpointSlice", timeout=(10, 60), limit=500)
    declared = resp.length_remaining
    try:
        with pytest.raises(ClusterError, match="^a page of the endpointslices list is larger than") as err:
            read_body(resp, None, "endpointslices", limit=declared - 1)
    finally:
        resp.close()
        resp.release_conn()
    assert err.value.reason == "too-large"
    assert resp.length_remaining == declared   # not a byte of it was read


def test_expired_continue_token_restarts_the_list(client, server, cluster):
    server.faults.add(status=410, on="continue", resource="endpointslices")
    listed = list_kind(client, "EndpointSlice", listing=ListOptions(page_size=10))
    assert names(listed.items) == expected(cluster, "EndpointSlice")   # no duplicates, nothing lost
    statuses = [(r.status, "continue" in r.query) for r in lists(server, "endpointslices")]
    assert statuses[:3] == [(200, False), (410, True), (200, False)]


def test_throttling_waits_as_long_as_retry_after_says(client, server, cluster):
    server.faults.add(status=429, times=2, retry_after=3, resource="services")
    sleeps = Sleeps()
    listed = list_kind(client, "Service", sleep=sleeps)
    assert names(listed.items) == expected(cluster, "Service")
    assert sleeps == [3.0, 3.0]


@pytest.mark.parametrize("status", [500, 503, 504])
def test_server_errors_are_retried_with_growing_jittered_backoff(client, server, cluster, status):
    server.faults.add(status=status, times=3, resource="services")
    sleeps = Sleeps()
    listed = list_kind(client, "Service", sleep=sleeps)
    assert names(listed.items) == expected(cluster, "Service")
    assert len(sleeps) == 3 and sleeps[0] < sleeps[2] and all(s > 0 for s in sleeps)


def test_retries_are_bounded(client, server):
    server.faults.add(status=503, times=None, resource="services")
    with pytest.raises(ClusterError, match=r"^server error 503 listing services after 6 attempts$"):
        list_kind(client, "Service", sleep=Sleeps())


@pytest.mark.parametrize(("deadline", "seconds", "expected"), [
    (None, None, None),     # no deadline anywhere: lists may take as long as they take
    (None, 5.0, 105.0),     # a timeout alone ends them that long from now
    (103.0, None, 103.0),   # a deadline alone stays
    (103.0, 5.0, 103.0),    # both: the earlier wins (the Lambda's invocation ends first)
    (110.0, 5.0, 105.0),    # both: the earlier wins (the scan's --timeout ends first)
])
def test_list_options_end_at_the_earlier_of_deadline_and_timeout(deadline, seconds, expected):
    assert ListOptions(deadline=deadline).within(seconds, now=100.0).deadline == expected


def test_deadline_ends_the_retries(client, server):
    server.faults.add(status=503, times=None, resource="services")
    with pytest.raises(ClusterError, match="deadline reached"):
        list_kind(client, "Service", listing=ListOptions(deadline=time.monotonic() + 0.5))


def refused_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"https://127.0.0.1:{s.getsockname()[1]}"


@pytest.mark.parametrize(("how", "message"), [
    ("token", "unauthorized (token rejected)"),
    ("forbidden", "forbidden: needs get/list/watch on services (cluster-wide)"),
    ("ca", "TLS verification failed for https://127.0.0.1:"),
    ("refused", "connection refused by https://127.0.0.1:"),
    ("dns", "cannot resolve host of https://no-such-cluster.invalid:6443 (DNS)"),
])
def test_cluster_faults_are_one_clear_line(server, how, message):
    kwargs = {"token": {"token": "not-the-token"},
              "ca": {"ca_data": base64.b64encode(trustme.CA().cert_pem.bytes()).decode()},
              "refused": {"url": refused_url()},
              "dns": {"url": "https://no-such-cluster.invalid:6443"}}.get(how, {})
    if how == "forbidden":
        server.faults.add(status=403, resource="services")
    with connect(access_for(server, **kwargs)) as client, pytest.raises(ClusterError) as err:
        fetch_snapshot(client)
    text = str(err.value)
    assert text.startswith(message)
    assert "\n" not in text and server.token not in text and "not-the-token" not in text


def test_slow_server_hits_the_deadline(client, server):
    server.faults.add(delay=2.0, resource="services")
    with pytest.raises(ClusterError, match="timed out|deadline"):
        list_kind(client, "Service", listing=ListOptions(deadline=time.monotonic() + 0.5))


def test_a_slow_next_page_hits_the_deadline_too(client, server):
    server.faults.add(delay=3.0, on="continue", resource="endpointslices")   # page 2 is asked for early
    started = time.monotonic()
    with pytest.raises(ClusterError, match="timed out|deadline"):
        list_kind(client, "EndpointSlice", listing=ListOptions(page_size=7, deadline=time.monotonic() + 0.5))
    assert time.monotonic() - started < 2.0


def test_owners_none_reads_services_and_slices_only(client, server, cluster):
    snap = fetch_snapshot(client, owners=Owners.NONE)
    assert names(snap.services) == expected(cluster, "Service")
    assert names(snap.slices) == expected(cluster, "EndpointSlice")
    assert not snap.pods and not snap.replicasets
    assert not [r for r in server.requests if r.path.endswith(("/pods", "/replicasets"))]


def test_owners_all_reads_every_owner_kind(client, cluster):
    snap = fetch_snapshot(client, owners=Owners.ALL)
    for kind, field in (("Pod", "pods"), ("ReplicaSet", "replicasets"), ("Deployment", "deployments"),
                        ("StatefulSet", "statefulsets"), ("DaemonSet", "daemonsets")):
        assert names(getattr(snap, field)) == expected(cluster, kind)


def test_owners_needed_reads_only_problem_namespaces_and_finds_the_same_causes(client, server, cluster):
    needed = fetch_snapshot(client, owners=Owners.NEEDED)
    problem = {s["namespace"] for s in cluster.truth["services"] if s["status"] != "ok" or s["findings"]}
    assert {p.metadata.namespace for p in needed.pods} == problem
    pod_lists = [r.path for r in server.requests if r.path.endswith("/pods")]
    assert sorted(pod_lists) == sorted(f"/api/v1/namespaces/{ns}/pods" for ns in problem)
    full = fetch_snapshot(client, owners=Owners.ALL)
    everything = audit_cluster("sim", full)
    # A snapshot without workloads detects no consumers: it gets those the full one runs.
    assert audit_cluster("sim", needed, consumers_of(full)) == everything
    assert audit_live(client, "sim", owners=Owners.NEEDED) == everything


def test_forbidden_pods_cost_root_cause_not_the_audit(client, server):
    server.faults.add(status=403, times=None, resource="pods")
    snap = fetch_snapshot(client, owners=Owners.ALL)
    assert snap.services and snap.slices and not snap.pods
    assert any(e.object == "pods" and "forbidden" in e.message for e in snap.errors)


def test_a_malformed_object_is_rejected_alone(client, server, cluster):
    bad = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": "IPv4",
           "metadata": {"name": "bad-ports", "namespace": "default",
                        "labels": {"kubernetes.io/service-name": "whatever"}},
           "ports": {"name": "http"}, "endpoints": []}
    server.apply("EndpointSlice", bad)
    try:
        snap = fetch_snapshot(client, owners=Owners.NONE)
        assert len(snap.slices) == len(cluster.objects["EndpointSlice"])
        assert [e.object for e in snap.errors] == ["EndpointSlice default/bad-ports"]
    finally:
        server.delete("EndpointSlice", "default", "bad-ports")
