"""Linkerd's destination controller (linkerd/linkerd2 controller/api/destination/watcher/endpoints_watcher.go).

Source read at the index's newest endpoints_watcher.go (stable-2.14 onwards have the same lines):
- `getTargetPort`: the client dials the Service's port number; the Service port with that number
  gives its NAME as the target, so slices are matched by the Service port's name, with no
  protocol check.
- `resolveESTargetPort`: `slicePorts == nil` (null or absent `ports`) is undefined; otherwise the
  first entry with that name gives `Port(*p.Port)`, which panics on a number-less entry; no entry,
  `[]`, or a number of 0 is `undefinedEndpointPort` (0): the slice contributes no address.
- `endpointSliceToAddresses`: only `ready: false` is dropped; every address is used.
The informer's handler has no recover: a panic restarts the destination controller.
"""

from __future__ import annotations

from collections.abc import Sequence

from sliceaudit.api.records import EndpointSlice, Service, ServicePort
from sliceaudit.consumers.model import Behaviour, Consumer, Outcome
from sliceaudit.consumers.reading import ControllerPanic, conditions, hostport, label, per_port
from sliceaudit.consumers.versions import VersionRange

WHERE = "Linkerd's destination controller panics (nil pointer dereference in resolveESTargetPort)"


def _resolved(sp: ServicePort, s: EndpointSlice) -> int:
    for p in s.ports or ():
        if p.key[0] == (sp.name or ""):
            if p.port is None:
                raise ControllerPanic(f"slice {s.metadata.name} has an entry for port {label(sp)} without a number")
            return p.port
    return 0


def build(sp: ServicePort, slices: Sequence[EndpointSlice]):
    backends = []
    for s in slices:
        number = _resolved(sp, s)
        if number == 0:
            continue
        for e in s.endpoints or ():
            if conditions(e).ready is False:
                continue
            backends.extend(hostport(a, number) for a in e.addresses)
    return backends, ()


def model(service: Service, slices: Sequence[EndpointSlice]) -> Outcome:
    return per_port(service, slices, WHERE, build)


CONSUMER = Consumer(
    name="linkerd",
    title="Linkerd",
    images=("linkerd/controller", "linkerd/destination"),
    behaviours=(Behaviour("stable-2.12+", (VersionRange(),), model,
                          "controller/api/destination/watcher/endpoints_watcher.go resolveESTargetPort"),),
    note="what meshed clients are sent by the destination controller",
)
