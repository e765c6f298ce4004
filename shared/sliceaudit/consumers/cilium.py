"""Cilium's service load-balancing (cilium/cilium pkg/k8s/endpoints.go, pkg/loadbalancer/writer/writer.go).

Source read at the index's newest versions:
- endpoints.go `ParseEndpointSliceV1`: IPv4/IPv6 slices only; `parseEndpointPortV1` skips an
  entry without a number or of an unknown protocol, and accepts 0; each backend carries every
  entry's (protocol, number) with the entry names ("" for none); every address is a backend.
- writer.go `matchesFrontend`: same protocol, and a NAMED frontend (Service port) takes only
  backends listing its name; an unnamed one takes all of that protocol.
- conditions: `ParseEndpointConditionsV1` keeps ready / serving / terminating flags; selection is
  modelled as kube-proxy's (ready, else serving and terminating): the BPF reconciler's fallback
  was not traced line by line.
"""

from __future__ import annotations

from collections.abc import Sequence

from sliceaudit.api.records import EndpointSlice, Service, ServicePort
from sliceaudit.consumers.model import Behaviour, Consumer, Outcome
from sliceaudit.consumers.reading import conditions, hostport, per_port
from sliceaudit.consumers.versions import VersionRange


def build(sp: ServicePort, slices: Sequence[EndpointSlice]):
    ready, fallback = [], []
    for s in slices:
        if s.address_type not in ("IPv4", "IPv6"):
            continue
        protocol = sp.protocol or "TCP"
        numbers = [p.port for p in s.ports or ()
                   if p.port is not None and p.key[1] == protocol and (not sp.name or p.key[0] == sp.name)]
        for e in s.endpoints or ():
            c = conditions(e)
            pairs = [hostport(a, n) for a in e.addresses for n in numbers]
            if c.terminating is True:
                if c.serving is not False:
                    fallback.extend(pairs)
            elif c.ready is not False:
                ready.extend(pairs)
    return (ready or fallback), ()


def model(service: Service, slices: Sequence[EndpointSlice]) -> Outcome:
    return per_port(service, slices, "cilium", build)


CONSUMER = Consumer(
    name="cilium",
    title="Cilium",
    images=("cilium/cilium",),
    behaviours=(Behaviour("all (slices preferred)", (VersionRange(),), model,
                          "pkg/k8s/endpoints.go ParseEndpointSliceV1, pkg/loadbalancer/writer/writer.go"),),
    note="with kube-proxy replacement; otherwise kube-proxy programs the Services",
)
