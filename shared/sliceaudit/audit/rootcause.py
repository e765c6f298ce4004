"""Root cause: which workloads' pods lack the named targetPort, and what a person should change."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from sliceaudit.api.records import SLICE_CONTROLLER, Endpoint, EndpointSlice, Service, ServicePort
from sliceaudit.audit.owners import OwnerIndex, Workload
from sliceaudit.audit.report import WorkloadCause


def lacking_workloads(service: Service, ports: Sequence[ServicePort], addresses: Iterable[str],
                      endpoints: Mapping[str, Endpoint], owners: OwnerIndex) -> list[WorkloadCause]:
    """Workloads behind `addresses`, each with the named targetPorts its pods do not declare."""
    if not owners.known:
        return []
    ns = service.metadata.namespace
    named = [(p.named_target_port, p.protocol or "TCP") for p in ports if p.named_target_port]
    pods: dict[Workload, int] = {}
    lacks: dict[Workload, set[str]] = {}
    for address in addresses:
        endpoint = endpoints.get(address)
        pod = owners.pod_of(endpoint, ns) if endpoint is not None else None
        if pod is None:
            continue
        workload = owners.workload_of(pod)
        pods[workload] = pods.get(workload, 0) + 1
        missing = lacks.setdefault(workload, set())
        missing.update(f"{name}/{proto}" for name, proto in named if not pod.has_named_port(name, proto))
    return [WorkloadCause(w.kind, w.namespace, w.name, pods[w], sorted(lacks[w])) for w in sorted(pods)]


def selector_workloads(service: Service, owners: OwnerIndex) -> list[Workload]:
    ns = service.metadata.namespace
    return sorted({owners.workload_of(p) for p in owners.selected_pods(ns, service.spec.selector)})


def foreign_slices(slices: Iterable[EndpointSlice]) -> list[str]:
    """Slices some other producer wrote (hand-made, operators): only that producer can fix them."""
    return sorted({f"{s.metadata.name} (managed by {s.managed_by or 'nobody'})"
                   for s in slices if s.managed_by != SLICE_CONTROLLER})


def advice(service: Service, ports: Sequence[ServicePort], causes: Sequence[WorkloadCause],
           spanning: Sequence[Workload], foreign: Sequence[str], owners_known: bool) -> str:
    """The sentence that tells a person what to change."""
    parts: list[str] = []
    lacking = [c for c in causes if c.lacks]
    if lacking:
        names = "; ".join(f"{c.kind} {c.namespace}/{c.name} ({c.pods} pod{'s' if c.pods != 1 else ''}) "
                          f"has no container port {', '.join(repr(x) for x in c.lacks)}" for c in lacking)
        parts.append(f"{names}: add the named port to its pod template, or narrow the Service selector "
                     "so it stops matching these pods.")
    if len(spanning) > 1:
        sel = ",".join(f"{k}={v}" for k, v in sorted((service.spec.selector or {}).items()))
        parts.append(f"The selector {sel} matches pods of {len(spanning)} workloads: "
                     f"{', '.join(str(w) for w in spanning)}.")
    if foreign:
        if len(foreign) == 1:
            parts.append(f"Slice {foreign[0]} is not written by the EndpointSlice controller: fix the ports "
                         "its producer publishes.")
        else:
            parts.append(f"Slices {', '.join(foreign)} are not written by the EndpointSlice controller: fix "
                         "the ports their producers publish.")
    if not parts:
        named = [p.named_target_port for p in ports if p.named_target_port]
        if named and not owners_known:
            parts.append(f"Pods that lack the targetPort {', '.join(repr(n) for n in named)} are the likely cause; "
                         "include Pods and their owners in the audit to name the workloads.")
        elif named:
            parts.append(f"Give every selected pod the container port {', '.join(repr(n) for n in named)}.")
    return " ".join(parts)
