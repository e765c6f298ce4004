"""Golden tests of the EndpointSlice controller model: objects in, slices out, one rule a case.

The judge is the Kubernetes source (k8s.io/endpointslice staging at kubernetes master, 2026):
each case names the file and function whose behaviour it pins.
"""

import pytest
from controller_testkit import NODES, names, node, pod, service

from sliceaudit.api.findport import find_port
from sliceaudit.api.objects import decode, to_api
from sliceaudit.controller.endpointslice import reconcile


def run(svc, pods, nodes=NODES, existing=(), max_endpoints=100, namer=None):
    return reconcile(svc, pods, nodes, list(existing), namer or names(), max_endpoints)


def ports_of(s):
    return None if s.ports is None else [(p.name, p.protocol, p.port) for p in s.ports]


def pods_of(s):
    return sorted(e.target_ref.name for e in s.endpoints or ())


# utils.go FindPort: a number as is; a name among app containers with the same protocol, then
# init containers with restartPolicy Always (native sidecars); nothing else.
@pytest.mark.parametrize("target, kwargs, want", [
    (8443, {}, 8443),
    ("http", {}, 8080),
    ("admin", {"sidecar_ports": (("admin", 15000),)}, 15000),
    ("setup", {"init_ports": (("setup", 9999),)}, None),
    ("http", {"protocol": "UDP"}, None),
    ("grpc", {}, None),
])
def test_find_port(target, kwargs, want):
    p = pod("p", **kwargs)
    sp = service(ports=(("x", 80, target),)).ports[0]
    assert find_port(p.spec, sp) == want


def test_an_absent_target_port_is_the_port_as_the_api_server_defaults_it():
    svc = decode("Service", {"metadata": {"name": "web"}, "spec": {"ports": [{"port": 8080}]}})
    assert find_port(pod("p").spec, svc.ports[0]) == 8080


# reconciler.go reconcileByAddressType: pods are grouped by the hash of getEndpointPorts; a pod
# whose named targetPort does not resolve gets the empty port list, read back as ports: null.
def test_a_pod_without_the_named_port_lands_in_a_ports_null_slice():
    good = [pod(f"web-{i}") for i in range(3)]
    canary = [pod("canary-0", ports=(("web", 8080),))]
    slices = run(service(), good + canary)
    assert sorted((ports_of(s) or [], pods_of(s)) for s in slices) == [
        ([], ["canary-0"]), ([("http", "TCP", 8080)], ["web-0", "web-1", "web-2"])]
    assert to_api(next(s for s in slices if s.ports is None))["ports"] is None


# utils.go getEndpointPorts: a Service port that does not resolve is skipped (`continue`); the
# pod's slice lists the others. Slice port names are the Service port names.
def test_a_pod_with_some_of_the_ports_gets_a_slice_listing_only_those():
    svc = service(ports=(("http", 80, "http"), ("grpc", 9000, "grpc")))
    both = pod("both", ports=(("http", 8080), ("grpc", 9090)))
    one = pod("one", ports=(("http", 8081),))
    slices = {tuple(ports_of(s)): pods_of(s) for s in run(svc, [both, one])}
    assert slices == {(("http", "TCP", 8080), ("grpc", "TCP", 9090)): ["both"], (("http", "TCP", 8081),): ["one"]}


# reconciler.go reconcileByPortMapping with maxEndpointsPerSlice 100: new slices are filled to 100.
def test_at_most_100_endpoints_a_slice():
    pods = [pod(f"web-{i:03d}", ips=[f"10.1.{i // 250}.{i % 250 + 1}"]) for i in range(250)]
    assert sorted(len(s.endpoints) for s in run(service(), pods)) == [50, 100, 100]


# reconciler.go: "When no endpoint slices would usually exist, we need to add a placeholder",
# one per address type, with no endpoints and no ports; an identical one is kept, not recreated.
def test_a_service_without_endpoints_gets_one_placeholder_per_address_type():
    svc = service(families=("IPv4", "IPv6"))
    slices = run(svc, [])
    assert sorted(s.address_type for s in slices) == ["IPv4", "IPv6"]
    assert all(s.endpoints is None and s.ports is None for s in slices)
    assert run(svc, [], existing=slices) == slices


# utils.go newEndpointSlice + setEndpointSliceLabels: generateName `<service>-`, owner the Service,
# its labels without the reserved keys, plus service-name, managed-by, headless for clusterIP None.
def test_names_labels_and_owner():
    labels = {"team": "shop", "kubernetes.io/service-name": "spoofed", "endpointslice.kubernetes.io/managed-by": "x"}
    (s,) = run(service(labels=labels), [pod("web-0")])
    assert s.metadata.generate_name == "web-" and s.metadata.name == "web-00001"
    assert s.metadata.labels == {"team": "shop", "kubernetes.io/service-name": "web",
                                 "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"}
    (owner,) = s.metadata.owner_references
    assert (owner.kind, owner.name, owner.uid, owner.controller) == ("Service", "web", "uid-svc-web", True)
    (h,) = run(service(cluster_ip="None"), [pod("web-0")])
    assert h.metadata.labels["service.kubernetes.io/headless"] == ""


# utils.go podToEndpoint: serving = Ready condition, terminating = deletionTimestamp set,
# ready = publishNotReadyAddresses || (serving && !terminating).
@pytest.mark.parametrize("ready, deleting, publish, want", [
    (True, False, False, (True, True, False)),
    (False, False, False, (False, False, False)),
    (True, True, False, (False, True, True)),
    (False, True, False, (False, False, True)),
    (False, False, True, (True, False, False)),
    (True, True, True, (True, True, True)),
])
def test_the_three_conditions(ready, deleting, publish, want):
    (s,) = run(service(publish_not_ready=publish), [pod("web-0", ready=ready, deleting=deleting)])
    c = s.endpoints[0].conditions
    assert (c.ready, c.serving, c.terminating) == want


# controller_utils.go ShouldPodBeInEndpoints(pod, true): terminal phases and pods without an IP
# are left out; terminating pods stay. reconciler.go: a pod on an unknown Node is skipped unless
# publishNotReadyAddresses.
def test_which_pods_are_left_out():
    pods = [pod("running"), pod("done", phase="Succeeded"), pod("crashed", phase="Failed"),
            pod("pending", phase="Pending", ips=[], node=None), pod("leaving", deleting=True),
            pod("lost", node="node-gone")]
    assert [pods_of(s) for s in run(service(), pods)] == [["leaving", "running"]]
    assert [pods_of(s) for s in run(service(publish_not_ready=True), pods)] == [["leaving", "lost", "running"]]


# utils.go podToEndpoint: nodeName when scheduled, zone only from the Node's topology label;
# controller_utils.go ShouldSetHostname: spec.hostname set and spec.subdomain == Service name.
def test_node_zone_and_hostname():
    nodes = {"node-a": node("node-a", "eu-west-1a"), "node-z": node("node-z", None)}
    pods = [pod("db-0", hostname="db-0", subdomain="web", node="node-a"),
            pod("db-1", hostname="db-1", subdomain="other", node="node-z")]
    (s,) = run(service(), pods, nodes=nodes)
    got = {e.target_ref.name: (e.node_name, e.zone, e.hostname) for e in s.endpoints}
    assert got == {"db-0": ("node-a", "eu-west-1a", "db-0"), "db-1": ("node-z", None, None)}


# utils.go getAddressTypesForService + getEndpointAddresses: one set of slices per family of
# spec.ipFamilies, each endpoint with the pod IPs of that family; IPv6-only Services get IPv6 only.
def test_dual_stack_and_ipv6_only():
    p = pod("web-0", ips=["10.0.0.7", "fd00::7"])
    dual = {s.address_type: s.endpoints[0].addresses for s in run(service(families=("IPv4", "IPv6")), [p])}
    assert dual == {"IPv4": ("10.0.0.7",), "IPv6": ("fd00::7",)}
    six = run(service(families=("IPv6",), cluster_ip="fd00:96::10"), [p])
    assert [(s.address_type, s.endpoints[0].addresses) for s in six] == [("IPv6", ("fd00::7",))]


# utils.go getAddressTypesForService: without ipFamilies, the clusterIP's family; headless gets both.
@pytest.mark.parametrize("cluster_ip, want", [("10.96.0.1", ["IPv4"]), ("fd00::1", ["IPv6"]),
                                              ("None", ["IPv4", "IPv6"])])
def test_address_types_without_ip_families(cluster_ip, want):
    slices = run(service(families=(), cluster_ip=cluster_ip), [])
    assert sorted(s.address_type for s in slices) == want


# utils.go getEndpointPorts: "Allow headless service not to have ports": every pod, ports null.
def test_headless_without_ports_puts_every_pod_in_one_ports_null_slice():
    (s,) = run(service(ports=(), cluster_ip="None"), [pod("db-0"), pod("db-1", ports=())])
    assert s.ports is None and pods_of(s) == ["db-0", "db-1"]


# endpointslice_controller.go syncService: ExternalName Services and Services without a selector
# get nothing from this controller.
def test_external_name_and_selectorless_services_get_nothing():
    assert run(service(type_="ExternalName"), [pod("web-0")]) == []
    assert run(service(no_selector=True), [pod("web-0")]) == []


# reconcileByPortMapping keeps existing slices and names; finalize turns a create plus a delete
# into an update of the deleted slice's name (the placeholder becomes the real slice).
def test_existing_slices_are_kept_and_recycled():
    namer = names()
    svc = service()
    (placeholder,) = run(svc, [], namer=namer)
    (first,) = run(svc, [pod("web-0"), pod("web-1")], existing=[placeholder], namer=namer)
    assert first.metadata.name == placeholder.metadata.name and pods_of(first) == ["web-0", "web-1"]
    pods = [pod("web-0"), pod("web-2")]
    (second,) = run(svc, pods, existing=[first], namer=namer)
    assert second.metadata.name == first.metadata.name and pods_of(second) == ["web-0", "web-2"]
    assert run(svc, pods, existing=[second], namer=namer) == [second]
