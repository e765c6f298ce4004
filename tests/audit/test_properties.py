"""Property-based tests: nothing raises out of the parser or the audit, and the report's invariants hold."""

from __future__ import annotations

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from sliceaudit.api.decode import KINDS, decode_documents, decode_list
from sliceaudit.api.records import EndpointSlice, Service
from sliceaudit.api.snapshot import Snapshot
from sliceaudit.audit.cluster import audit_cluster
from sliceaudit.consumers.kube_proxy import resolve

json_leaf = st.none() | st.booleans() | st.integers(-2, 70000) | st.text(max_size=5)
json_like = st.recursive(json_leaf, lambda inner: st.lists(inner, max_size=4)
                         | st.dictionaries(st.sampled_from(["kind", "metadata", "ports", "port", "endpoints",
                                                            "addresses", "name", "spec", "items", "labels"]),
                                           inner, max_size=4), max_leaves=25)

NAMES = st.sampled_from(["", "http", "metrics"])
PROTOCOLS = st.sampled_from([None, "TCP", "UDP"])
ADDRESSES = st.sampled_from(["10.0.0.1", "10.0.0.2", "10.0.0.3", "fd00::1"])


@st.composite
def slice_port(draw):
    port = {"name": draw(st.none() | NAMES), "protocol": draw(PROTOCOLS),
            "port": draw(st.sampled_from([None, 0, 80, 8080, 65535]))}
    return {k: v for k, v in port.items() if v is not None or draw(st.booleans())}


@st.composite
def endpoint(draw):
    ep = {"addresses": draw(st.lists(ADDRESSES, min_size=1, max_size=2))}
    if draw(st.booleans()):
        ep["conditions"] = {k: draw(st.none() | st.booleans()) for k in ("ready", "serving", "terminating")}
    return ep


@st.composite
def service_with_slices(draw):
    ports = draw(st.lists(st.fixed_dictionaries({"name": NAMES, "protocol": PROTOCOLS,
                                                 "port": st.integers(1, 65535)}),
                          max_size=3, unique_by=lambda p: p["name"]))  # the API keeps port names unique
    svc = {"kind": "Service", "metadata": {"name": "s", "namespace": "n"}, "spec": {"ports": ports}}
    slices = []
    for i in range(draw(st.integers(0, 4))):
        slices.append({
            "kind": "EndpointSlice",
            "metadata": {"name": f"s-{i}", "namespace": "n", "labels": {"kubernetes.io/service-name": "s"}},
            "addressType": draw(st.sampled_from(["IPv4", "IPv4", "IPv6", "FQDN"])),
            "ports": draw(st.none() | st.lists(slice_port(), max_size=3)),
            "endpoints": draw(st.none() | st.lists(endpoint(), max_size=4)),
        })
    return [svc, *slices]


@settings(max_examples=300, deadline=None)
@given(st.lists(json_like, max_size=5), st.sampled_from(list(KINDS)))
def test_arbitrary_documents_never_raise(docs, kind):
    tagged = [({**d, "kind": kind} if isinstance(d, dict) else d) for d in docs]
    records, errors = decode_documents((f"doc[{i}]", d) for i, d in enumerate(tagged))
    assert len(records) + len(errors) <= len(tagged)
    audit_cluster("c", Snapshot.of(records, errors))
    page = decode_list(kind, msgspec.json.encode({"metadata": {}, "items": docs}))
    assert len(page.items) + len(page.errors) == len(docs)


def _audit(objects):
    records, errors = decode_documents((f"doc[{i}]", o) for i, o in enumerate(objects))
    assert not errors
    (svc,) = audit_cluster("c", Snapshot.of(records)).services
    return svc


def _ready(ep: dict) -> bool:
    return (ep.get("conditions") or {}).get("ready") is not False


def _backend(address: str, number: int) -> str:
    return f"[{address}]:{number}" if ":" in address else f"{address}:{number}"


def _ip(backend: str) -> str:
    return backend.rsplit(":", 1)[0].strip("[]")


@settings(max_examples=400, deadline=None)
@given(service_with_slices())
def test_report_invariants(objects):
    svc = _audit(objects)
    service, slices = objects[0], objects[1:]
    proxied = [s for s in slices if s["addressType"] != "FQDN"]
    # An endpoint: a first address some IPv4/IPv6 slice lists as ready.
    endpoints = {ep["addresses"][0] for s in proxied for ep in s["endpoints"] or () if _ready(ep)}
    assert svc.endpoints == len(endpoints)

    by_code: dict[str, set[str]] = {}
    for f in svc.findings:
        by_code.setdefault(f.code, set()).update(f.addresses)
        assert f.endpoints == len(f.addresses)
    assert svc.null_port_endpoints == len(by_code.get("NULL_PORTS", set()))
    assert svc.port_zero_endpoints == len(by_code.get("PORT_UNSET", set()) | by_code.get("PORT_ZERO", set()))
    assert svc.null_port_endpoints <= svc.endpoints and svc.port_zero_endpoints <= svc.endpoints
    assert ("FQDN_SLICE" in by_code) == (len(proxied) < len(slices))

    backend_ips = {p.name: {_ip(b) for b in p.backends} for p in svc.ports}
    for f in svc.findings:
        if f.code in ("NULL_PORTS", "PORT_UNSET", "PORT_ZERO", "PORT_MISSING"):
            assert set(f.addresses) <= endpoints
            if len(f.ports) == 1:  # a backend is never a faulty endpoint of that same port
                assert not set(f.addresses) & backend_ips[f.ports[0]], f

    for p, sp in zip(svc.ports, service["spec"]["ports"]):
        key = (sp["name"], sp["protocol"] or "TCP")
        # Every backend is an ip:number some IPv4/IPv6 slice lists under this port's name and protocol.
        listed = {_backend(ep["addresses"][0], e["port"]) for s in proxied for e in s["ports"] or ()
                  if ((e.get("name") or ""), e.get("protocol") or "TCP") == key and e.get("port")
                  for ep in s["endpoints"] or ()}
        assert set(p.backends) <= listed

    # Status follows from the endpoints and each port's backends.
    terminating_only = {n for f in svc.findings if f.code == "TERMINATING_ONLY" for n in f.ports}
    if not svc.ports:
        expected = "ok"
    elif endpoints and any(not p.backends for p in svc.ports):
        expected = "outage"
    elif terminating_only or any(not endpoints <= backend_ips[p.name] for p in svc.ports):
        expected = "degraded"
    else:
        expected = "ok"
    assert svc.status == expected


@settings(max_examples=200, deadline=None)
@given(service_with_slices())
def test_slice_order_and_fqdn_slices_change_nothing(objects):
    svc = _audit(objects)
    assert _audit([objects[0], *reversed(objects[1:])]) == svc
    without_fqdn = _audit([o for o in objects if o.get("addressType") != "FQDN"])
    svc.findings = [f for f in svc.findings if f.code != "FQDN_SLICE"]
    assert without_fqdn == svc


@settings(max_examples=200, deadline=None)
@given(service_with_slices())
def test_no_backend_is_a_fault_of_its_port(objects):
    records, _ = decode_documents((f"doc[{i}]", o) for i, o in enumerate(objects))
    service = next(r for r in records if isinstance(r, Service))
    resolution = resolve(service.ports, [r for r in records if isinstance(r, EndpointSlice)])
    for port in resolution.ports:
        faulty = port.fault_addresses()
        assert not port.served() & faulty
        assert faulty <= resolution.endpoints
        assert sum(map(len, port.faults.values())) == len(faulty)  # each endpoint under one state only
        assert port.unserved == len(resolution.endpoints - port.served()) >= len(faulty)
