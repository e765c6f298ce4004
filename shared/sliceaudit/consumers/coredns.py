"""CoreDNS's kubernetes plugin: SRV records of headless Services (coredns/coredns plugin/kubernetes).

Source read at 4b26cced (master):
- object/endpoint.go `endpointSliceToEndpoints`: a slice with no ports gets the sentinel port -1;
  an entry without a number becomes -1; `ready: false` endpoints are dropped (nil = ready);
  every address is kept.
- kubernetes.go `findServices`: only headless Services (and endpoint queries) answer from slices;
  SRV records pair each address with each entry whose name and protocol match the query;
  plugin/backend_lookup.go drops port -1 records. A and AAAA records ignore ports entirely.
A ClusterIP Service's SRV records carry the Service's own port: its slices are not read.
"""

from __future__ import annotations

from collections.abc import Sequence

from sliceaudit.api.records import CLUSTER_IP_NONE, EndpointSlice, Service, ServicePort
from sliceaudit.consumers.model import Behaviour, Consumer, Outcome
from sliceaudit.consumers.reading import conditions, hostport, per_port, routes
from sliceaudit.consumers.versions import VersionRange, v


def build(sp: ServicePort, slices: Sequence[EndpointSlice]):
    records = []
    for s in slices:
        numbers = [p.port for p in s.ports or () if p.port is not None and p.key == sp.key]
        for e in s.endpoints or ():
            if conditions(e).ready is False:
                continue
            records.extend(hostport(a, n) for a in e.addresses for n in numbers)
    return records, ()


def model(service: Service, slices: Sequence[EndpointSlice]) -> Outcome:
    if service.spec.cluster_ip != CLUSTER_IP_NONE:
        return Outcome(tuple(routes(p, ()) for p in service.ports), reads_slices=False)
    return per_port(service, slices, "coredns", build)


CONSUMER = Consumer(
    name="coredns",
    title="CoreDNS (SRV records)",
    images=("coredns/coredns", "coredns"),
    behaviours=(Behaviour(">= v1.8.1", (VersionRange(since=v("1.8.1")),), model,
                          "plugin/kubernetes/object/endpoint.go endpointSliceToEndpoints @ 4b26cced"),),
    note="routes are the SRV targets of headless Services",
)
