"""Property-based tests: nothing raises out of the parser or the audit, and the report's invariants hold."""

from __future__ import annotations

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from sliceaudit.core.audit import audit_cluster
from sliceaudit.core.decode import KINDS, decode_documents, decode_list
from sliceaudit.core.snapshot import Snapshot

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
        ep["conditions"] = {k: draw(st.none() | st.booleans()) for k in ("ready", "terminating")}
    return ep


@st.composite
def service_with_slices(draw):
    ports = draw(st.lists(st.fixed_dictionaries({"name": NAMES, "protocol": PROTOCOLS,
                                                 "port": st.integers(1, 65535)}),
                          max_size=3, unique_by=lambda p: (p["name"], p["protocol"] or "TCP")))
    svc = {"kind": "Service", "metadata": {"name": "s", "namespace": "n"}, "spec": {"ports": ports}}
    slices = []
    for i in range(draw(st.integers(0, 4))):
        slices.append({
            "kind": "EndpointSlice",
            "metadata": {"name": f"s-{i}", "namespace": "n", "labels": {"kubernetes.io/service-name": "s"}},
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


@settings(max_examples=400, deadline=None)
@given(service_with_slices())
def test_report_invariants(objects):
    records, errors = decode_documents((f"doc[{i}]", o) for i, o in enumerate(objects))
    assert not errors
    (svc,) = audit_cluster("c", Snapshot.of(records)).services
    by_code: dict[str, set[str]] = {}
    for f in svc.findings:
        by_code.setdefault(f.code, set()).update(f.addresses)
        assert f.endpoints == len(f.addresses)
    assert svc.null_port_endpoints == len(by_code.get("NULL_PORTS", set()))
    assert svc.port_zero_endpoints == len(by_code.get("PORT_UNSET", set()) | by_code.get("PORT_ZERO", set()))

    # An address that is a backend of every Service port appears in no finding.
    backend_sets = [{b.rsplit(":", 1)[0].strip("[]") for b in p.backends} for p in svc.ports]
    everywhere = set.intersection(*backend_sets) if backend_sets else set()
    assert not everywhere & set().union(*by_code.values())

    for p in svc.ports:
        assert len(p.backends) <= svc.endpoints
    assert svc.null_port_endpoints <= svc.endpoints and svc.port_zero_endpoints <= svc.endpoints
    if not svc.ports:
        expected = "ok"
    elif svc.endpoints and any(not p.backends for p in svc.ports):
        expected = "outage"
    elif svc.findings:
        expected = "degraded"
    else:
        expected = "ok"
    assert svc.status == expected
