"""HAProxy Kubernetes Ingress Controller (haproxytech/kubernetes-ingress pkg/k8s/informers.go, pkg/store/events.go).

Source read at fc120676 (master):
- informers.go (discovery/v1 case): endpoints whose `Ready == nil || !*Ready` are skipped, so an
  absent ready condition DROPS the endpoint; every address is kept; `item.Ports[*port.Name] =
  {Port: int64(*port.Port)}` panics on a number-less entry (in the informer's handler, which
  client-go does not recover); a port 0 is stored as is. The reference table says a nil number
  panics; the source panics on ANY number-less entry of the slice, whatever its name.
- events.go `getEndpoints`: per Service port name, the union over slices of (address, number):
  matched by name only, no protocol.
"""

from __future__ import annotations

from collections.abc import Sequence

from sliceaudit.api.records import EndpointSlice, Service, ServicePort
from sliceaudit.consumers.model import Behaviour, Consumer, Effect, EffectKind, Outcome
from sliceaudit.consumers.reading import ControllerPanic, conditions, hostport, label, per_port
from sliceaudit.consumers.versions import VersionRange

WHERE = "HAProxy ingress controller panics (nil pointer dereference on a slice port without a number)"


def build(sp: ServicePort, slices: Sequence[EndpointSlice]):
    backends, dropped = [], 0
    for s in slices:
        if any(p.port is None for p in s.ports or ()):
            raise ControllerPanic(f"slice {s.metadata.name} has a port entry without a number")
        numbers = [p.port for p in s.ports or () if p.key[0] == (sp.name or "")]
        for e in s.endpoints or ():
            ready = conditions(e).ready
            if ready is None and numbers:
                dropped += 1
            if not ready:
                continue
            backends.extend(hostport(a, n) for a in e.addresses for n in numbers)
    effects = ()
    if dropped:
        effects = (Effect(EffectKind.ENDPOINT_DROPPED, sp.name or "",
                          f"port {label(sp)}: {dropped} endpoint(s) without a ready condition are dropped"),)
    return backends, effects


def model(service: Service, slices: Sequence[EndpointSlice]) -> Outcome:
    return per_port(service, slices, WHERE, build)


CONSUMER = Consumer(
    name="haproxy-ingress",
    title="HAProxy Kubernetes Ingress",
    images=("haproxytech/kubernetes-ingress",),
    behaviours=(Behaviour("all (when discovery/v1 exists)", (VersionRange(),), model,
                          "pkg/k8s/informers.go, pkg/store/events.go getEndpoints @ fc120676"),),
)
