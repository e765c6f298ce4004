"""Skipper (zalando/skipper dataclients/kubernetes, with -enable-kubernetes-endpointslices).

Source read at v0.21.149, v0.21.150 (PR #3156, 243e4313) and 527238d (v0.27.65):
- clusterclient.go `collectReadyEndpoints`: v0.21.150+ keeps a slice when `Ports != nil` (Go's
  JSON leaves `null` and an absent `ports` nil, but `[]` is an empty non-nil slice: kept); earlier
  versions keep every slice. Endpoints of all kept slices merge by first address; an address that
  any slice marks terminating is dropped for good (`terminatingEps`, `delete(resEps, address)`).
  `result[resID].Ports = epSlices[i].Ports`: the ports of the LAST slice, in the order the API
  lists them, serve every endpoint of the Service.
- endpointslices.go `isReady`: conditions nil or `ready` nil or true (serving ignored, #2709).
- endpointslices.go `targetsByServicePort`: a named Service port -> `getPort("TCP", name, port)`;
  an unnamed one with a numeric targetPort dials that number without reading the slices; else
  `getPort("TCP", "", port)`. `getPort` takes the first entry with that protocol whose name
  equals the Service port's name, or whose number equals the Service's `port` (not targetPort);
  a nil number reads as 0, and no match gives 0.
Not in shared/reference/consumers.md: the unnamed-port shortcut (slice numbers ignored), and that
an unnamed entry matches an unnamed Service port by name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from sliceaudit.api.records import EndpointPort, EndpointSlice, Service, ServicePort
from sliceaudit.consumers.model import Behaviour, Consumer, Effect, EffectKind, Outcome
from sliceaudit.consumers.reading import conditions, in_list_order, label, pairs, routes, target_port
from sliceaudit.consumers.versions import VersionRange, v


def _get_port(ports: Sequence[EndpointPort], name: str, number: int) -> int:
    for p in ports:
        if p.key[1] != "TCP":
            continue
        if p.key[0] == name:
            return p.port or 0
        if number != 0 and p.port == number:
            return number
    return 0


def _port_for(sp: ServicePort, ports: Sequence[EndpointPort]) -> int:
    if sp.name:
        return _get_port(ports, sp.name, sp.port)
    tp = target_port(sp)
    if isinstance(tp, int):
        return tp
    return _get_port(ports, "", sp.port)


def _own_number(sp: ServicePort, s: EndpointSlice) -> int | None:
    return next((p.port for p in s.ports or () if p.key == sp.key), None)


def _ready(e) -> bool:
    c = conditions(e)
    return c.terminating is not True and (c.ready is None or c.ready)


def _model(service: Service, slices: Sequence[EndpointSlice], keep_null_ports: bool) -> Outcome:
    kept = [s for s in in_list_order(slices) if keep_null_ports or s.ports is not None]
    if not kept:
        return Outcome(tuple(routes(p, ()) for p in service.ports))
    terminating: set[str] = set()
    members: dict[str, EndpointSlice] = {}   # address -> the slice it was last listed ready in
    for s in kept:
        for e in s.endpoints or ():
            if not e.addresses:
                continue
            address = e.addresses[0]
            if address in terminating:
                continue
            if conditions(e).terminating is True:
                terminating.add(address)
                members.pop(address, None)
            elif _ready(e):
                members[address] = s
    last_ports = kept[-1].ports or ()
    per_slice = Counter(s.metadata.name for s in members.values())   # members per slice they were listed in
    by_name = {s.metadata.name: s for s in kept}
    out, effects = [], []
    for sp in service.ports:
        number = _port_for(sp, last_ports)
        out.append(routes(sp, pairs(members, number)))
        # Endpoints dialled at a number their own slice does not publish for this port (by kube-proxy's
        # matching: name and protocol) are mis-mapped; dialling :0 shows in the routes themselves.
        wrong = sum(n for name, n in per_slice.items() if number and _own_number(sp, by_name[name]) != number)
        if wrong:
            effects.append(Effect(EffectKind.MIS_MAPPED_PORT, sp.name or "",
                                  f"port {label(sp)}: {wrong} of {len(members)} endpoints dialled at :{number}, "
                                  f"the number slice {kept[-1].metadata.name} publishes (the last slice's ports "
                                  f"apply to every endpoint)"))
    return Outcome(tuple(out), tuple(effects))


def before_fix(service: Service, slices: Sequence[EndpointSlice]) -> Outcome:
    return _model(service, slices, keep_null_ports=True)


def after_fix(service: Service, slices: Sequence[EndpointSlice]) -> Outcome:
    return _model(service, slices, keep_null_ports=False)


CONSUMER = Consumer(
    name="skipper",
    title="Skipper",
    images=("skipper",),
    behaviours=(
        Behaviour("<= v0.21.149", (VersionRange(until=v("0.21.150")),), before_fix,
                  "dataclients/kubernetes/clusterclient.go collectReadyEndpoints @ v0.21.149"),
        Behaviour(">= v0.21.150", (VersionRange(since=v("0.21.150")),), after_fix,
                  "dataclients/kubernetes/clusterclient.go collectReadyEndpoints @ v0.21.150 (#3156), 527238d"),
    ),
    note="reads EndpointSlices only with -enable-kubernetes-endpointslices (else the Endpoints API)",
)
