"""Contour (projectcontour/contour internal/xdscache/v3/endpointslicetranslator.go).

Source read at 31c4bb38 (main), `RecalculateEndpoints`:
- endpoints with `ready: false` are skipped (nil = ready; serving and terminating not read);
- per entry: a nil number or protocol is skipped, non-TCP is skipped, and a named Service port
  skips entries of another name; an UNNAMED Service port takes every TCP entry of the slice,
  whatever its name (the reference table says only "name if the Service port is named");
- the first address only, deduplicated by `ip:port`; a number of 0 is sent to Envoy as `ip:0`.
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
        for e in s.endpoints or ():
            if conditions(e).ready is False or not e.addresses:
                continue
            for p in s.ports or ():
                name, protocol = p.key
                if p.port is None or protocol != "TCP":
                    continue
                if sp.name and sp.name != name:
                    continue
                backends.append(hostport(e.addresses[0], p.port))
    return backends, ()


def model(service: Service, slices: Sequence[EndpointSlice]) -> Outcome:
    return per_port(service, slices, "contour", build)


CONSUMER = Consumer(
    name="contour",
    title="Contour",
    images=("projectcontour/contour",),
    behaviours=(Behaviour(">= v1.29 (slices by default)", (VersionRange(since=v("1.29.0")),), model,
                          "internal/xdscache/v3/endpointslicetranslator.go RecalculateEndpoints @ 31c4bb38"),),
    note="before v1.29 Contour reads the Endpoints API unless told otherwise",
)
