"""Kong Ingress Controller (Kong/kubernetes-ingress-controller internal/dataplane/translator/translate_upstreams.go).

Source read at 1fa68f86 (main), `getEndpoints`: entries with the Service port's name and protocol;
a nil number or one below 0 is skipped, so 0 passes as a target `ip:0`; nil ready is ready;
`ready: false` is dropped (terminating ones too, unless drain support is on); first address only,
deduplicated.
"""

from __future__ import annotations

from collections.abc import Sequence

from sliceaudit.api.records import EndpointSlice, Service, ServicePort
from sliceaudit.consumers.model import Behaviour, Consumer, Outcome
from sliceaudit.consumers.reading import conditions, hostport, per_port
from sliceaudit.consumers.versions import VersionRange, v


def build(sp: ServicePort, slices: Sequence[EndpointSlice]):
    backends = []
    for s in slices:
        for p in s.ports or ():
            if p.port is None or p.key != sp.key:
                continue
            for e in s.endpoints or ():
                if conditions(e).ready is False or not e.addresses:
                    continue
                backends.append(hostport(e.addresses[0], p.port))
    return backends, ()


def model(service: Service, slices: Sequence[EndpointSlice]) -> Outcome:
    return per_port(service, slices, "kong", build)


CONSUMER = Consumer(
    name="kong",
    title="Kong Ingress Controller",
    images=("kong/kubernetes-ingress-controller",),
    behaviours=(Behaviour(">= v2.10.0", (VersionRange(since=v("2.10.0")),), model,
                          "internal/dataplane/translator/translate_upstreams.go getEndpoints @ 1fa68f86"),),
    note="what the controller sends Kong; whether Kong accepts a port-0 target was not read",
)
