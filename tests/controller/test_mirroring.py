"""Golden tests of the mirroring controller model: Endpoints in, mirrored slices out.

The judge is kubernetes pkg/controller/endpointslicemirroring (master, 2026); each case names
the file and function whose behaviour it pins.
"""

from controller_testkit import names, service

from sliceaudit.api.objects import decode, to_api
from sliceaudit.controller.mirroring import CONTROLLER, mirror


def endpoints(subsets, labels=None, annotations=None, name="db"):
    meta = {"name": name, "namespace": "shop", "uid": "uid-ep-db", "labels": labels or {"team": "data"}}
    if annotations:
        meta["annotations"] = annotations
    return decode("Endpoints", {"metadata": meta, "subsets": subsets})


SELECTORLESS = service("db", ports=(("pg", 5432, 5432),), no_selector=True)


def run(ep, svc=SELECTORLESS, existing=()):
    return mirror(ep, svc, list(existing), names())


def addresses(n, first=1):
    return [{"ip": f"192.168.{i // 250}.{i % 250 + 1}"} for i in range(first, first + n)]


# utils.go newEndpointSlice + addressToEndpoint: the Endpoints' labels with service-name and
# managed-by overwritten, owner the Endpoints, conditions carrying ready only (true for addresses,
# false for notReadyAddresses, reconciler.go reconcile), ports as they are (epPortsToEpsPorts).
def test_an_endpoints_subset_is_mirrored_with_ready_only_conditions():
    ep = endpoints([{"addresses": [{"ip": "192.168.0.1", "hostname": "db-a", "nodeName": "n1"}],
                     "notReadyAddresses": [{"ip": "192.168.0.2"}],
                     "ports": [{"name": "pg", "port": 5432, "protocol": "TCP"}]}],
                   annotations={"owner": "dba", "kubectl.kubernetes.io/last-applied-configuration": "{}"})
    (s,) = run(ep)
    api = to_api(s)
    assert api["metadata"]["labels"] == {"team": "data", "kubernetes.io/service-name": "db",
                                         "endpointslice.kubernetes.io/managed-by": CONTROLLER}
    assert api["metadata"]["annotations"] == {"owner": "dba"}
    assert api["metadata"]["generateName"] == "db-" and api["metadata"]["ownerReferences"][0]["kind"] == "Endpoints"
    assert api["ports"] == [{"name": "pg", "protocol": "TCP", "port": 5432}]
    assert api["endpoints"] == [
        {"addresses": ["192.168.0.1"], "conditions": {"ready": True}, "hostname": "db-a", "nodeName": "n1"},
        {"addresses": ["192.168.0.2"], "conditions": {"ready": False}}]


# reconciler.go reconcile: at most maxEndpointsPerSubset (1000) addresses of a subset are mirrored.
def test_at_most_1000_addresses_a_subset():
    (s,) = run(endpoints([{"addresses": addresses(1200), "ports": [{"name": "pg", "port": 5432}]}]))
    assert len(s.endpoints) == 1000


# reconciler_helpers.go initPorts with epPortsToEpsPorts of no ports: an empty port list, which
# the API serves as ports: null.
def test_a_port_less_subset_is_mirrored_as_ports_null():
    (s,) = run(endpoints([{"addresses": addresses(2)}]))
    assert to_api(s)["ports"] is None and len(s.endpoints) == 2


# addressToEndpoint: the address type is the IP's family; each family gets its own slice.
def test_ipv4_and_ipv6_addresses_get_a_slice_each():
    ep = endpoints([{"addresses": [{"ip": "192.168.0.1"}, {"ip": "fd00::1"}, {"ip": "not-an-ip"}],
                     "ports": [{"name": "pg", "port": 5432}]}])
    assert sorted((s.address_type, s.endpoints[0].addresses) for s in run(ep)) == [
        ("IPv4", ("192.168.0.1",)), ("IPv6", ("fd00::1",))]


# endpointslicemirroring_controller.go shouldMirror / skipMirror and syncEndpoints: no mirroring
# for skip-mirror "true", a leader-election annotation, a missing Service, or one with a selector.
def test_what_is_not_mirrored():
    subset = [{"addresses": addresses(1), "ports": [{"name": "pg", "port": 5432}]}]
    assert run(endpoints(subset, labels={"endpointslice.kubernetes.io/skip-mirror": "true"})) == []
    assert run(endpoints(subset, annotations={"control-plane.alpha.kubernetes.io/leader": "{}"})) == []
    assert run(endpoints(subset), svc=None) == []
    assert run(endpoints(subset), svc=service("db")) == []


# reconciler.go reconcileByPortMapping: the first existing slice of a port set is kept (unchanged
# or updated in place); an Endpoints with no addresses left has its slices deleted, no placeholder.
def test_existing_mirrored_slices_are_kept_then_deleted():
    first = run(endpoints([{"addresses": addresses(2), "ports": [{"name": "pg", "port": 5432}]}]))
    again = run(endpoints([{"addresses": addresses(2), "ports": [{"name": "pg", "port": 5432}]}]), existing=first)
    assert again == first
    grown = run(endpoints([{"addresses": addresses(3), "ports": [{"name": "pg", "port": 5432}]}]), existing=first)
    assert [s.metadata.name for s in grown] == [s.metadata.name for s in first] and len(grown[0].endpoints) == 3
    assert run(endpoints([]), existing=grown) == []
