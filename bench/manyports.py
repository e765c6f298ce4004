"""One Service with 1000 ports and 10k endpoints: the audit is linear in ports x endpoints.

The Service's slices mix every shape the audit groups across ports: half list every port, 30%
have `ports: null`, 20% list every other port (PORT_MISSING on the rest). The baseline is the same
Service with 100 ports, times 10: what a linear audit costs. Grouping findings was quadratic in
ports (a list scan per endpoint and port): 35-70 s here before issue 10.
"""

from __future__ import annotations

import time

from bench.probe import interleaved, serve
from bench.results import Figure, figure, ratio_at_most
from sliceaudit.api.decode import decode_object
from sliceaudit.api.records import EndpointSlice, Service
from sliceaudit.audit.cluster import audit_service

PORTS = 1000
ENDPOINTS = 10_000
PER_SLICE = 100


def wide_service(ports: int, endpoints: int = ENDPOINTS) -> tuple[Service, list[EndpointSlice]]:
    names = [f"p{i}" for i in range(ports)]
    service = {"metadata": {"name": "wide", "namespace": "big"},
               "spec": {"ports": [{"name": n, "port": 10000 + i, "targetPort": n} for i, n in enumerate(names)]}}
    numbered = [{"name": n, "port": 20000 + i} for i, n in enumerate(names)]
    count = endpoints // PER_SLICE
    slices = []
    for k in range(count):
        share = k / count
        slice_ports = numbered if share < 0.5 else None if share < 0.8 else numbered[1::2]
        slices.append({
            "metadata": {"name": f"wide-{k:03d}", "namespace": "big", "labels": {"kubernetes.io/service-name": "wide"}},
            "addressType": "IPv4", "ports": slice_ports,
            "endpoints": [{"addresses": [f"10.{k // 250}.{k % 250}.{j}"], "conditions": {"ready": True}}
                          for j in range(PER_SLICE)],
        })
    return decode_object("Service", service), [decode_object("EndpointSlice", s) for s in slices]


def probe_audit(ports: str) -> dict:
    """One audit of the Service with `ports` ports, timed in this fresh process."""
    service, slices = wide_service(int(ports))
    start = time.perf_counter()
    audit_service(service, slices)
    return {"seconds": time.perf_counter() - start}


def run() -> list[Figure]:
    wide, narrow = interleaved("bench.manyports", [("audit", str(PORTS)), ("audit", str(PORTS // 10))])
    print(f"   input: one Service, {PORTS} ports, {ENDPOINTS} endpoints in {ENDPOINTS // PER_SLICE} slices")
    return [figure(f"core: one Service, {PORTS} ports x {ENDPOINTS // 1000}k endpoints", [r["seconds"] for r in wide],
                   "s", f"{PORTS // 10} ports, times 10 (linear)", [r["seconds"] * 10 for r in narrow],
                   targets=[ratio_at_most(1.5)])]


if __name__ == "__main__":
    serve({"audit": probe_audit})
