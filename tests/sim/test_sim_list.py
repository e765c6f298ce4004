"""Lists and gets through the real kubernetes client: pages, resourceVersion, selectors, errors."""

import json

import pytest
from kubernetes.client.exceptions import ApiException
from sim_testkit import api_client, names


def _all_pages(method, limit, **kwargs):
    pages, token = [], None
    while True:
        page = method(limit=limit, _continue=token, **kwargs)
        pages.append(page)
        token = page.metadata._continue
        if not token:
            return pages


def test_pages_cover_every_slice_once_with_remaining_counts(discovery, cluster):
    pages = _all_pages(discovery.list_endpoint_slice_for_all_namespaces, 7)
    got = [(s.metadata.namespace, s.metadata.name) for p in pages for s in p.items]
    want = sorted((o["metadata"]["namespace"], o["metadata"]["name"]) for o in cluster.objects["EndpointSlice"])
    assert sorted(got) == want and len(got) == len(set(got))
    assert all(len(p.items) == 7 for p in pages[:-1])
    total = len(want)
    for i, p in enumerate(pages[:-1]):
        assert p.metadata.remaining_item_count == total - 7 * (i + 1)
    assert pages[-1].metadata.remaining_item_count is None
    # Every page of one list reports the snapshot's resourceVersion.
    assert len({p.metadata.resource_version for p in pages}) == 1


def test_a_list_continues_in_its_snapshot_while_objects_change(server, core):
    first = core.list_service_for_all_namespaces(limit=5)
    extra = {"metadata": {"name": "zzz-added-later", "namespace": "zzzz"}, "spec": {"ports": [{"port": 80}]}}
    server.apply("Service", extra)
    try:
        rest = _all_pages(core.list_service_for_all_namespaces, 500)
        assert "zzz-added-later" in names(rest[0].items)
        token = first.metadata._continue
        following = core.list_service_for_all_namespaces(limit=500, _continue=token)
        assert "zzz-added-later" not in names(following.items)
        assert following.metadata.resource_version == first.metadata.resource_version
    finally:
        server.delete("Service", "zzzz", "zzz-added-later")


def test_objects_carry_resource_versions_below_the_lists(core):
    page = core.list_pod_for_all_namespaces()
    list_rv = int(page.metadata.resource_version)
    rvs = [int(p.metadata.resource_version) for p in page.items]
    assert rvs and max(rvs) <= list_rv and len(set(rvs)) == len(rvs)


def test_namespaced_list_and_single_get(core, cluster):
    pod = cluster.objects["Pod"][0]
    ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
    listed = _all_pages(core.list_namespaced_pod, 3, namespace=ns)
    got = [p.metadata.name for page in listed for p in page.items]
    assert sorted(got) == sorted(o["metadata"]["name"] for o in cluster.objects["Pod"]
                                 if o["metadata"]["namespace"] == ns)
    one = core.read_namespaced_pod(name, ns)
    assert one.metadata.uid == pod["metadata"]["uid"] and one.status.pod_ip == pod["status"]["podIP"]


def test_raw_list_bytes_are_the_api_shape(discovery):
    resp = discovery.list_endpoint_slice_for_all_namespaces(limit=2, _preload_content=False)
    body = json.loads(resp.data)
    assert body["kind"] == "EndpointSliceList" and body["apiVersion"] == "discovery.k8s.io/v1"
    assert set(body["metadata"]) == {"resourceVersion", "continue", "remainingItemCount"}
    for item in body["items"]:
        assert item["metadata"]["managedFields"]
        # Controller-made and mirrored slices are owned; hand-made ones are not.
        if item["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"].endswith(".k8s.io"):
            assert item["metadata"]["ownerReferences"][0]["controller"] is True


@pytest.mark.parametrize("selector, keep", [
    ("endpointslice.kubernetes.io/managed-by=endpointslice-controller.k8s.io",
     lambda labels: labels.get("endpointslice.kubernetes.io/managed-by") == "endpointslice-controller.k8s.io"),
    ("endpointslice.kubernetes.io/managed-by!=endpointslice-controller.k8s.io",
     lambda labels: labels.get("endpointslice.kubernetes.io/managed-by") != "endpointslice-controller.k8s.io"),
    ("endpointslice.kubernetes.io/managed-by in (ops-team, external-endpoints.example.com)",
     lambda labels: labels.get("endpointslice.kubernetes.io/managed-by") in ("ops-team",
                                                                          "external-endpoints.example.com")),
    ("service.kubernetes.io/headless", lambda labels: "service.kubernetes.io/headless" in labels),
    ("!service.kubernetes.io/headless,kubernetes.io/service-name",
     lambda labels: "service.kubernetes.io/headless" not in labels and "kubernetes.io/service-name" in labels),
])
def test_label_selectors(discovery, cluster, selector, keep):
    pages = _all_pages(discovery.list_endpoint_slice_for_all_namespaces, 4, label_selector=selector)
    got = sorted(s.metadata.name for p in pages for s in p.items)
    want = sorted(o["metadata"]["name"] for o in cluster.objects["EndpointSlice"] if keep(o["metadata"]["labels"]))
    assert got == want and want
    # Filtered lists tell no remaining count, as the API server does.
    assert all(p.metadata.remaining_item_count is None for p in pages)


def test_field_selectors(core, cluster):
    pod = cluster.objects["Pod"][3]["metadata"]
    by_name = core.list_pod_for_all_namespaces(field_selector=f"metadata.name={pod['name']}")
    assert names(by_name.items) == [pod["name"]]
    others = core.list_pod_for_all_namespaces(field_selector=f"metadata.namespace!={pod['namespace']}")
    assert pod["namespace"] not in {p.metadata.namespace for p in others.items} and others.items


@pytest.mark.parametrize("call, status, reason", [
    (lambda core: core.read_namespaced_pod("nope", "default"), 404, "NotFound"),
    (lambda core: core.list_pod_for_all_namespaces(field_selector="spec.bogus=1"), 400, "BadRequest"),
    (lambda core: core.list_pod_for_all_namespaces(label_selector="a in (b"), 400, "BadRequest"),
    (lambda core: core.list_pod_for_all_namespaces(limit=1, _continue="not-a-token"), 400, "BadRequest"),
])
def test_errors_are_status_objects(core, call, status, reason):
    with pytest.raises(ApiException) as err:
        call(core)
    assert err.value.status == status
    body = json.loads(err.value.body)
    assert (body["kind"], body["code"], body["reason"]) == ("Status", status, reason)


def test_expired_continue_token_is_410_expired(server, core):
    first = core.list_service_for_all_namespaces(limit=3)
    server.store.expire_continue_tokens()
    with pytest.raises(ApiException) as err:
        core.list_service_for_all_namespaces(limit=3, _continue=first.metadata._continue)
    assert err.value.status == 410 and json.loads(err.value.body)["reason"] == "Expired"


@pytest.mark.parametrize("token", [None, "", "wrong-token"])
def test_requests_without_a_valid_token_are_401(server, token):
    from kubernetes import client as k8s

    api = api_client(server, token="wrong-token" if token is None else token)
    if token is None:
        api.configuration.api_key = {}
    with api, pytest.raises(ApiException) as err:
        k8s.CoreV1Api(api).list_service_for_all_namespaces()
    assert err.value.status == 401
    assert json.loads(err.value.body)["reason"] == "Unauthorized"


def test_apps_resources_are_served(apps, cluster):
    for method, kind in ((apps.list_replica_set_for_all_namespaces, "ReplicaSet"),
                         (apps.list_deployment_for_all_namespaces, "Deployment"),
                         (apps.list_stateful_set_for_all_namespaces, "StatefulSet"),
                         (apps.list_daemon_set_for_all_namespaces, "DaemonSet")):
        assert len(method().items) == len(cluster.objects[kind]) > 0
    rs = cluster.objects["ReplicaSet"][0]["metadata"]
    got = apps.read_namespaced_replica_set(rs["name"], rs["namespace"])
    assert got.metadata.owner_references[0].kind == "Deployment"
