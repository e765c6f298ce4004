"""Each injectable fault, as the real kubernetes client experiences it."""

import json

import pytest
import urllib3
from kubernetes.client.exceptions import ApiException


def _status_of(call):
    with pytest.raises(ApiException) as err:
        call()
    return err.value


@pytest.mark.parametrize("status, reason", [(500, "InternalError"), (503, "ServiceUnavailable"),
                                            (504, "Timeout"), (403, "Forbidden")])
def test_error_status_for_a_number_of_requests(server, core, status, reason):
    fault = server.faults.add("/api/v1/services", status=status, times=2)
    for _ in range(2):
        err = _status_of(core.list_service_for_all_namespaces)
        body = json.loads(err.body)
        assert (err.status, body["kind"], body["code"], body["reason"]) == (status, "Status", status, reason)
    assert core.list_service_for_all_namespaces().items
    assert fault.hits == 2


def test_throttling_says_when_to_retry(server, core):
    server.faults.add(status=429, retry_after=3, resource="services")
    err = _status_of(core.list_service_for_all_namespaces)
    assert err.status == 429 and err.headers["Retry-After"] == "3"
    assert json.loads(err.body)["details"]["retryAfterSeconds"] == 3


def test_resource_faults_hit_every_scope_and_other_resources_not(server, core, cluster):
    server.faults.add(status=503, times=None, resource="pods")
    ns = cluster.objects["Pod"][0]["metadata"]["namespace"]
    assert _status_of(core.list_pod_for_all_namespaces).status == 503
    assert _status_of(lambda: core.list_namespaced_pod(ns)).status == 503
    assert core.list_service_for_all_namespaces().items


def test_continue_pages_can_be_expired(server, core):
    server.faults.add(status=410, on="continue", resource="services")
    first = core.list_service_for_all_namespaces(limit=5)
    err = _status_of(lambda: core.list_service_for_all_namespaces(limit=5, _continue=first.metadata._continue))
    assert err.status == 410 and json.loads(err.body)["reason"] == "Expired"
    # A new list starts over and pages through.
    again = core.list_service_for_all_namespaces(limit=5)
    assert core.list_service_for_all_namespaces(limit=5, _continue=again.metadata._continue).items


def test_slow_responses_make_an_impatient_client_give_up(server, core):
    server.faults.add(delay=1.5, resource="services")
    with pytest.raises(urllib3.exceptions.ReadTimeoutError):
        core.list_service_for_all_namespaces(_request_timeout=(5, 0.3))
    assert core.list_service_for_all_namespaces(_request_timeout=(5, 5)).items


def test_watch_streams_can_drop_in_the_middle_of_an_event(server, discovery):
    server.faults.add(drop_after=1, resource="endpointslices")
    resp = discovery.list_endpoint_slice_for_all_namespaces(watch=True, resource_version="0", timeout_seconds=5,
                                                            _preload_content=False)
    lines = []
    with pytest.raises((urllib3.exceptions.ProtocolError, ValueError)):
        for line in resp:
            lines.append(line)
            json.loads(line)  # the cut line is half an object
    assert json.loads(lines[0])["type"] == "ADDED"
    assert len(lines) <= 2


def test_faults_are_used_up_and_can_be_removed(server, core):
    once = server.faults.add(status=503, resource="services")
    forever = server.faults.add(status=500, times=None, resource="services")
    assert _status_of(core.list_service_for_all_namespaces).status == 503
    assert _status_of(core.list_service_for_all_namespaces).status == 500
    server.faults.remove(forever)
    assert core.list_service_for_all_namespaces().items
    assert (once.hits, forever.hits) == (1, 1)


def test_the_request_log_shows_what_the_client_asked(server, core):
    core.list_service_for_all_namespaces(limit=3, label_selector="app.kubernetes.io/managed-by=Helm")
    last = server.requests[-1]
    assert (last.path, last.status, last.watch) == ("/api/v1/services", 200, False)
    assert last.query["limit"] == "3" and last.query["labelSelector"] == "app.kubernetes.io/managed-by=Helm"
