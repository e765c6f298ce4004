"""The EndpointSlice mirroring controller: Endpoints of selector-less Services copied into slices.

Follows kubernetes pkg/controller/endpointslicemirroring (2026): endpointslicemirroring_controller.go
`syncEndpoints` and `shouldMirror`, reconciler.go `reconcile`, `reconcileByPortMapping`,
reconciler_helpers.go `initPorts`, `addAddress`, `recycleSlices`, utils.go `newEndpointSlice`,
`addressToEndpoint`, `epPortsToEpsPorts`, `skipMirror`. Subsets with the same ports share one
slice per address type, of at most 1000 addresses; conditions carry `ready` only; there is no
placeholder. Addresses are taken in order where Go pops any element of a set.
"""

from __future__ import annotations

from collections.abc import Sequence

from msgspec.structs import replace

from sliceaudit.api.objects import (
    LEADER_ANNOTATION,
    SKIP_MIRROR_LABEL,
    Endpoint,
    EndpointAddress,
    EndpointPort,
    Endpoints,
    EndpointSlice,
    EndpointsPort,
    ObjectMeta,
    OwnerReference,
    Service,
)
from sliceaudit.api.records import MANAGED_BY_LABEL, SERVICE_NAME_LABEL, EndpointConditions
from sliceaudit.controller.endpointslice import Names, parse_ip

CONTROLLER = "endpointslicemirroring-controller.k8s.io"
MAX_ENDPOINTS_PER_SUBSET = 1000  # kube-controller-manager --mirroring-max-endpoints-per-subset default
_SKIPPED_ANNOTATIONS = ("endpoints.kubernetes.io/last-change-trigger-time",
                        "kubectl.kubernetes.io/last-applied-configuration")

Key = tuple[str, tuple[tuple[str, int, str, str], ...]]


def should_mirror(endpoints: Endpoints, service: Service | None) -> bool:
    """shouldMirror plus syncEndpoints' Service check: a selector-less Service of the same name exists."""
    meta = endpoints.metadata
    if (meta.labels or {}).get(SKIP_MIRROR_LABEL) == "true" or LEADER_ANNOTATION in (meta.annotations or {}):
        return False
    return service is not None and service.spec.selector is None


def _ports(ports: Sequence[EndpointsPort]) -> tuple[EndpointPort, ...]:
    """epPortsToEpsPorts: name, port, protocol and appProtocol as they are."""
    return tuple(EndpointPort(name=p.name, protocol=p.protocol, port=p.port, app_protocol=p.app_protocol)
                 for p in ports)


def _key(address_type: str, ports: Sequence[EndpointPort]) -> Key:
    return (address_type, tuple(sorted((p.name or "", p.port or 0, p.protocol or "", p.app_protocol or "")
                                       for p in ports)))


def address_endpoint(address: EndpointAddress, ready: bool) -> tuple[str, Endpoint] | None:
    """addressToEndpoint: (address type, endpoint), or None for an address that is not an IP."""
    parsed = parse_ip(address.ip)
    if parsed is None:
        return None
    version, ip = parsed
    endpoint = Endpoint(addresses=(ip,), conditions=EndpointConditions(ready=ready), target_ref=address.target_ref,
                        node_name=address.node_name, hostname=address.hostname or None)
    return ("IPv6" if version == 6 else "IPv4"), endpoint


def _new_slice(endpoints: Endpoints, ports: tuple[EndpointPort, ...], address_type: str) -> EndpointSlice:
    """newEndpointSlice: the Endpoints' labels and annotations, owned by the Endpoints."""
    meta = endpoints.metadata
    labels = dict(meta.labels or {})
    labels[SERVICE_NAME_LABEL] = meta.name
    labels[MANAGED_BY_LABEL] = CONTROLLER
    annotations = {k: v for k, v in (meta.annotations or {}).items() if k not in _SKIPPED_ANNOTATIONS}
    owner = OwnerReference(api_version="v1", kind="Endpoints", name=meta.name, uid=meta.uid, controller=True,
                           block_owner_deletion=True)
    return EndpointSlice(metadata=ObjectMeta(generate_name=meta.name + "-", namespace=meta.namespace, labels=labels,
                                             annotations=annotations or None, owner_references=(owner,)),
                         address_type=address_type, ports=ports or None)


def mirror(endpoints: Endpoints, service: Service | None, existing: Sequence[EndpointSlice], names: Names,
           max_per_subset: int = MAX_ENDPOINTS_PER_SUBSET) -> list[EndpointSlice]:
    """The mirrored slices for `endpoints` after one sync (none when it is not to be mirrored)."""
    if not should_mirror(endpoints, service):
        return []
    ports_by_key: dict[Key, tuple[EndpointPort, ...]] = {}
    desired: dict[Key, dict[tuple, Endpoint]] = {}
    for subset in endpoints.subsets or ():
        ports = _ports(subset.ports or ())
        keys = {t: _key(t, ports) for t in ("IPv4", "IPv6")}
        for key in keys.values():
            desired.setdefault(key, {})
            ports_by_key[key] = ports
        added = 0
        for addresses, ready in ((subset.addresses, True), (subset.not_ready_addresses, False)):
            for address in addresses or ():
                if added >= max_per_subset:
                    break
                made = address_endpoint(address, ready)
                if made is None:
                    continue  # "not a valid IP, it will not be mirrored"
                address_type, endpoint = made
                ref = endpoint.target_ref
                desired[keys[address_type]][(endpoint.addresses, endpoint.hostname,
                                             (ref.namespace, ref.name) if ref else None)] = endpoint
                added += 1

    existing_by_key: dict[Key, list[EndpointSlice]] = {}
    for s in existing:
        existing_by_key.setdefault(_key(s.address_type, s.ports or ()), []).append(s)

    keep: list[EndpointSlice] = []
    create: list[EndpointSlice] = []
    update: list[EndpointSlice] = []
    delete: list[EndpointSlice] = []
    for key, wanted in desired.items():
        mine = existing_by_key.get(key, [])
        if not wanted:
            delete.extend(mine)
            continue
        delete.extend(mine[1:])
        fresh = _new_slice(endpoints, ports_by_key[key], key[0])
        fresh = replace(fresh, endpoints=tuple(list(wanted.values())[:max_per_subset]))
        if mine:
            first = mine[0]
            fresh = replace(fresh, metadata=replace(fresh.metadata, name=first.metadata.name,
                                                    uid=first.metadata.uid))
            if _same(first, fresh):
                keep.append(first)
            else:
                update.append(fresh)
        else:
            create.append(fresh)
    for key, slices in existing_by_key.items():
        if key not in desired:
            delete.extend(slices)

    # recycleSlices: per address type, a create takes the name of a slice about to be deleted.
    out = keep + update
    for s in create:
        old = next((d for d in delete if d.address_type == s.address_type), None)
        if old is not None:
            delete.remove(old)
            out.append(replace(s, metadata=replace(s.metadata, name=old.metadata.name, uid=old.metadata.uid)))
        else:
            out.append(replace(s, metadata=replace(s.metadata, name=names(s.metadata.generate_name or ""))))
    return out


def _same(existing: EndpointSlice, desired: EndpointSlice) -> bool:
    """totalChanges is zero: the same endpoints, none of them changed."""
    return sorted(map(repr, existing.endpoints or ())) == sorted(map(repr, desired.endpoints or ()))
