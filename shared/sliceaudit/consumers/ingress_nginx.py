"""ingress-nginx (kubernetes/ingress-nginx internal/ingress/controller/endpointslices.go).

Source read at controller-v1.4.0 (#8890, the first to read slices), controller-v1.5.1 (#9149),
controller-v1.6.4, controller-v1.7.0 (#9550) and v1.15.1, `getEndpointsFromSlices`:
- a slice with no ports (`len(eps.Ports) == 0`: null, absent and `[]` alike) uses the Service's
  `targetPort.IntVal`; v1.4.x does so whatever the targetPort is, so a named one dials `ip:0`
  (#9141); v1.5.1+ only when it is a number (a named targetPort gives nothing).
- otherwise each entry with the Service port's protocol: an unnamed Service port takes every
  entry's number, a named one the entry with its name; `*epPort.Port` is dereferenced there, so a
  number-less entry panics the controller. A number of 0 (or no matching name) falls back to a
  numeric targetPort (#7390), else the entry is skipped.
- endpoints: before v1.7.0 `!(*ep.Conditions.Ready)` panics on an absent ready; since v1.7.0 only
  `ready: false` is dropped. Serving and terminating are not read. Every address is used.
Not in shared/reference/consumers.md: the #7390 fallback also routes a slice that lacks the port
(PORT_MISSING) at a numeric targetPort, and every address of an endpoint is used.
No `recover` guards the sync loop: a panic restarts the controller (crash loop while the slice exists).
"""

from __future__ import annotations

from collections.abc import Sequence

from sliceaudit.api.records import EndpointSlice, Service, ServicePort
from sliceaudit.consumers.model import Behaviour, Consumer, Outcome
from sliceaudit.consumers.reading import ControllerPanic, conditions, label, pairs, per_port, target_port
from sliceaudit.consumers.versions import VersionRange, v

WHERE = "ingress-nginx controller panics (nil pointer dereference in getEndpointsFromSlices)"


def _slice_ports(sp: ServicePort, s: EndpointSlice, named_target_gives_zero: bool) -> list[int]:
    tp = target_port(sp)
    numeric = isinstance(tp, int)
    if not s.ports:
        if numeric:
            return [tp]
        return [0] if named_target_gives_zero else []
    out = []
    for p in s.ports:
        name, protocol = p.key
        if protocol != (sp.protocol or "TCP"):
            continue
        number = 0
        if not sp.name or sp.name == name:
            if p.port is None:
                raise ControllerPanic(f"slice {s.metadata.name} has an entry for port {label(sp)} without a number")
            number = p.port
        if number == 0 and numeric:
            number = tp
        if number == 0:
            continue
        out.append(number)
    return out


def _build(named_target_gives_zero: bool, nil_ready_panics: bool):
    def build(sp: ServicePort, slices: Sequence[EndpointSlice]):
        backends = []
        for s in slices:
            numbers = _slice_ports(sp, s, named_target_gives_zero)
            addresses = []
            for e in s.endpoints or ():
                ready = conditions(e).ready
                if ready is None and nil_ready_panics:
                    raise ControllerPanic(f"slice {s.metadata.name} has an endpoint without a ready condition")
                if ready is not False:
                    addresses.extend(e.addresses)
            for n in numbers:
                backends.extend(pairs(addresses, n))
        return backends, ()
    return build


def v1_4(service: Service, slices: Sequence[EndpointSlice]) -> Outcome:
    return per_port(service, slices, WHERE, _build(named_target_gives_zero=True, nil_ready_panics=True))


def v1_5(service: Service, slices: Sequence[EndpointSlice]) -> Outcome:
    return per_port(service, slices, WHERE, _build(named_target_gives_zero=False, nil_ready_panics=True))


def v1_7(service: Service, slices: Sequence[EndpointSlice]) -> Outcome:
    return per_port(service, slices, WHERE, _build(named_target_gives_zero=False, nil_ready_panics=False))


PATH = "internal/ingress/controller/endpointslices.go getEndpointsFromSlices"
CONSUMER = Consumer(
    name="ingress-nginx",
    title="ingress-nginx",
    images=("ingress-nginx/controller", "ingress-nginx/controller-chroot"),
    behaviours=(
        Behaviour("v1.4.x", (VersionRange(v("1.4.0"), v("1.5.1")),), v1_4, f"{PATH} @ controller-v1.4.0"),
        Behaviour("v1.5.1 to v1.6.x", (VersionRange(v("1.5.1"), v("1.7.0")),), v1_5,
                  f"{PATH} @ controller-v1.5.1, v1.6.4"),
        Behaviour(">= v1.7.0", (VersionRange(since=v("1.7.0")),), v1_7, f"{PATH} @ controller-v1.7.0, v1.15.1"),
    ),
    note="before v1.4.0 the controller reads the Endpoints API",
)
