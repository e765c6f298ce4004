"""The EndpointSlice controller's reconcile loop, over the simulator's model.

Mirrors k8s.io/endpointslice reconciler.go: per address type, pods are grouped by the
set of ports resolved for them (FindPort per Service port, named targetPorts looked up
in containers, then native sidecars); each group is packed into slices of at most
`max_endpoints` endpoints; existing slices keep their endpoints and names; a Service
without endpoints gets one placeholder slice per address type; slice port names are
the Service port names.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sliceaudit.sim.ids import Ids
from sliceaudit.sim.model import Pod, Service, selects

MAX_ENDPOINTS = 100

# (name, number, protocol, appProtocol) per resolved Service port.
PortKey = tuple[tuple[str, int, str, str | None], ...]


@dataclass(frozen=True)
class Endpoint:
    pod: str
    pod_uid: str
    address: str
    serving: bool
    terminating: bool
    node: str
    zone: str
    hostname: str | None = None

    @property
    def ready(self) -> bool:
        return self.serving and not self.terminating


@dataclass(frozen=True)
class SliceState:
    name: str
    uid: str
    address_type: str
    ports: PortKey  # empty: the API shows `ports: null`, as protobuf storage drops empty lists
    endpoints: tuple[Endpoint, ...]
    created: int
    updated: int
    placeholder: bool = False


def endpoint_ports(service: Service, pod: Pod) -> PortKey:
    """getEndpointPorts: every Service port the pod resolves, in Service order."""
    out = []
    for sp in service.ports:
        if isinstance(sp.target, int):
            number: int | None = sp.target
        else:
            number = pod.template.find_port(sp.target, sp.protocol)
        if number is not None:
            out.append((sp.name, number, sp.protocol, sp.app_protocol))
    return tuple(out)


def _endpoint(service: Service, pod: Pod, address: str) -> Endpoint:
    hostname = None
    if pod.subdomain and pod.subdomain == service.name:
        hostname = pod.name
    return Endpoint(pod.name, pod.uid, address, pod.ready, pod.terminating, pod.node, pod.zone, hostname)


def desired_endpoints(service: Service, pods: list[Pod], address_type: str) -> dict[PortKey, dict[str, Endpoint]]:
    groups: dict[PortKey, dict[str, Endpoint]] = {}
    for pod in sorted(pods, key=lambda p: p.name):
        if pod.namespace != service.namespace or not selects(service.selector, pod.labels):
            continue
        address = pod.ip4 if address_type == "IPv4" else pod.ip6
        if not address:
            continue
        groups.setdefault(endpoint_ports(service, pod), {})[pod.name] = _endpoint(service, pod, address)
    return groups


def reconcile(
    service: Service,
    pods: list[Pod],
    existing: list[SliceState],
    ids: Ids,
    now: int,
    max_endpoints: int = MAX_ENDPOINTS,
) -> list[SliceState]:
    """The slices the controller leaves behind for `service`, reusing `existing` where it can."""
    result: list[SliceState] = []
    for address_type in service.address_types:
        mine = [s for s in existing if s.address_type == address_type]
        result.extend(_by_address_type(service, pods, mine, address_type, ids, now, max_endpoints))
    return result


def _by_address_type(service, pods, existing, address_type, ids, now, max_endpoints) -> list[SliceState]:
    desired = desired_endpoints(service, pods, address_type)
    kept: list[SliceState] = []
    changed: set[str] = set()
    deleted: list[SliceState] = []
    created: list[SliceState] = []

    by_key: dict[PortKey, list[SliceState]] = {}
    for s in existing:
        if s.placeholder:
            deleted.append(s)
        else:
            by_key.setdefault(s.ports, []).append(s)
    for key, slices in by_key.items():
        if key not in desired:
            deleted.extend(slices)

    for key, wanted in desired.items():
        remaining = dict(wanted)
        group: list[SliceState] = []
        for s in by_key.get(key, []):
            eps = tuple(remaining.pop(e.pod) for e in s.endpoints if e.pod in remaining)
            if not eps:
                deleted.append(s)
                continue
            if eps != s.endpoints:
                s = replace(s, endpoints=eps, updated=now)
                changed.add(s.name)
            group.append(s)
        new = list(remaining.values())
        # New endpoints fill slices that change anyway before new slices are made.
        for i, s in enumerate(group):
            if s.name in changed and new and len(s.endpoints) < max_endpoints:
                room = max_endpoints - len(s.endpoints)
                group[i] = replace(s, endpoints=s.endpoints + tuple(new[:room]), updated=now)
                new = new[room:]
        while len(new) >= max_endpoints:
            created.append(_new_slice(service, address_type, key, tuple(new[:max_endpoints]), ids, now))
            new = new[max_endpoints:]
        if new:
            # The remainder goes to the unchanged slice closest to full, else a new slice.
            best, best_room = None, max_endpoints
            for i, s in enumerate(group):
                room = max_endpoints - len(s.endpoints) - len(new)
                if 0 <= room < best_room:
                    best, best_room = i, room
            if best is None:
                created.append(_new_slice(service, address_type, key, tuple(new), ids, now))
            else:
                s = group[best]
                group[best] = replace(s, endpoints=s.endpoints + tuple(new), updated=now)
        kept.extend(group)

    if not kept and not created:
        placeholder = next((s for s in deleted if s.placeholder), None)
        if placeholder is not None:
            deleted.remove(placeholder)
            kept.append(placeholder)
        else:
            created.append(
                SliceState("", "", address_type, (), (), now, now, placeholder=True)
            )

    # finalize(): a slice about to be created takes the name of one about to be deleted.
    out = list(kept)
    for s in created:
        if deleted:
            old = deleted.pop(0)
            out.append(replace(s, name=old.name, uid=old.uid, created=old.created, updated=now))
        else:
            out.append(replace(s, name=ids.generated(service.namespace, service.name + "-"), uid=ids.uid()))
    return out


def _new_slice(service, address_type, key, endpoints, ids, now) -> SliceState:
    return SliceState("", "", address_type, key, endpoints, now, now)
