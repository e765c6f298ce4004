"""The EndpointSlice controller's pass over one Service: the slices it leaves behind.

Follows k8s.io/endpointslice (kubernetes staging, 2026): endpointslice_controller.go
`syncService`, reconciler.go `Reconcile`, `reconcileByAddressType`, `reconcileByPortMapping`,
`finalize`, utils.go `podToEndpoint`, `getEndpointPorts`, `getAddressTypesForService`,
`setEndpointSliceLabels`, `getSliceToFill`, util/controller_utils.go `ShouldPodBeInEndpoints`,
`ShouldSetHostname`. Where Go iterates a map or pops any element of a set, this model takes
pods and slices in name order so the same input always gives the same output; a slice's ports
keep the Service's order (Go orders them by hash). Returned slices are what the API then
serves: empty `ports` and `endpoints` read back as null.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from msgspec.structs import replace

from sliceaudit.api.findport import find_port
from sliceaudit.api.objects import (
    HEADLESS_LABEL,
    Endpoint,
    EndpointPort,
    EndpointSlice,
    Node,
    ObjectMeta,
    ObjectReference,
    OwnerReference,
    Pod,
    Service,
)
from sliceaudit.api.records import (
    CLUSTER_IP_NONE,
    MANAGED_BY_LABEL,
    SERVICE_NAME_LABEL,
    SLICE_CONTROLLER,
    EndpointConditions,
)

CONTROLLER = SLICE_CONTROLLER
MAX_ENDPOINTS = 100  # kube-controller-manager --max-endpoints-per-slice default
RESERVED_LABELS = (SERVICE_NAME_LABEL, MANAGED_BY_LABEL, HEADLESS_LABEL)

# A fresh object name for a generateName prefix (the API server's job when the controller creates).
Names = Callable[[str], str]
PortKey = tuple[tuple[str, str, int, str], ...]


def address_types(service: Service) -> tuple[str, ...]:
    """getAddressTypesForService: spec.ipFamilies; else the clusterIP's family; headless gets both."""
    families = [f for f in ("IPv4", "IPv6") if f in (service.spec.ip_families or ())]
    if families:
        return tuple(families)
    ip = service.spec.cluster_ip
    if ip and ip != CLUSTER_IP_NONE:
        parsed = parse_ip(ip)
        return ("IPv6",) if parsed and parsed[0] == 6 else ("IPv4",)
    return ("IPv4", "IPv6")


def endpoint_ports(service: Service, pod: Pod) -> tuple[EndpointPort, ...]:
    """getEndpointPorts: the Service ports that resolve on the pod (FindPort); others are skipped."""
    out = []
    for sp in service.ports:
        number = find_port(pod.spec, sp)
        if number is None:
            continue
        name, protocol = sp.key   # the API server's defaults, which the controller sees
        out.append(EndpointPort(name=name, protocol=protocol, port=number, app_protocol=sp.app_protocol))
    return tuple(out)


def _port_key(ports: Iterable[EndpointPort]) -> PortKey:
    """NewPortMapKey: the port set, order-free."""
    return tuple(sorted((p.name or "", p.protocol or "", p.port or 0, p.app_protocol or "") for p in ports))


_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_canonical_ipv4 = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}").fullmatch


def parse_ip(text: str) -> tuple[int, str] | None:
    """(version, canonical text) of an IP, as ParseIPSloppy then String(); None if it is none."""
    if _canonical_ipv4(text):
        return 4, text  # the common case, without ipaddress's cost (it is most of a large pass)
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        parts = text.split(".")  # ParseIPSloppy also takes IPv4 octets with leading zeros
        if len(parts) == 4 and all(p.isdigit() and p.isascii() and len(p) <= 3 and int(p) < 256 for p in parts):
            return 4, ".".join(str(int(p)) for p in parts)
        return None
    if ip.version == 6 and ip.ipv4_mapped is not None:
        return 4, str(ip.ipv4_mapped)  # Go's net.IP treats ::ffff:a.b.c.d as IPv4
    return ip.version, str(ip)


def pod_addresses(pod: Pod, address_type: str) -> tuple[str, ...]:
    """getEndpointAddresses: the pod's status.podIPs of that family."""
    want = 6 if address_type == "IPv6" else 4
    out = []
    for entry in pod.status.pod_ips or ():
        parsed = parse_ip(entry.ip)
        if parsed is not None and parsed[0] == want:
            out.append(parsed[1])
    return tuple(out)


def should_be_in_endpoints(pod: Pod) -> bool:
    """ShouldPodBeInEndpoints(pod, includeTerminating=true): not terminal, and has an IP."""
    return not pod.terminal and bool(pod.status.pod_ip or pod.status.pod_ips)


def pod_endpoint(pod: Pod, node: Node | None, service: Service, address_type: str) -> Endpoint:
    """podToEndpoint: the three conditions, targetRef, nodeName, zone, hostname."""
    serving = pod.ready
    terminating = pod.terminating
    ready = service.spec.publish_not_ready_addresses or (serving and not terminating)
    meta = pod.metadata
    hostname = pod.spec.hostname if (pod.spec.hostname and pod.spec.subdomain == service.metadata.name
                                     and meta.namespace == service.metadata.namespace) else None
    return Endpoint(
        addresses=pod_addresses(pod, address_type),
        conditions=EndpointConditions(ready=ready, serving=serving, terminating=terminating),
        hostname=hostname,
        target_ref=ObjectReference(kind="Pod", namespace=meta.namespace, name=meta.name, uid=meta.uid),
        node_name=pod.spec.node_name or None,
        zone=node.zone if node is not None else None,
    )


def slice_labels(service: Service) -> dict[str, str]:
    """setEndpointSliceLabels: the Service's labels but the reserved ones, plus the controller's own."""
    labels = {k: v for k, v in (service.metadata.labels or {}).items() if k not in RESERVED_LABELS}
    if service.headless:
        labels[HEADLESS_LABEL] = ""
    labels[SERVICE_NAME_LABEL] = service.metadata.name
    labels[MANAGED_BY_LABEL] = CONTROLLER
    return labels


def _unreserved(labels: Mapping[str, str] | None) -> dict[str, str]:
    return {k: v for k, v in (labels or {}).items() if k not in RESERVED_LABELS}


def _new_slice(service: Service, address_type: str, ports: Sequence[EndpointPort]) -> EndpointSlice:
    """newEndpointSlice: generateName `<service>-`, owned by the Service, no endpoints yet."""
    meta = service.metadata
    owner = OwnerReference(api_version="v1", kind="Service", name=meta.name, uid=meta.uid, controller=True,
                           block_owner_deletion=True)
    return EndpointSlice(
        metadata=ObjectMeta(generate_name=meta.name + "-", namespace=meta.namespace, labels=slice_labels(service),
                            owner_references=(owner,)),
        address_type=address_type, ports=tuple(ports) or None)


def _endpoint_key(e: Endpoint) -> tuple:
    """What EndpointSet hashes an endpoint by: its addresses, hostname and target."""
    ref = e.target_ref
    return (e.addresses, e.hostname, (ref.namespace, ref.name) if ref else None)


@dataclass
class _Draft:
    """A slice being changed in this pass (EndpointSlice records are immutable)."""

    base: EndpointSlice
    endpoints: list[Endpoint]
    labels: dict[str, str]

    def done(self) -> EndpointSlice:
        meta = replace(self.base.metadata, labels=self.labels)
        return replace(self.base, metadata=meta, endpoints=tuple(self.endpoints) or None)


@dataclass
class _Changes:
    create: list[_Draft] = field(default_factory=list)
    update: list[_Draft] = field(default_factory=list)
    delete: list[EndpointSlice] = field(default_factory=list)
    unchanged: list[EndpointSlice] = field(default_factory=list)


def reconcile(service: Service, pods: Iterable[Pod], nodes: Mapping[str, Node], existing: Sequence[EndpointSlice],
              names: Names, max_endpoints: int = MAX_ENDPOINTS) -> list[EndpointSlice]:
    """The Service's slices after one sync (syncService + Reconcile), reusing `existing` where it can."""
    if service.spec.type == "ExternalName" or service.selector is None:
        return list(existing)  # syncService returns before reconciling: nothing is written
    selected = sorted((p for p in pods if service.selects(p)), key=lambda p: p.metadata.name)
    types = address_types(service)
    out: list[EndpointSlice] = []
    for address_type in types:
        mine = [s for s in existing if s.address_type == address_type]
        out.extend(_by_address_type(service, selected, nodes, mine, address_type, names, max_endpoints))
    # Slices of an address type the Service no longer has are deleted (Reconcile).
    return out


def _by_address_type(service: Service, pods: list[Pod], nodes: Mapping[str, Node], existing: list[EndpointSlice],
                     address_type: str, names: Names, max_endpoints: int) -> list[EndpointSlice]:
    existing_by_key: dict[PortKey, list[EndpointSlice]] = {}
    for s in existing:
        existing_by_key.setdefault(_port_key(s.ports or ()), []).append(s)

    desired_ports: dict[PortKey, tuple[EndpointPort, ...]] = {}
    desired: dict[PortKey, dict[tuple, Endpoint]] = {}
    for pod in pods:
        if not should_be_in_endpoints(pod):
            continue
        ports = endpoint_ports(service, pod)
        key = _port_key(ports)
        desired_ports.setdefault(key, ports)
        group = desired.setdefault(key, {})
        node = nodes.get(pod.spec.node_name or "")
        if node is None and not service.spec.publish_not_ready_addresses:
            continue  # "skipping Pod for Service, Node not found"
        endpoint = pod_endpoint(pod, node, service, address_type)
        if endpoint.addresses:
            group[_endpoint_key(endpoint)] = endpoint

    labels = slice_labels(service)
    changes = _Changes()
    for key, wanted in desired.items():
        _by_port_mapping(service, existing_by_key.get(key, []), wanted, desired_ports[key], address_type, labels,
                         max_endpoints, changes)
    for key, slices in existing_by_key.items():
        if key not in desired:
            changes.delete.extend(slices)

    if len(existing) == len(changes.delete) and not changes.create:
        # A placeholder keeps the Service visible; an identical existing one is kept as is.
        placeholder = _new_slice(service, address_type, ())
        same = (len(changes.delete) == 1 and not changes.delete[0].endpoints and not changes.delete[0].ports
                and changes.delete[0].metadata.labels == placeholder.metadata.labels)
        if same:
            changes.unchanged.append(changes.delete.pop())
        else:
            changes.create.append(_Draft(placeholder, [], dict(placeholder.metadata.labels or {})))
    return _finalize(changes, names)


def _by_port_mapping(service: Service, existing: list[EndpointSlice], wanted: dict[tuple, Endpoint],
                     ports: tuple[EndpointPort, ...], address_type: str, labels: dict[str, str], max_endpoints: int,
                     changes: _Changes) -> None:
    """reconcileByPortMapping: keep and update what exists, fill changed slices, then create."""
    remaining = dict(wanted)
    updated: list[_Draft] = []
    unchanged: list[EndpointSlice] = []
    for s in existing:
        kept: list[Endpoint] = []
        endpoint_changed = False
        for e in s.endpoints or ():
            got = remaining.pop(_endpoint_key(e), None)
            if got is not None:
                kept.append(got)
                endpoint_changed = endpoint_changed or got != e
        labels_changed = _unreserved(s.metadata.labels) != _unreserved(labels)
        if endpoint_changed or len(kept) != len(s.endpoints or ()):
            if not kept:
                changes.delete.append(s)
            else:
                updated.append(_Draft(s, kept, dict(labels)))
        elif labels_changed:
            updated.append(_Draft(s, kept, dict(labels)))
        else:
            unchanged.append(s)

    queue = list(remaining.values())
    if queue and updated:
        # Fill the fullest changed slices first.
        for draft in sorted(updated, key=lambda d: -len(d.endpoints)):
            room = max_endpoints - len(draft.endpoints)
            if room > 0:
                draft.endpoints.extend(queue[:room])
                queue = queue[room:]
    while queue:
        target: _Draft | None = None
        if len(queue) < max_endpoints and unchanged:
            fill = _slice_to_fill(unchanged, len(queue), max_endpoints)
            if fill is not None:
                unchanged.remove(fill)
                target = _Draft(fill, list(fill.endpoints or ()), dict(fill.metadata.labels or {}))
                updated.append(target)
        if target is None:
            fresh = _new_slice(service, address_type, ports)
            target = _Draft(fresh, [], dict(fresh.metadata.labels or {}))
            changes.create.append(target)
        room = max_endpoints - len(target.endpoints)
        target.endpoints.extend(queue[:room])
        queue = queue[room:]
    changes.update.extend(updated)
    changes.unchanged.extend(unchanged)


def _slice_to_fill(slices: list[EndpointSlice], count: int, max_endpoints: int) -> EndpointSlice | None:
    """getSliceToFill: the slice closest to full once `count` endpoints are added, if one has room."""
    best, best_diff = None, max_endpoints
    for s in slices:
        diff = max_endpoints - (count + len(s.endpoints or ()))
        if 0 <= diff < best_diff:
            best, best_diff = s, diff
            if diff == 0:
                break
    return best


def _finalize(changes: _Changes, names: Names) -> list[EndpointSlice]:
    """finalize: a slice about to be created takes the name of one about to be deleted instead."""
    out = list(changes.unchanged) + [d.done() for d in changes.update]
    creates = list(changes.create)
    deletes = list(changes.delete)
    while creates and deletes:
        draft = creates.pop()
        old = deletes.pop(0)
        done = draft.done()
        meta = replace(done.metadata, name=old.metadata.name, uid=old.metadata.uid)
        out.append(replace(done, metadata=meta))
    for draft in creates:
        done = draft.done()
        out.append(replace(done, metadata=replace(done.metadata, name=names(done.metadata.generate_name or ""))))
    return out
