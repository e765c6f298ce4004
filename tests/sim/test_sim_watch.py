"""Watches through the real kubernetes client: events, bookmarks, initial events, 410 for old versions."""

import pytest
from kubernetes import client as k8s
from kubernetes import watch
from sim_testkit import api_client, watch_events

from sliceaudit.sim.clusterserver import ClusterServer
from sliceaudit.sim.world.fleet import generate_cluster


@pytest.fixture
def fresh():
    """A small server of its own, for tests that change objects or need a short history."""
    with ClusterServer(generate_cluster("fresh", services=8, seed=5, broken_share=0), bookmark_interval=0.2,
                   history=20) as server, api_client(server) as api:
        yield server, k8s.CoreV1Api(api), k8s.DiscoveryV1Api(api)


def _service(name, ns="team", labels=None):
    return {"metadata": {"name": name, "namespace": ns, "labels": labels or {}},
            "spec": {"ports": [{"name": "http", "port": 80, "targetPort": "http"}]}}


def test_changes_arrive_in_order_with_rising_versions(fresh):
    server, core, _ = fresh
    rv = core.list_service_for_all_namespaces().metadata.resource_version
    server.apply("Service", _service("a"))
    server.apply("Service", _service("a", labels={"tier": "web"}))
    server.delete("Service", "team", "a")
    resp = core.list_service_for_all_namespaces(watch=True, resource_version=rv, timeout_seconds=5,
                                                _preload_content=False)
    events = watch_events(resp, limit=3)
    assert [e["type"] for e in events] == ["ADDED", "MODIFIED", "DELETED"]
    assert events[1]["object"]["metadata"]["labels"] == {"tier": "web"}
    rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
    assert rvs == sorted(rvs) and rvs[0] > int(rv)


def test_bookmarks_and_timeout_end_the_stream(fresh):
    _, core, _ = fresh
    rv = core.list_service_for_all_namespaces().metadata.resource_version
    resp = core.list_service_for_all_namespaces(watch=True, resource_version=rv, allow_watch_bookmarks=True,
                                                timeout_seconds=1, _preload_content=False)
    events = watch_events(resp)  # ends by itself after timeoutSeconds
    assert events and {e["type"] for e in events} == {"BOOKMARK"}
    assert all(int(e["object"]["metadata"]["resourceVersion"]) >= int(rv) for e in events)
    assert events[0]["object"]["kind"] == "Service"


def test_watch_from_zero_starts_with_every_object(fresh):
    server, core, _ = fresh
    resp = core.list_service_for_all_namespaces(watch=True, resource_version="0", timeout_seconds=1,
                                                _preload_content=False)
    events = watch_events(resp)
    assert {e["type"] for e in events} == {"ADDED"}
    assert len(events) == server.store.count("services")


def test_send_initial_events_ends_with_the_marked_bookmark(fresh):
    server, _, discovery = fresh
    resp = discovery.list_endpoint_slice_for_all_namespaces(
        watch=True, send_initial_events=True, resource_version_match="NotOlderThan", allow_watch_bookmarks=True,
        timeout_seconds=1, _preload_content=False)
    events = watch_events(resp)
    n = server.store.count("endpointslices")
    assert [e["type"] for e in events[:n]] == ["ADDED"] * n
    assert events[n]["type"] == "BOOKMARK"
    assert events[n]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}


def test_a_version_older_than_the_history_is_an_error_event_410(fresh):
    server, core, _ = fresh
    rv = core.list_service_for_all_namespaces().metadata.resource_version
    for i in range(25):  # more than the history of 20 events
        server.apply("Service", _service(f"s{i}"))
    resp = core.list_service_for_all_namespaces(watch=True, resource_version=rv, timeout_seconds=5,
                                                _preload_content=False)
    events = watch_events(resp)
    assert len(events) == 1 and events[0]["type"] == "ERROR"
    status = events[0]["object"]
    assert (status["kind"], status["code"], status["reason"]) == ("Status", 410, "Expired")


def test_label_filtered_watch_sees_objects_leave_and_enter(fresh):
    server, core, _ = fresh
    server.apply("Service", _service("b", labels={"tier": "web"}))
    rv = core.list_namespaced_service("team").metadata.resource_version
    server.apply("Service", _service("b", labels={"tier": "db"}))
    server.apply("Service", _service("b", labels={"tier": "web"}))
    resp = core.list_namespaced_service("team", watch=True, label_selector="tier=web", resource_version=rv,
                                        timeout_seconds=5, _preload_content=False)
    assert [e["type"] for e in watch_events(resp, limit=2)] == ["DELETED", "ADDED"]


def test_the_clients_own_watch_reads_the_stream(fresh):
    server, core, _ = fresh
    rv = core.list_namespaced_service("team").metadata.resource_version
    server.apply("Service", _service("c"))
    w = watch.Watch()
    seen = []
    for event in w.stream(core.list_namespaced_service, "team", resource_version=rv, timeout_seconds=5):
        seen.append((event["type"], event["object"].metadata.name))
        w.stop()
    assert seen == [("ADDED", "c")]
