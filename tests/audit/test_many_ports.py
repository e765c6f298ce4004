"""A Service with many ports: each port comes out as it would for a Service with that port alone.

Findings are grouped across ports (NULL_PORTS, PORT_UNSET, PORT_ZERO one each, PORT_MISSING one per
port) by set and dict operations, linear in ports x endpoints; this checks that the grouping
changes nothing but the grouping. `make bench` (bench/manyports.py) times 1000 ports x 10k endpoints.
"""

from __future__ import annotations

import msgspec

from sliceaudit.api.decode import decode_object
from sliceaudit.audit.cluster import audit_service
from sliceaudit.audit.report import severity

PORTS = 24
SLICES = 30
PER_SLICE = 20
SHAPES = ("all", "all", "null", "odd", "unset-3", "zero-5", "terminating", "fqdn")


def _slice(k: int, names: list[str]) -> dict:
    shape = SHAPES[k % len(SHAPES)]
    numbered = [{"name": n, "port": 20000 + i} for i, n in enumerate(names)]
    ports = {"all": numbered, "null": None, "odd": numbered[1::2], "terminating": numbered, "fqdn": numbered,
             "unset-3": [{"name": names[3]}, *numbered[4:]], "zero-5": [{"name": names[5], "port": 0}, *numbered[:5]]}
    conditions = {"ready": False, "serving": True, "terminating": True} if shape == "terminating" else {"ready": True}
    # Every third slice repeats the previous slice's addresses: the same endpoint under several shapes.
    base = k - 1 if k % 3 == 2 else k
    endpoints = [{"addresses": [f"10.1.{base}.{j}"], "conditions": conditions} for j in range(PER_SLICE)]
    return {"metadata": {"name": f"wide-{k:02d}", "namespace": "big", "labels": {"kubernetes.io/service-name": "wide"}},
            "addressType": "FQDN" if shape == "fqdn" else "IPv4", "ports": ports[shape], "endpoints": endpoints}


def _service(ports: list[dict]) -> dict:
    return {"metadata": {"name": "wide", "namespace": "big"}, "spec": {"ports": ports}}


def _finding(report, code):
    found = [f for f in report.findings if f.code == code]
    return found[0] if found else None


def test_each_port_comes_out_as_if_it_were_alone():
    names = [f"p{i}" for i in range(PORTS)]
    service_ports = [{"name": n, "port": 10000 + i, "targetPort": n} for i, n in enumerate(names)]
    slices = [decode_object("EndpointSlice", _slice(k, names)) for k in range(SLICES)]
    wide = audit_service(decode_object("Service", _service(service_ports)), slices)
    alone = [audit_service(decode_object("Service", _service([p])), slices) for p in service_ports]

    assert wide.ports == [a.ports[0] for a in alone]
    assert {a.endpoints for a in alone} == {wide.endpoints}
    assert wide.status == max((a.status for a in alone), key=severity)
    assert [f for f in wide.findings if f.code == "PORT_MISSING"] == sorted(
        (f for a in alone for f in a.findings if f.code == "PORT_MISSING"), key=lambda f: f.ports)

    for code in ("NULL_PORTS", "PORT_UNSET", "PORT_ZERO", "TERMINATING_ONLY", "FQDN_SLICE"):
        parts = [(p["name"], f) for p, a in zip(service_ports, alone) if (f := _finding(a, code))]
        grouped = _finding(wide, code)
        assert (grouped is None) == (not parts), code
        if grouped is None:
            continue
        assert grouped.addresses == sorted({x for _, f in parts for x in f.addresses}), code
        assert grouped.slices == sorted({x for _, f in parts for x in f.slices}), code
        if code != "FQDN_SLICE":
            assert grouped.ports == [name for name, _ in parts], code
    null = _finding(wide, "NULL_PORTS")
    zero = {x for code in ("PORT_UNSET", "PORT_ZERO") if (f := _finding(wide, code)) for x in f.addresses}
    assert wide.null_port_endpoints == len(null.addresses) and wide.port_zero_endpoints == len(zero)
    # Every shape above occurs, so every grouping path ran.
    assert {f.code for f in wide.findings} == {"NULL_PORTS", "PORT_UNSET", "PORT_ZERO", "PORT_MISSING",
                                               "FQDN_SLICE"}
    assert msgspec.json.encode(wide) == msgspec.json.encode(audit_service(
        decode_object("Service", _service(service_ports)), list(reversed(slices))))
